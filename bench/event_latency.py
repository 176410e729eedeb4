"""Commit-to-effect latency of the event backbone: auth commits a pet change, booking's
pet-cache consumer handles it in `petpro worker` (a separate process).

A `petpro worker` subprocess runs the outbox relays and the booking consumer on a fresh
PostgreSQL database and a fresh Redis key prefix. This process produces pet events through
`SqlAuthUnitOfWork` (new pets, and updates of pets it created: the pet row and its outbox
row in one transaction) at a steady rate, paced by absolute deadlines, for --seconds per
rate, from --producers concurrent units of work taking turns; at high rates several events
share a transaction (--events-per-transaction, default one per 250 events/s), but every
event is measured on its own. Above --pet-rows-up-to events/s (default 250) the producers
record the same pet events without writing the pet rows: the auth repositories need about
1 ms of CPU per pet row, which at 1000/s would take a whole core from the worker under test.

Latency of an event = `booking.inbox.handled_at` of the event - the moment the producer's
commit returned (`time.time()`; both processes read the same clock). `handled_at` is taken
when the consumer inserts the batch's inbox rows, the first statement of the transaction
that applies the event; the handlers, the pet-cache upsert and the commit come after it
(1-3 ms), so the effect is visible a little later than measured. The relay wakes on
LISTEN/NOTIFY, the consumer blocks in XREADGROUP: this is the path end to end. The two legs
are printed too: commit → `auth.outbox.published_at` (stamped by the relay right after its
XADD) and published → handled.

Goals: p99 <= 25 ms at 200 events/s and <= 50 ms at 1000 events/s.

Run:  .venv/bin/python bench/event_latency.py [--seconds 10] [--rates 200,1000]
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from sqlalchemy import Uuid, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from adapters.sql.auth.tables import outbox as auth_outbox
from adapters.sql.auth.unit_of_work import SqlAuthUnitOfWork
from adapters.sql.booking.tables import inbox
from adapters.sql.database import SqlDatabase
from bench._support import (
    ClientDatabase,
    PetFactory,
    arguments,
    display,
    fresh_database,
    percentile,
    print_table,
    redis_prefix,
    verdict,
)
from petpro_core.auth.domain.pets import Pet
from petpro_core.booking.subscriptions import BOOKING_CONSUMER
from petpro_core.shared.tracing import MessageContext, message_context

GOALS_MS = {200: 25.0, 1000: 50.0}
DEFAULT_GOAL_MS = 50.0
WORKER_READY_SECONDS = 60.0
DRAIN_SECONDS = 30.0

_handled = (
    select(inbox.c.event_id, auth_outbox.c.published_at, inbox.c.handled_at)
    .join_from(inbox, auth_outbox, auth_outbox.c.id == inbox.c.event_id)
    .where(inbox.c.consumer == BOOKING_CONSUMER)
    .where(inbox.c.event_id == any_(bindparam("ids", type_=ARRAY(Uuid()))))
)
_handled_count = (
    select(func.count())
    .where(inbox.c.consumer == BOOKING_CONSUMER)
    .where(inbox.c.event_id == any_(bindparam("ids", type_=ARRAY(Uuid()))))
)


# -- the worker -------------------------------------------------------------------------------


def start_worker(url: str, redis_url: str, prefix: str, data_dir: Path, log: IO[bytes]) -> Any:
    """`petpro worker` with only our settings (no PETPRO_* of this shell leaks in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PETPRO_")}
    env.update(
        PETPRO_DATABASE_URL=url,
        PETPRO_REDIS_URL=redis_url,
        PETPRO_STREAM_PREFIX=prefix,
        PETPRO_LOG_LEVEL="WARNING",
        PETPRO_DATA_DIR=str(data_dir),
    )
    petpro = Path(sys.executable).with_name("petpro")
    command = [str(petpro), "worker"] if petpro.exists() else [sys.executable, "-m", "cli.main"]
    if not petpro.exists():
        command.append("worker")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603


def stop_worker(worker: Any) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)


# -- producing --------------------------------------------------------------------------------


@dataclass
class Phase:
    rate: int
    per_transaction: int
    pet_rows: bool = True
    committed_at: dict[UUID, float] = field(default_factory=dict)
    seconds: float = 0.0
    transactions: int = 0
    worst_slip: float = 0.0  # how late the producer started a transaction, at most

    @property
    def achieved_rate(self) -> float:
        return len(self.committed_at) / self.seconds if self.seconds else 0.0


class Producer:
    """Commits pet changes like the auth context does: a new pet (70 %) or a change to one
    of the pets made earlier (30 %), each with its pet.created / pet.updated event.

    With `pet_rows` off, the events (of the same pets) are recorded and committed through
    the unit of work without the write of the pet row: the auth repositories spend about
    1 ms of CPU per pet written, so offering 1000 events/s that way would take a whole core
    of this machine away from the worker under test."""

    def __init__(self, database: SqlDatabase, factory: PetFactory) -> None:
        self._database = database
        self._factory = factory
        self._pets: list[Pet] = []

    async def commit(self, count: int, *, pet_rows: bool = True) -> tuple[list[UUID], float]:
        """One transaction with `count` events; answers their ids and when commit returned."""
        rng = self._factory.rng
        now = datetime.now(UTC)
        ids: list[UUID] = []
        with message_context(MessageContext.start()):
            async with SqlAuthUnitOfWork(self._database) as uow:
                changed: dict[int, Pet] = {}
                for _ in range(count):
                    if self._pets and rng.random() < 0.3:
                        index = rng.randrange(len(self._pets))
                        if index in changed:  # one change per pet and transaction
                            index = -1
                    else:
                        index = -1
                    if index < 0:
                        pet, event = self._factory.register(now)
                        if pet_rows:
                            await uow.pets.add(pet)
                        self._pets.append(pet)
                        changed[len(self._pets) - 1] = pet
                    else:
                        before = self._pets[index]
                        pet, event = self._factory.change(before, now)
                        if pet_rows:
                            await uow.pets.update(pet, expected_version=before.version)
                        self._pets[index] = changed[index] = pet
                    uow.record(event)
                    ids.append(event.event_id)
                await uow.commit()
                committed = time.time()
        return ids, committed

    async def run(self, phase: Phase, start: float, interval: float, count: int) -> None:
        """`count` transactions at absolute deadlines `start + k * interval`; a late one
        starts at once (nothing is skipped), so the offered rate holds on average."""
        loop = asyncio.get_running_loop()
        for k in range(count):
            wait = start + k * interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            else:
                phase.worst_slip = max(phase.worst_slip, -wait)
            ids, committed = await self.commit(phase.per_transaction, pet_rows=phase.pet_rows)
            for event_id in ids:
                phase.committed_at[event_id] = committed
            phase.transactions += 1


async def produce(producers: list[Producer], phase: Phase, seconds: float) -> None:
    """The producers take turns: each commits every `len(producers)` transaction slots, so
    together they offer `phase.rate` events per second, evenly spaced."""
    loop = asyncio.get_running_loop()
    slot = phase.per_transaction / phase.rate
    interval = slot * len(producers)
    count = max(1, round(seconds / interval))
    start = loop.time() + 0.02
    await asyncio.gather(
        *(p.run(phase, start + i * slot, interval, count) for i, p in enumerate(producers))
    )
    phase.seconds = loop.time() - start


async def wait_until_handled(database: SqlDatabase, ids: list[UUID], seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        async with database.engine.connect() as connection:
            handled = (await connection.execute(_handled_count, {"ids": ids})).scalar_one()
        if handled >= len(ids):
            return True
        await asyncio.sleep(0.1)
    return False


@dataclass
class Latencies:
    """Per event, in ms: commit → consumer effect, and its two legs: commit → published
    (`auth.outbox.published_at`, stamped by the relay right after XADD) and published →
    effect."""

    total: list[float]
    relay: list[float]
    consumer: list[float]


async def latencies_ms(database: SqlDatabase, phase: Phase) -> Latencies:
    async with database.engine.connect() as connection:
        rows = (await connection.execute(_handled, {"ids": list(phase.committed_at)})).all()
    result = Latencies([], [], [])
    for event_id, published_at, handled_at in rows:
        committed = phase.committed_at[event_id]
        result.total.append((handled_at.timestamp() - committed) * 1000)
        result.relay.append((published_at.timestamp() - committed) * 1000)
        result.consumer.append((handled_at - published_at).total_seconds() * 1000)
    return result


# -- main -------------------------------------------------------------------------------------


async def measure(url: str, redis_url: str, seconds: float, options: Any) -> None:
    rates = [int(rate) for rate in options.rates.split(",")]
    load_before = os.getloadavg()
    database = ClientDatabase(url, pool_size=options.producers + 1)
    producers = [
        Producer(database, PetFactory(random.Random(i), owners=200))  # noqa: S311 - test data
        for i in range(options.producers)
    ]
    results: list[tuple[Phase, Latencies]] = []
    async with redis_prefix(redis_url) as prefix:
        with (
            tempfile.TemporaryDirectory(prefix="petpro-bench-") as data_dir,
            (Path(data_dir) / "worker.log").open("wb") as log,
        ):
            worker = start_worker(url, redis_url, prefix, Path(data_dir), log)
            try:
                # Ready when one event makes it through; then a little warm-up, untimed.
                ids, _ = await producers[0].commit(1)
                if not await wait_until_handled(database, ids, WORKER_READY_SECONDS):
                    raise RuntimeError("the worker did not handle the first event in time")
                warm_up = Phase(rate=100, per_transaction=1)
                await produce(producers, warm_up, 1.0)
                await wait_until_handled(database, list(warm_up.committed_at), DRAIN_SECONDS)

                for rate in rates:
                    per_transaction = options.events_per_transaction or max(
                        1, math.ceil(rate / 250)
                    )
                    phase = Phase(rate, per_transaction, pet_rows=rate <= options.pet_rows_up_to)
                    await produce(
                        producers, phase, options.events / rate if options.events else seconds
                    )
                    if not await wait_until_handled(
                        database, list(phase.committed_at), DRAIN_SECONDS
                    ):
                        raise RuntimeError(f"events of the {rate}/s phase were not all handled")
                    results.append((phase, await latencies_ms(database, phase)))
            except BaseException:
                log.flush()
                print((Path(data_dir) / "worker.log").read_text()[-3000:], file=sys.stderr)
                raise
            finally:
                stop_worker(worker)
                await database.dispose()

    print(
        f"\nCommit → consumer effect (booking.inbox.handled_at); load average before "
        f"{load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    rows = []
    legs = []
    verdicts = []
    for phase, latencies in results:
        values = latencies.total
        goal = GOALS_MS.get(phase.rate, DEFAULT_GOAL_MS)
        p99 = percentile(values, 0.99)
        verdicts.append(
            f"{phase.rate}/s: p99 {p99:.1f} ms (goal <= {goal:g})  {verdict(p99 <= goal)}"
        )
        rows.append(
            (
                f"{phase.rate}/s",
                f"{phase.achieved_rate:.0f}/s",
                phase.per_transaction,
                "yes" if phase.pet_rows else "no",
                len(values),
                f"{phase.worst_slip * 1000:.1f}",
                percentile(values, 0.50),
                percentile(values, 0.95),
                p99,
                max(values),
                f"<= {goal:g}",
            )
        )
        legs.append(
            (
                f"{phase.rate}/s",
                percentile(latencies.relay, 0.50),
                percentile(latencies.relay, 0.99),
                percentile(latencies.consumer, 0.50),
                percentile(latencies.consumer, 0.99),
            )
        )
    print_table(
        (
            "offered",
            "achieved",
            "ev/tx",
            "pet rows",
            "events",
            "late ms",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "p99 goal",
        ),
        rows,
    )
    print("\nThe two legs (commit → published_at → handled_at), ms")
    print_table(("offered", "relay p50", "relay p99", "consumer p50", "consumer p99"), legs)
    for line in verdicts:
        print(line)


def main() -> None:
    options = arguments(
        __doc__.split("\n\n")[0],
        events=(0, "events per rate instead of --seconds (0: use --seconds)"),
        seconds=(10.0, "how long each rate is offered"),
        extra=(
            ("rates", "200,1000", "events per second, one phase each"),
            ("events-per-transaction", 0, "events per transaction (0: one per 250 events/s)"),
            ("producers", 4, "concurrent producers (units of work), taking turns"),
            (
                "pet-rows-up-to",
                250,
                "phases up to this rate write the pet rows too; faster ones only the events",
            ),
        ),
    )
    print(
        f"PostgreSQL {display(options.database_url)}, Redis {display(options.redis_url)}; "
        f"rates {options.rates} events/s for {options.seconds:g} s each"
    )
    with fresh_database(options.database_url) as url:
        asyncio.run(measure(url, options.redis_url, options.seconds, options))


if __name__ == "__main__":
    main()
