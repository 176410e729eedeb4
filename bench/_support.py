"""Shared helpers of the event-backbone benchmarks (`relay_throughput`, `consumer_throughput`,
`event_latency`): command-line options, a throw-away PostgreSQL database and Redis key
prefix per run, realistic pet events, and the printing of results.

Every run creates `petpro_bench_<hex>` on the configured server (dropped WITH FORCE at the
end) and uses the Redis key prefix `petpro-bench-<hex>` (every key under it is deleted at the
end), so runs never share data with each other, with the test suite or with a deployment.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import os
import random
import secrets
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from redis.asyncio import Redis
from sqlalchemy import Table
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql import migrate
from adapters.sql.database import SqlDatabase
from adapters.sql.outbox import RecordedEvent, write_outbox
from petpro_core.auth.domain.pets import Pet, Sex, Species
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.tracing import MessageContext

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
CONNECT_TIMEOUT_SECONDS = 5


# -- options ---------------------------------------------------------------------------------


def arguments(
    description: str,
    *,
    events: tuple[int, str],
    seconds: tuple[float, str],
    extra: Sequence[tuple[str, Any, str]] = (),
) -> argparse.Namespace:
    """`--events`, `--seconds` (default, help), `--database-url`, `--redis-url` (defaults
    from PETPRO_TEST_DATABASE_URL / PETPRO_TEST_REDIS_URL, as the test suite), plus `extra`
    options given as (name, default, help); each option's type is its default's."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--events", type=int, default=events[0], help=f"{events[1]} (default {events[0]})"
    )
    parser.add_argument(
        "--seconds", type=float, default=seconds[0], help=f"{seconds[1]} (default {seconds[0]})"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("PETPRO_TEST_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="a PostgreSQL server and database to connect to as a superuser; the run creates "
        "its own database there (default: PETPRO_TEST_DATABASE_URL or %(default)s)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("PETPRO_TEST_REDIS_URL") or DEFAULT_REDIS_URL,
        help="default: PETPRO_TEST_REDIS_URL or %(default)s",
    )
    for name, default, text in extra:
        parser.add_argument(
            f"--{name}", type=type(default), default=default, help=f"{text} (default {default})"
        )
    return parser.parse_args()


# -- PostgreSQL and Redis --------------------------------------------------------------------


def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def display(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """Create `petpro_bench_<hex>`, migrate the auth and booking schemas, yield its URL;
    drop it (WITH FORCE) afterwards."""
    name = f"petpro_bench_{secrets.token_hex(5)}"
    admin = libpq_url(server_url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        database = SqlDatabase(url)
        for context in ("auth", "booking"):
            migrate.upgrade(database, context)
        yield url
    finally:
        with psycopg.connect(
            admin, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
        ) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def new_prefix() -> str:
    return f"petpro-bench-{secrets.token_hex(5)}"


@contextlib.asynccontextmanager
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    """A unique key prefix; every key under it is deleted afterwards."""
    prefix = new_prefix()
    try:
        yield prefix
    finally:
        await delete_prefix(redis_url, prefix)


async def delete_prefix(redis_url: str, prefix: str) -> int:
    client = Redis.from_url(redis_url)
    deleted = 0
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        for first in range(0, len(keys), 500):
            deleted += await client.delete(*keys[first : first + 500])
    finally:
        await client.aclose()
    return deleted


class ClientDatabase(SqlDatabase):
    """A SqlDatabase for the benchmark's own clients (producers, writers): a pool of
    `pool_size` connections (SQLAlchemy's default, 5 plus 10 overflow, would make a 16th
    concurrent client wait), without the liveness ping before each checkout (the server
    does not go away during a run; the ping is one more round trip per transaction)."""

    def __init__(self, url: str, *, pool_size: int) -> None:
        super().__init__(url)
        self._pool_size = pool_size

    def _create_async_engine(self) -> Any:
        return create_async_engine(self.async_url, pool_size=self._pool_size, max_overflow=0)


async def insert_outbox(
    database: SqlDatabase, table: Table, events: Sequence[RecordedEvent], *, chunk: int = 5000
) -> None:
    """Untimed set-up: the rows a unit of work would write, many per statement."""
    for first in range(0, len(events), chunk):
        async with database.engine.begin() as connection:
            await write_outbox(connection, table, events[first : first + chunk])


# -- realistic pet events --------------------------------------------------------------------

_NAMES: tuple[str, ...] = ("Bella", "Luna", "Max", "Charlie", "Milo", "Daisy", "Rocky", "Coco")
_NAMES += ("Oscar", "Nala", "Simba", "Lola", "Teddy", "Ruby", "Loki", "Kiwi", "Pepper", "Otis")
_BREEDS: dict[Species, tuple[str | None, ...]] = {
    Species.DOG: ("Labrador Retriever", "German Shepherd", "Beagle", "Border Collie", None),
    Species.CAT: ("Maine Coon", "Siamese", "British Shorthair", "European Shorthair", None),
    Species.RABBIT: ("Holland Lop", "Netherland Dwarf", None),
    Species.BIRD: ("Budgerigar", "Cockatiel", "African Grey"),
    Species.REPTILE: ("Leopard Gecko", "Bearded Dragon", "Corn Snake"),
    Species.OTHER: (None, "Guinea pig", "Ferret"),
}
_NOTES = (
    None,
    "Nervous at the vet; prefers morning appointments.",
    "Allergic to chicken. Takes thyroid tablets twice a day.",
    "Vaccinations up to date.\nNeeds a muzzle for nail trims.",
)


# Unique across every factory of the process (the auth context enforces it).
_MICROCHIPS = itertools.count(985_112_000_000_000)


@dataclass
class PetHistory:
    """Events of many pets interleaved in commit order: each pet is created, some are
    updated several times (weight, name, breed, notes), a few deleted."""

    events: list[RecordedEvent] = field(default_factory=list)
    pets: dict[UUID, Pet] = field(default_factory=dict)  # the latest state of each live pet
    deleted: set[UUID] = field(default_factory=set)

    @property
    def pet_ids(self) -> set[UUID]:
        return set(self.pets) | self.deleted


class PetFactory:
    """Valid pets and their changes, through the real Pet aggregate (so every event is what
    the auth context would publish)."""

    def __init__(self, rng: random.Random, owners: int) -> None:
        self.rng = rng
        self.owners = [new_id() for _ in range(max(1, owners))]

    def register(self, now: datetime) -> tuple[Pet, Event]:
        rng = self.rng
        species = rng.choice(list(Species))
        return Pet.register(
            pet_id=new_id(),
            owner_id=rng.choice(self.owners),
            now=now,
            name=f"{rng.choice(_NAMES)} {rng.randint(1, 99)}",
            species=species,
            breed=rng.choice(_BREEDS[species]),
            sex=rng.choice(list(Sex)),
            date_of_birth=date(2010, 1, 1) + timedelta(days=rng.randint(0, 5000)),
            weight_kg=Decimal(rng.randint(80, 60_000)) / 1000,
            microchip=str(next(_MICROCHIPS)) if rng.random() < 0.8 else None,
            notes=rng.choice(_NOTES),
        )

    def change(self, pet: Pet, now: datetime) -> tuple[Pet, Event]:
        rng = self.rng
        roll = rng.random()
        changes: dict[str, Any]
        if roll < 0.6:
            weight = pet.weight_kg or Decimal(5)
            delta = Decimal(rng.randint(-300, 400)) / 1000
            changes = {"weight_kg": max(Decimal("0.05"), weight + delta)}
        elif roll < 0.75:
            changes = {"name": f"{rng.choice(_NAMES)} {rng.randint(100, 999)}"}
        elif roll < 0.9:
            changes = {"breed": rng.choice([b for b in _BREEDS[pet.species] if b] or ["Mixed"])}
        else:
            changes = {"notes": f"Checked on {now.date().isoformat()}: all well."}
        changed, event = pet.with_changes(now, **changes)
        if event is None:  # the change happened to change nothing: change the weight
            changed, event = pet.with_changes(now, weight_kg=(pet.weight_kg or Decimal(1)) + 1)
        assert event is not None
        return changed, event


def pet_history(count: int, *, seed: int = 20_261_125, owners: int | None = None) -> PetHistory:
    """`count` pet events: about 55 % pet.created, 40 % pet.updated (a pet gets 0 to several
    updates), 5 % pet.deleted, so about 0.55 x count pets of count/10 owners; each event
    with a message context (correlation id, traceparent) as a request would leave."""
    rng = random.Random(seed)  # noqa: S311 - test data, not security
    factory = PetFactory(rng, owners if owners is not None else count // 10)
    history = PetHistory()
    live: list[UUID] = []
    now = datetime.now(UTC) - timedelta(days=1)
    for _ in range(count):
        now += timedelta(milliseconds=rng.randint(1, 5))
        headers = MessageContext.start().as_headers()
        roll = rng.random()
        if not live or roll < 0.55:
            pet, event = factory.register(now)
            live.append(pet.id)
        elif roll < 0.95:
            pet_id = rng.choice(live)
            pet, event = factory.change(history.pets[pet_id], now)
        else:
            index = rng.randrange(len(live))
            live[index], live[-1] = live[-1], live[index]
            pet_id = live.pop()
            event = history.pets.pop(pet_id).deleted(now)
            history.deleted.add(pet_id)
            history.events.append((event, headers))
            continue
        history.pets[pet.id] = pet
        history.events.append((event, headers))
    return history


# -- results ---------------------------------------------------------------------------------


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        print(
            "  ".join(
                value.ljust(width) if i == 0 else value.rjust(width)
                for i, (value, width) in enumerate(zip(row, widths, strict=True))
            )
        )
        if index == 0:
            print("  ".join("-" * width for width in widths))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(share * len(ordered))))
    return ordered[rank - 1]
