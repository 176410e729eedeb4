"""The fault suite's laboratory: auth commits pet events on PostgreSQL, `petpro worker`
processes relay them through Redis Streams into booking's pet cache, and the invariant every
test ends with:

    every committed event delivered, every effect exactly once

i.e. the auth outbox has no unpublished row, booking's inbox has exactly one row per
committed pet event, the pet cache holds the newest version of every pet (a tombstone for a
deleted one), and the booking group has nothing pending or undelivered on its streams.

Reads go through a plain psycopg connection (autocommit) and a synchronous Redis client, so
a test can poll them between its own steps; writes go through the auth unit of work.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
import redis
from sqlalchemy import insert

from adapters.codec.events import OutboxEnvelope
from adapters.messaging.types import DeadLetter
from adapters.redis_streams.broker import RedisStreamsBroker
from adapters.redis_streams.keys import StreamKeys
from adapters.sql.auth.tables import outbox as auth_outbox
from adapters.sql.auth.unit_of_work import SqlAuthUnitOfWork
from adapters.sql.database import SqlDatabase
from adapters.sql.outbox import write_outbox
from petpro_core.auth.domain.pets import Pet
from petpro_core.contracts.auth import PetCreated
from petpro_core.shared.events import Event
from tests.support.workers import WorkerPool, WorkerProcess, wait_until

BOOKING = "booking"
PET_TOPICS = ("pet.created", "pet.updated", "pet.deleted")
SETTLE_SECONDS = 20.0


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CacheEntry:
    """What booking's pet cache should hold for one pet."""

    owner_id: UUID
    name: str | None
    species: str | None
    breed: str | None
    version: int
    deleted: bool


class FaultLab:
    def __init__(
        self,
        *,
        database: SqlDatabase,
        sql: psycopg.Connection[Any],
        redis_client: redis.Redis,
        redis_url: str,
        prefix: str,
        pool: WorkerPool,
    ) -> None:
        self.database = database
        self.sql = sql
        self.redis = redis_client
        self.redis_url = redis_url
        self.prefix = prefix
        self.keys = StreamKeys(prefix)
        self.pool = pool
        self.owner_id = uuid4()

    # -- committing events (the auth side) ------------------------------------------------

    async def create_pets(
        self, count: int, *, per_transaction: int = 1, names: Sequence[str] = ()
    ) -> list[UUID]:
        """Register pets through the auth unit of work: one pet.created each. The first
        pets take `names`, the others are numbered."""
        created: list[UUID] = []
        for chunk in _chunks(range(count), per_transaction):
            async with SqlAuthUnitOfWork(self.database) as uow:
                for n in chunk:
                    pet, event = Pet.register(
                        pet_id=uuid4(),
                        owner_id=self.owner_id,
                        now=now(),
                        name=names[n] if n < len(names) else f"Pet {n + 1}",
                        species="dog",
                        sex="unknown",
                        breed=None,
                        date_of_birth=None,
                        weight_kg=None,
                        microchip=None,
                        notes=None,
                    )
                    await uow.pets.add(pet)
                    uow.record(event)
                    created.append(pet.id)
                await uow.commit()
        return created

    async def update_pets(self, pet_ids: Sequence[UUID], *, per_transaction: int = 1) -> None:
        """Rename each pet once: one pet.updated each (the name carries the new version)."""
        for chunk in _chunks(pet_ids, per_transaction):
            async with SqlAuthUnitOfWork(self.database) as uow:
                for pet_id in chunk:
                    pet = await uow.pets.get(pet_id)
                    assert pet is not None
                    base = pet.name.split(" v")[0]
                    changed, event = pet.with_changes(now(), name=f"{base} v{pet.version + 1}")
                    assert event is not None
                    await uow.pets.update(changed, expected_version=pet.version)
                    uow.record(event)
                await uow.commit()

    async def delete_pets(self, pet_ids: Sequence[UUID], *, per_transaction: int = 1) -> None:
        for chunk in _chunks(pet_ids, per_transaction):
            async with SqlAuthUnitOfWork(self.database) as uow:
                for pet_id in chunk:
                    pet = await uow.pets.get(pet_id)
                    assert pet is not None
                    await uow.pets.delete(pet_id)
                    uow.record(pet.deleted(now()))
                await uow.commit()

    async def write_event(self, event: Event) -> UUID:
        """Commit an event straight into auth's outbox (no pet row), as the unit of work
        writes it."""
        async with self.database.engine.begin() as connection:
            await write_outbox(connection, auth_outbox, [(event, None)])
        return event.event_id

    async def write_raw_row(self, event: Event, **payload_changes: Any) -> UUID:
        """Commit an outbox row for `event` whose payload was tampered with: what a buggy
        publisher could write. The relay sends it as it is."""
        row = OutboxEnvelope.of(event).as_row()
        row["payload"] = {**row["payload"], **payload_changes}
        async with self.database.engine.begin() as connection:
            await connection.execute(
                insert(auth_outbox).values(**row, headers=None, created_at=now())
            )
        return event.event_id

    def pet_created(self, **fields: Any) -> PetCreated:
        values: dict[str, Any] = {
            "occurred_at": now(),
            "aggregate_version": 1,
            "pet_id": uuid4(),
            "owner_id": self.owner_id,
            "name": "Pet",
            "species": "cat",
            "breed": None,
            "sex": "unknown",
            "date_of_birth": None,
            "weight_grams": None,
            "microchip": None,
        }
        values.update(fields)
        return PetCreated(**values)

    # -- reading PostgreSQL ---------------------------------------------------------------

    def scalar(self, query: str, params: Sequence[Any] = ()) -> Any:
        row = self.sql.execute(query, params).fetchone()
        assert row is not None
        return row[0]

    def unpublished(self) -> int:
        return int(self.scalar("SELECT count(*) FROM auth.outbox WHERE published_at IS NULL"))

    def published(self) -> int:
        return int(self.scalar("SELECT count(*) FROM auth.outbox WHERE published_at IS NOT NULL"))

    def inbox_ids(self) -> list[UUID]:
        rows = self.sql.execute(
            "SELECT event_id FROM booking.inbox WHERE consumer = %s", (BOOKING,)
        ).fetchall()
        return [row[0] for row in rows]

    def inbox_count(self) -> int:
        return int(
            self.scalar("SELECT count(*) FROM booking.inbox WHERE consumer = %s", (BOOKING,))
        )

    def handled(self, event_id: UUID) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM booking.inbox WHERE consumer = %s AND event_id = %s",
                (BOOKING, event_id),
            )
        )

    def committed_pet_events(self, excluded: Iterable[UUID] = ()) -> list[tuple[Any, ...]]:
        """(event id, event name, aggregate id, aggregate version, payload) of every pet event
        committed to auth's outbox, in commit order."""
        skip = set(excluded)
        rows = self.sql.execute(
            "SELECT id, event_name, aggregate_id, aggregate_version, payload, position"
            " FROM auth.outbox WHERE event_name LIKE 'pet.%%' ORDER BY position"
        ).fetchall()
        return [tuple(row[:5]) for row in rows if row[0] not in skip]

    def expected_cache(self, excluded: Iterable[UUID] = ()) -> dict[UUID, CacheEntry]:
        """The pet cache the committed events call for: each pet's newest version."""
        newest: dict[UUID, tuple[int, str, dict[str, Any]]] = {}
        for _, name, pet_id, version, payload in self.committed_pet_events(excluded):
            if pet_id not in newest or version > newest[pet_id][0]:
                newest[pet_id] = (version, name, _as_dict(payload))
        expected = {}
        for pet_id, (version, name, payload) in newest.items():
            deleted = name == "pet.deleted"
            expected[pet_id] = CacheEntry(
                owner_id=UUID(str(payload["owner_id"])),
                name=None if deleted else payload["name"],
                species=None if deleted else payload["species"],
                breed=None if deleted else payload["breed"],
                version=version,
                deleted=deleted,
            )
        return expected

    def created_event_of(self, pet_id: UUID) -> UUID:
        return UUID(
            str(
                self.scalar(
                    "SELECT id FROM auth.outbox WHERE aggregate_id = %s"
                    " AND event_name = 'pet.created'",
                    (pet_id,),
                )
            )
        )

    def handled_at(self, event_ids: Iterable[UUID]) -> list[datetime]:
        rows = self.sql.execute(
            "SELECT handled_at FROM booking.inbox WHERE consumer = %s AND event_id = ANY(%s)",
            (BOOKING, list(event_ids)),
        ).fetchall()
        return [row[0] for row in rows]

    def pet_id_of(self, event_id: UUID) -> UUID:
        return UUID(
            str(self.scalar("SELECT aggregate_id FROM auth.outbox WHERE id = %s", (event_id,)))
        )

    def pet_cache(self) -> dict[UUID, CacheEntry]:
        rows = self.sql.execute(
            "SELECT pet_id, owner_id, name, species, breed, version, deleted FROM booking.pet_cache"
        ).fetchall()
        return {
            row[0]: CacheEntry(
                owner_id=row[1],
                name=None if row[6] else row[2],
                species=None if row[6] else row[3],
                breed=None if row[6] else row[4],
                version=row[5],
                deleted=row[6],
            )
            for row in rows
        }

    def auth_pets(self) -> dict[UUID, tuple[str, int]]:
        rows = self.sql.execute("SELECT id, name, version FROM auth.pets").fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    # -- reading Redis --------------------------------------------------------------------

    def stream(self, topic: str) -> str:
        return self.keys.topic(topic)

    def stream_lengths(self) -> dict[str, int]:
        return {topic: int(self.redis.xlen(self.stream(topic))) for topic in PET_TOPICS}

    def messages_on_streams(self) -> int:
        """Pet messages the relays put on the streams (since Redis last lost its data)."""
        return sum(self.stream_lengths().values())

    def groups(self, topic: str) -> dict[str, dict[str, Any]]:
        try:
            infos = self.redis.xinfo_groups(self.stream(topic))
        except redis.ResponseError:
            return {}
        return {_text(info["name"]): info for info in infos}

    def booking_streams(self) -> list[str]:
        return self.keys.read_by(BOOKING, PET_TOPICS)

    def group_backlog(self) -> dict[str, tuple[int, int | None]]:
        """Per stream the booking group reads: (pending, lag); missing group: (0, None)."""
        backlog: dict[str, tuple[int, int | None]] = {}
        for key in self.booking_streams():
            try:
                infos = self.redis.xinfo_groups(key)
            except redis.ResponseError:
                infos = []
            info = next((i for i in infos if _text(i["name"]) == BOOKING), None)
            if info is None:
                backlog[key] = (0, None)
            else:
                lag = info.get("lag")
                backlog[key] = (int(info["pending"]), None if lag is None else int(lag))
        return backlog

    def pending_messages(self) -> list[tuple[str, str, str, int]]:
        """(stream, message id, consumer, times delivered) of every booking message
        delivered and not acknowledged."""
        return [entry[:4] for entry in self._pending_entries()]

    def pending_idle_seconds(self) -> float:
        """How long the most recently delivered pending message has been idle."""
        return min((entry[4] for entry in self._pending_entries()), default=0) / 1000

    def _pending_entries(self) -> list[tuple[str, str, str, int, int]]:
        pending = []
        for key in self.booking_streams():
            try:
                entries = self.redis.xpending_range(key, BOOKING, "-", "+", 10_000)
            except redis.ResponseError:
                continue
            pending += [
                (
                    key,
                    _text(entry["message_id"]),
                    _text(entry["consumer"]),
                    int(entry["times_delivered"]),
                    int(entry["time_since_delivered"]),
                )
                for entry in entries
            ]
        return pending

    def event_id_of(self, stream: str, message_id: str) -> UUID:
        entries: Any = self.redis.xrange(stream, message_id, message_id)
        [(_, fields)] = entries
        return self.event_id_of_body(fields[b"body"])

    @staticmethod
    def event_id_of_body(body: bytes) -> UUID:
        return UUID(json.loads(body)["id"])

    def lose_redis_data(self) -> int:
        """What a Redis restart without persistence looks like to this deployment: every key
        under the prefix (streams, groups, pending entries, dead letters) gone."""
        keys = list(self.redis.scan_iter(match=f"{self.prefix}:*", count=1000))
        return int(self.redis.delete(*keys)) if keys else 0

    async def recreate_booking_groups(self) -> None:
        """What booking's consumer does when a read is answered NOGROUP."""
        broker = RedisStreamsBroker.from_url(self.redis_url, prefix=self.prefix)
        try:
            await broker.ensure_groups(BOOKING, PET_TOPICS)
        finally:
            await broker.close()

    async def dead_letters(self) -> list[DeadLetter]:
        broker = RedisStreamsBroker.from_url(self.redis_url, prefix=self.prefix)
        try:
            return await broker.dead_letters(BOOKING, count=1000)
        finally:
            await broker.close()

    # -- the workers' logs ----------------------------------------------------------------

    def handler_runs(self) -> Counter[UUID]:
        """How often a booking handler ran for each event, over every worker's log (the
        consumer logs each run inside the transaction, before it commits)."""
        runs: Counter[UUID] = Counter()
        for worker in self.pool.workers:
            for record in worker.logged("handled "):
                runs[UUID(record["event_id"])] += 1
        return runs

    @staticmethod
    def handler_runs_by(worker: WorkerProcess) -> int:
        return len(worker.logged("handled "))

    def relay_warnings(self) -> list[dict[str, Any]]:
        """The relays' warnings that they found the broker without our groups and queued
        events again (the `requeued` count)."""
        return [
            record
            for worker in self.pool.workers
            for record in worker.log_records()
            if record.get("logger") == "petpro.relay"
            and record.get("level") == "WARNING"
            and "requeued" in record
        ]

    # -- waiting and the invariant --------------------------------------------------------

    def wait(
        self,
        condition: Callable[[], Any],
        message: str | Callable[[], str] = "condition not met",
        timeout: float = SETTLE_SECONDS,
    ) -> Any:
        return wait_until(condition, timeout=timeout, message=message)

    async def wait_for_async(
        self,
        condition: Callable[[], Awaitable[Any]],
        message: str = "condition not met",
        seconds: float = SETTLE_SECONDS,
    ) -> Any:
        deadline = time.monotonic() + seconds
        while not (value := await condition()):
            if time.monotonic() > deadline:
                raise AssertionError(f"after {seconds} s: {message}")
            await asyncio.sleep(0.05)
        return value

    def wait_until_settled(
        self, *, excluded: Iterable[UUID] = (), timeout: float = SETTLE_SECONDS
    ) -> None:
        """Until every committed pet event (but `excluded`) is in the inbox, the outbox is
        drained and the booking group has nothing pending or undelivered."""
        expected = len(self.committed_pet_events(excluded))

        def settled() -> bool:
            return (
                self.inbox_count() >= expected
                and self.unpublished() == 0
                and all(
                    pending == 0 and lag in (0, None)
                    for pending, lag in self.group_backlog().values()
                )
            )

        self.wait(
            settled,
            lambda: (
                f"inbox {self.inbox_count()}/{expected}, unpublished {self.unpublished()}, "
                f"booking group (pending, lag) {self.group_backlog()}"
            ),
            timeout,
        )

    def assert_exactly_once(self, *, excluded: Iterable[UUID] = ()) -> None:
        """Every committed pet event (but `excluded`) delivered, its effect applied once."""
        excluded = set(excluded)
        events = self.committed_pet_events(excluded)
        event_ids = [row[0] for row in events]
        assert self.unpublished() == 0, "the auth outbox still has unpublished rows"
        inbox = Counter(self.inbox_ids())
        assert not [e for e, n in inbox.items() if n > 1], "an event handled twice"
        assert set(inbox) - excluded == set(event_ids), (
            f"not handled: {len(set(event_ids) - set(inbox))}, "
            f"handled but never committed: {len(set(inbox) - set(event_ids) - excluded)}"
        )
        expected_cache = self.expected_cache(excluded)
        cache = self.pet_cache()
        wrong = {
            pet_id: (cache.get(pet_id), entry)
            for pet_id, entry in expected_cache.items()
            if cache.get(pet_id) != entry
        }
        assert not wrong, f"{len(wrong)} cache entries are not the newest version: {wrong}"
        # The source of truth agrees with the events for the pets that still exist.
        for pet_id, (name, version) in self.auth_pets().items():
            entry = cache[pet_id]
            assert (entry.name, entry.version, entry.deleted) == (name, version, False)
        backlog = self.group_backlog()
        assert all(pending == 0 for pending, _ in backlog.values()), backlog
        assert all(lag in (0, None) for _, lag in backlog.values()), backlog

    def assert_each_handler_ran_once(self, *, excluded: Iterable[UUID] = ()) -> None:
        """Stronger than the inbox: no redelivery or duplicate reached a handler again."""
        runs = self.handler_runs()
        expected = {row[0] for row in self.committed_pet_events(excluded)}
        assert set(runs) == expected
        assert not [event_id for event_id, n in runs.items() if n != 1], runs.most_common(3)


def _chunks(items: Iterable[Any], size: int) -> list[list[Any]]:
    chunk: list[Any] = []
    chunks = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            chunks.append(chunk)
            chunk = []
    if chunk:
        chunks.append(chunk)
    return chunks


def _as_dict(payload: Any) -> dict[str, Any]:
    return payload if isinstance(payload, dict) else json.loads(payload)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
