"""`POST /bookings` over HTTP on PostgreSQL, against a hand-written raw-asyncpg endpoint that
runs the same SQL statements (`bench/baselines/raw_booking.py`).

Set-up (untimed): a fresh database with every context's schema; through the app's own
commands, 10 vets, a clinic in Asia/Tokyo with them on its staff, a 15-minute service they
all perform, their hours (every day 08:00-12:00 and 13:00-20:00), and --owners owners with
two pets each, logged in; the app's event backbone carries all that to booking's caches.
Then every free slot over the booking horizon (two years) is read from the real
`GET /clinics/{id}/availability`, 30 days at a time.

Measured: `wrk -t2 -c<connections> -d<seconds>s --latency` against `petpro serve --workers
<workers>` (uvicorn; its relays and consumers off, as when a separate `petpro worker` runs
them, since the baseline runs only the request's statements; `--inprocess-workers` measures
the all-in-one deployment instead) and against the baseline under the same uvicorn settings.
Every request books a different free slot (distinct vet and start, taken in time order, each
with its own Idempotency-Key, the pet's owner's access token, payment token `tok_visa`), so
every request takes the success path: token check, idempotency claim, caches, busy check,
hold (booking + saga + outbox), charge, confirm, idempotency answer. Each server gets a
short warm-up first (its own slots; its rate sizes the measured run's share of slots),
rounds alternate which server goes first, and after each run the bookings are counted in the
database: every 201 must be a new confirmed booking (a run that ran out of slots, or
answered anything but 201, is reported).

RATIO = petpro req/s / raw req/s (over all rounds).       Goal: >= 0.6
P99 RATIO = petpro p99 / raw p99 (medians over rounds).   Goal: <= 2

Run:  .venv/bin/python bench/booking_http.py [--seconds 15] [--rounds 3] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy.engine import make_url

from bench._clinic_seed import (
    ClinicPlan,
    Seeded,
    app_environment,
    deliver_events,
    fresh_database,
    libpq_url,
    seed,
    seed_container,
)
from bench._http import (
    CpuUse,
    Request,
    Server,
    ServerCommand,
    WrkResult,
    http_json,
    load_average,
    measured_run,
    petpro_serve,
    run_wrk,
    running,
    uvicorn_app,
    wait_for_quiet,
    work_directory,
    write_requests,
)
from bench._support import DEFAULT_DATABASE_URL, display, print_table, verdict

RATE_GOAL = 0.6
P99_GOAL = 2.0
WINDOW_DAYS = 30
PAYMENT_TOKEN = "tok_visa"  # noqa: S105 - the fake gateway's success token

PLAN = ClinicPlan(
    name="Shibuya Animal Clinic",
    time_zone="Asia/Tokyo",
    vets=10,
    hours=[
        (day, start, end)
        for day in range(1, 8)
        for start, end in ((clock_time(8), clock_time(12)), (clock_time(13), clock_time(20)))
    ],
    service_name="Vaccination",
    duration_minutes=15,
    buffer_after_minutes=0,
    price="5500",
    currency="JPY",
    slot_minutes=15,
    horizon_days=730,
)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="each measured run")
    parser.add_argument("--warmup", type=float, default=3.0, help="each server's warm-up")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of each server")
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument(
        "--inprocess-workers",
        action="store_true",
        help="run petpro serve all-in-one, its relays and every context's consumers in the "
        "same processes (by default they are off, as with a separate `petpro worker`: the raw "
        "endpoint runs only the request's statements, not the consumers' work); the seed "
        "delivers its events first either way",
    )
    parser.add_argument(
        "--only", choices=("petpro", "raw"), help="measure one server only (profiling)"
    )
    parser.add_argument(
        "--quiet-load",
        type=float,
        default=1.0,
        help="before measuring, wait (up to 5 min) for the 1-minute load average to drop "
        "below this",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("PETPRO_TEST_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="a PostgreSQL server to connect to as a superuser; the run creates its own "
        "database there (default: PETPRO_TEST_DATABASE_URL or %(default)s)",
    )
    return parser.parse_args()


# -- slots -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FreeSlot:
    vet_id: str
    start: str  # ISO with the clinic's offset, as availability lists it


def fetch_slots(
    server: Server, seeded: Seeded, zone: ZoneInfo, horizon_days: int
) -> list[FreeSlot]:
    """Every free slot from tomorrow (clinic time) to the horizon, 30 days at a time, from
    the real availability endpoint."""
    token = seeded.owners[0].token
    today = datetime.now(zone).date()
    start = datetime.combine(today + timedelta(days=1), clock_time(), zone)
    end = datetime.combine(today + timedelta(days=horizon_days - 1), clock_time(), zone)
    slots: list[FreeSlot] = []
    while start < end:
        stop = min(start + timedelta(days=WINDOW_DAYS), end)
        query = (
            f"service_id={seeded.service_id}&from={_q(start.isoformat())}&to={_q(stop.isoformat())}"
        )
        status, body = http_json(
            "GET",
            f"{server.url}/clinics/{seeded.clinic_id}/availability?{query}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        if status != 200 or not isinstance(body, dict):
            raise RuntimeError(f"availability answered {status}: {body}")
        slots += [FreeSlot(vet_id=s["vet_id"], start=s["starts_at"]) for s in body["slots"]]
        start = stop
    return slots


def _q(text: str) -> str:
    return text.replace("+", "%2B").replace(":", "%3A")


class SlotFeed:
    """Consecutive slices of the free slots, so no two requests of the whole benchmark ask
    for the same vet at the same time."""

    def __init__(self, slots: Sequence[FreeSlot]) -> None:
        self._slots = slots
        self._next = 0

    @property
    def left(self) -> int:
        return len(self._slots) - self._next

    def take(self, count: int) -> list[FreeSlot]:
        if count > self.left:
            raise RuntimeError(
                f"out of free slots ({self.left} left, {count} wanted): lower --seconds"
            )
        taken = self._slots[self._next : self._next + count]
        self._next += count
        return list(taken)


def booking_requests(slots: Sequence[FreeSlot], seeded: Seeded, run: str) -> list[Request]:
    """One POST /bookings per slot, in time order; pets are dealt round-robin, so one pet's
    consecutive bookings are hundreds of slots apart."""
    pets = seeded.pets
    requests = []
    for index, slot in enumerate(slots):
        owner, pet_id = pets[index % len(pets)]
        body = {
            "pet_id": str(pet_id),
            "clinic_id": str(seeded.clinic_id),
            "service_id": str(seeded.service_id),
            "vet_id": slot.vet_id,
            "start": slot.start,
            "products": [],
            "payment_method_token": PAYMENT_TOKEN,
        }
        requests.append(
            Request(
                method="POST",
                path="/bookings",
                headers={
                    "Authorization": f"Bearer {owner.token}",
                    "Idempotency-Key": f"bench-{run}-{index}",
                    "Content-Type": "application/json",
                },
                body=json.dumps(body, separators=(",", ":")),
            )
        )
    return requests


# -- database checks -------------------------------------------------------------------------


def booking_counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM booking.bookings GROUP BY status"
        ).fetchall()
    return {status: int(count) for status, count in rows}


def settle_outbox(database_url: str) -> int:
    """Mark the rows the baseline wrote to booking's outbox as published, so the product's
    relay does not start its next run with the baseline's backlog (the baseline has no
    relay; what the product's relay does with its own rows is part of the product)."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        cursor = conn.execute(
            "UPDATE booking.outbox SET published_at = now() WHERE published_at IS NULL"
        )
        return cursor.rowcount


def sessions(database_url: str) -> int:
    """Connections opened to the benchmark's database so far (pg_stat_database)."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


def unpublished(database_url: str) -> int:
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM booking.outbox WHERE published_at IS NULL"
        ).fetchone()
    return int(row[0]) if row else 0


# -- runs ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Run:
    server: str
    round: int
    result: WrkResult
    confirmed: int  # new confirmed bookings in the database during warm-up + run
    answered_201: int  # 201s of warm-up + run
    backlog: int  # booking outbox rows not yet published when the run ended
    cpu: CpuUse
    connections: int
    sessions_opened: int  # PostgreSQL connections the server opened during the run

    @property
    def valid(self) -> bool:
        """Every answer a 201, every 201 a new confirmed booking (plus at most the requests
        still in flight when the warm-up and the run ended, which complete unanswered)."""
        return (
            self.result.exhausted == 0
            and self.result.count(201) == self.result.requests
            and 0 <= self.confirmed - self.answered_201 <= 2 * self.connections
            and self.result.socket_errors == 0
        )


def measure(
    command: ServerCommand,
    *,
    label: str,
    round_: int,
    feed: SlotFeed,
    seeded: Seeded,
    args: argparse.Namespace,
    rates: dict[str, float],
    work: Path,
    database_url: str,
) -> Run:
    before = booking_counts(database_url).get("confirmed", 0)
    with running(command, log_dir=work) as server:
        warm_slots = feed.take(int(rates[label] * args.warmup * 1.5) + 200)
        warm_file = work / f"{label}-{round_}-warm.txt"
        write_requests(warm_file, booking_requests(warm_slots, seeded, f"{label}{round_}w"))
        warm = run_wrk(server.url, warm_file, connections=args.connections, seconds=args.warmup)
        rate = max(warm.requests_per_second, rates[label] / 4)
        slots = feed.take(int(rate * (args.seconds + 1) * 1.6) + 500)
        run_file = work / f"{label}-{round_}.txt"
        write_requests(run_file, booking_requests(slots, seeded, f"{label}{round_}"))
        opened = sessions(database_url)
        result, cpu = measured_run(
            server,
            run_file,
            connections=args.connections,
            seconds=args.seconds,
            database=make_url(database_url).database or "",
        )
        opened = sessions(database_url) - opened - 1  # not this check's own
        backlog = unpublished(database_url)
        rates[label] = max(result.requests_per_second, 50.0)
    confirmed = booking_counts(database_url).get("confirmed", 0) - before
    if label == "raw":
        settle_outbox(database_url)
    return Run(
        server=label,
        round=round_,
        result=result,
        confirmed=confirmed,
        answered_201=warm.count(201) + result.count(201),
        backlog=backlog,
        cpu=cpu,
        connections=args.connections,
        sessions_opened=opened,
    )


def report(runs: Sequence[Run], args: argparse.Namespace) -> bool:
    print()
    print_table(
        (
            "server",
            "round",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "201",
            "other",
            "CPU ms/req: server",
            "postgres",
            "wrk",
            "busy",
            "others",
            "new PG conns",
        ),
        [
            (
                run.server,
                run.round,
                run.result.requests_per_second,
                run.result.latency_ms[50],
                run.result.latency_ms[90],
                run.result.p99,
                run.result.count(201),
                ", ".join(f"{s}: {n}" for s, n in sorted(run.result.statuses.items()) if s != 201)
                or "-",
                run.cpu.server_ms,
                run.cpu.postgres_ms,
                run.cpu.wrk_ms,
                f"{run.cpu.busy:.0%}",
                f"{run.cpu.others:.0%}",
                run.sessions_opened,
            )
            for run in runs
        ],
    )
    invalid = [run for run in runs if not run.valid]
    for run in invalid:
        print(
            f"  ! {run.server} round {run.round}: not every request took the success path "
            f"(statuses {dict(run.result.statuses)}, repeats {run.result.exhausted}, socket "
            f"errors {run.result.socket_errors}, confirmed {run.confirmed} of "
            f"{run.answered_201} answered 201 plus those in flight at the end)"
        )
        if run.result.count(202):
            print(
                "    202 = held: the saga's first step was taken by someone else (the recovery "
                "sweeper finds a just-held saga due) and the request answered before it ended"
            )
    product = [run for run in runs if run.server == "petpro"]
    raw = [run for run in runs if run.server == "raw"]
    if not product or not raw:
        return not invalid
    product_rate = sum(r.result.requests for r in product) / sum(r.result.seconds for r in product)
    raw_rate = sum(r.result.requests for r in raw) / sum(r.result.seconds for r in raw)
    product_p99 = statistics.median(r.result.p99 for r in product)
    raw_p99 = statistics.median(r.result.p99 for r in raw)
    rate_ratio = product_rate / raw_rate
    p99_ratio = product_p99 / raw_p99
    print()
    print(f"load average (1 / 5 min): {load_average()}")
    print(f"petpro {product_rate:,.0f} req/s, raw {raw_rate:,.0f} req/s")
    print(
        f"RATIO petpro / raw req/s = {rate_ratio:.2f}   (goal >= {RATE_GOAL})  "
        f"{verdict(rate_ratio >= RATE_GOAL)}"
    )
    print(
        f"P99 RATIO petpro / raw = {product_p99:.1f} / {raw_p99:.1f} ms = {p99_ratio:.2f}   "
        f"(goal <= {P99_GOAL})  {verdict(p99_ratio <= P99_GOAL)}"
    )
    return not invalid and rate_ratio >= RATE_GOAL and p99_ratio <= P99_GOAL


def main() -> int:
    args = arguments()
    zone = ZoneInfo(PLAN.time_zone)
    print(
        f"POST /bookings on {display(args.database_url)}: {args.workers} workers per server, "
        f"wrk -t2 -c{args.connections}, {args.rounds} rounds of {args.seconds:.0f} s "
        f"(warm-up {args.warmup:.0f} s), {os.cpu_count()} CPUs"
    )
    with fresh_database(args.database_url) as database_url, work_directory("petpro-bench-") as work:
        data_dir = work / "data"
        started = time.perf_counter()
        seeded = asyncio.run(_seed(database_url, data_dir, args.owners))
        print(
            f"seeded {len(seeded.vet_ids)} vets, {len(seeded.owners)} owners, "
            f"{len(seeded.pets)} pets in {time.perf_counter() - started:.1f} s"
        )
        env = app_environment(
            database_url,
            data_dir,
            PETPRO_INPROCESS_WORKERS="true" if args.inprocess_workers else "false",
        )
        product = petpro_serve("petpro", workers=args.workers, env=env)
        raw = uvicorn_app(
            "raw",
            "bench.baselines.raw_booking:app",
            workers=args.workers,
            env={
                "BENCH_DATABASE_URL": libpq_url(database_url),
                "BENCH_JWT_KEY_FILE": str(data_dir / "jwt-ed25519.pem"),
                "BENCH_CLINIC_ZONE": PLAN.time_zone,
            },
            ready_path="/health/ready",
        )
        started = time.perf_counter()
        with running(product, log_dir=work) as server:
            feed = SlotFeed(fetch_slots(server, seeded, zone, PLAN.horizon_days))
        seconds = time.perf_counter() - started
        print(f"{feed.left:,} free slots read from availability in {seconds:.1f} s")

        wait_for_quiet(args.quiet_load)
        servers = {"petpro": product, "raw": raw}
        order = ["raw", "petpro"] if args.only is None else [args.only]
        rates = {"petpro": 1500.0, "raw": 3000.0}
        runs = []
        for round_ in range(1, args.rounds + 1):
            for label in order if round_ % 2 else list(reversed(order)):
                run = measure(
                    servers[label],
                    label=label,
                    round_=round_,
                    feed=feed,
                    seeded=seeded,
                    args=args,
                    rates=rates,
                    work=work,
                    database_url=database_url,
                )
                runs.append(run)
                print(
                    f"  round {round_} {label:6}: {run.result.requests_per_second:8,.0f} req/s, "
                    f"p99 {run.result.p99:6.1f} ms, statuses {dict(run.result.statuses)}"
                )
        return 0 if report(runs, args) else 1


async def _seed(database_url: str, data_dir: Path, owners: int) -> Seeded:
    container = seed_container(database_url, data_dir)
    try:
        seeded = await seed(container, PLAN, owners=owners, pets_per_owner=2)
        await deliver_events(container, seeded)
        return seeded
    finally:
        await container.backbone().close()
        await container.databases().dispose()


if __name__ == "__main__":
    sys.exit(main())
