"""`GET /clinics/{id}/availability` over HTTP on PostgreSQL: a clinic with 10 vets over 30
days, against a hand-written raw-asyncpg endpoint with the same SQL, the same computation
(`petpro_core.booking.domain.availability.free_slots`) and the same JSON document
(`bench/baselines/raw_availability.py`).

Set-up (untimed): a fresh database with every context's schema; through the app's own
commands, 10 vets, a clinic in Asia/Tokyo, a 30-minute consultation they all perform on the
default 15-minute grid, weekday hours 09:00-12:30 and 14:00-18:00, a clinic holiday and one
vet's week of leave, owners with pets; the app's event backbone fills booking's caches. Then
--booked of the free slots of the next 30 days are booked through the real
`POST /bookings`, spread at random, so the busy intervals are realistic.

Measured: `wrk -t2 -c<connections> -d<seconds>s --latency` against `petpro serve --workers
<workers>` (its relays, consumers and sweepers off, as when a separate `petpro worker` runs
them; `--inprocess-workers` measures the all-in-one deployment instead) and against the
baseline under the same uvicorn settings, each request asking
for 30 days of slots (windows starting on one of the next seven days, any vet), with an
owner's access token. Each server gets a short warm-up; rounds alternate which goes first.
Both answers are checked to be the same document before the runs.

RATIO = petpro req/s / raw req/s (over all rounds).      Goal: >= 0.5
P99 = petpro's p99 latency at --connections (median).    Goal: <= 50 ms

Run:  .venv/bin/python bench/availability_http.py [--seconds 15] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

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
from petpro_core.clinic.commands import AddScheduleException
from petpro_core.shared.actors import OPERATOR_ACTOR

RATE_GOAL = 0.5
P99_GOAL_MS = 50.0
WINDOW_DAYS = 30
WINDOWS = 7  # requests ask for 30 days starting on one of the next 7 days
PAYMENT_TOKEN = "tok_visa"  # noqa: S105 - the fake gateway's success token

PLAN = ClinicPlan(
    name="Meguro Veterinary Hospital",
    time_zone="Asia/Tokyo",
    vets=10,
    hours=[
        (day, start, end)
        for day in range(1, 6)
        for start, end in (
            (clock_time(9), clock_time(12, 30)),
            (clock_time(14), clock_time(18)),
        )
    ],
    service_name="General consultation",
    duration_minutes=30,
    buffer_after_minutes=0,
    price="4400",
    currency="JPY",
    slot_minutes=15,
    horizon_days=60,
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
    parser.add_argument("--owners", type=int, default=50)
    parser.add_argument(
        "--inprocess-workers",
        action="store_true",
        help="run petpro serve all-in-one, its relays, consumers and sweepers in the same "
        "processes (by default they are off, as with a separate `petpro worker`, and as the "
        "booking benchmark measures)",
    )
    parser.add_argument(
        "--booked", type=float, default=0.25, help="share of the 30 days' slots booked first"
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


def windows(zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    today = datetime.now(zone).date()
    return [
        (
            datetime.combine(today + timedelta(days=offset), clock_time(), zone),
            datetime.combine(today + timedelta(days=offset + WINDOW_DAYS), clock_time(), zone),
        )
        for offset in range(1, WINDOWS + 1)
    ]


def availability_path(seeded: Seeded, window: tuple[datetime, datetime]) -> str:
    query = urlencode(
        {
            "service_id": str(seeded.service_id),
            "from": window[0].isoformat(),
            "to": window[1].isoformat(),
        }
    )
    return f"/clinics/{seeded.clinic_id}/availability?{query}"


def availability_requests(seeded: Seeded, zone: ZoneInfo) -> list[Request]:
    """Every owner asks for each window, interleaved."""
    return [
        Request(
            method="GET",
            path=availability_path(seeded, window),
            headers={"Authorization": f"Bearer {owner.token}"},
        )
        for owner in seeded.owners
        for window in windows(zone)
    ]


def get_availability(
    server: Server, seeded: Seeded, window: tuple[datetime, datetime]
) -> dict[str, Any]:
    status, body = http_json(
        "GET",
        server.url + availability_path(seeded, window),
        headers={"Authorization": f"Bearer {seeded.owners[0].token}"},
        timeout=60,
    )
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"{server.name} availability answered {status}: {body}")
    return body


def book_some(server: Server, seeded: Seeded, zone: ZoneInfo, share: float) -> tuple[int, int]:
    """Book `share` of the next 30 days' free slots (at random, skipping ones that now
    overlap a booking made before them) through POST /bookings; (booked, slots before)."""
    rng = random.Random(20_261_201)  # noqa: S311 - test data
    first = windows(zone)[0]
    slots = get_availability(server, seeded, first)["slots"]
    wanted = rng.sample(slots, int(len(slots) * share))
    pets = seeded.pets

    def book(index: int, slot: dict[str, Any]) -> int:
        owner, pet_id = pets[index % len(pets)]
        status, body = http_json(
            "POST",
            f"{server.url}/bookings",
            body={
                "pet_id": str(pet_id),
                "clinic_id": str(seeded.clinic_id),
                "service_id": str(seeded.service_id),
                "vet_id": slot["vet_id"],
                "start": slot["starts_at"],
                "products": [],
                "payment_method_token": PAYMENT_TOKEN,
            },
            headers={
                "Authorization": f"Bearer {owner.token}",
                "Idempotency-Key": f"seed-{index}",
            },
        )
        # 202: held while the saga finishes in the background; 409: overlaps one made before
        if status not in (201, 202, 409):
            raise RuntimeError(f"booking answered {status}: {body}")
        return status

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(book, range(len(wanted)), wanted))
    return statuses.count(201) + statuses.count(202), len(slots)


async def add_closures(database_url: str, data_dir: Path, seeded: Seeded, zone: ZoneInfo) -> None:
    """A clinic holiday in the second week and one vet's week of leave in the third."""
    container = seed_container(database_url, data_dir)
    bus = container.bus()
    today = datetime.now(zone).date()
    try:
        await bus.execute(
            AddScheduleException(
                actor=OPERATOR_ACTOR,
                clinic_id=seeded.clinic_id,
                kind="holiday",
                first_day=_next_weekday(today + timedelta(days=8)),
                last_day=_next_weekday(today + timedelta(days=8)),
                reason="Clinic holiday",
            )
        )
        await bus.execute(
            AddScheduleException(
                actor=OPERATOR_ACTOR,
                clinic_id=seeded.clinic_id,
                kind="leave",
                vet_id=seeded.vet_ids[3],
                first_day=today + timedelta(days=15),
                last_day=today + timedelta(days=21),
                reason="Conference",
            )
        )
        await deliver_events(container, seeded, schedule_exceptions=2)
    finally:
        await container.backbone().close()
        await container.databases().dispose()


def _next_weekday(day: date) -> date:
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return day


def difference(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> str:
    for want, got in zip(expected, actual, strict=True):
        if want.keys() != got.keys():
            return f"keys {sorted(want)} != {sorted(got)}"
        for key in want:
            if key != "slots" and want[key] != got[key]:
                return f"{key}: {want[key]!r} != {got[key]!r}"
        if len(want["slots"]) != len(got["slots"]):
            return f"{len(want['slots'])} slots != {len(got['slots'])}"
        for one, other in zip(want["slots"], got["slots"], strict=True):
            if one != other:
                return f"slot {one} != {other}"
    return "?"


# -- runs ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Run:
    server: str
    round: int
    result: WrkResult
    cpu: CpuUse

    @property
    def valid(self) -> bool:
        return self.result.count(200) == self.result.requests and self.result.socket_errors == 0


def measure(
    command: ServerCommand,
    *,
    label: str,
    round_: int,
    requests: Path,
    args: argparse.Namespace,
    database: str,
) -> Run:
    with running(command, log_dir=requests.parent) as server:
        run_wrk(server.url, requests, connections=args.connections, seconds=args.warmup)
        result, cpu = measured_run(
            server,
            requests,
            connections=args.connections,
            seconds=args.seconds,
            database=database,
        )
    return Run(server=label, round=round_, result=result, cpu=cpu)


def report(runs: Sequence[Run], connections: int) -> bool:
    print()
    print_table(
        (
            "server",
            "round",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "requests",
            "other",
            "CPU ms/req: server",
            "postgres",
            "wrk",
            "busy",
            "others",
        ),
        [
            (
                run.server,
                run.round,
                run.result.requests_per_second,
                run.result.latency_ms[50],
                run.result.latency_ms[90],
                run.result.p99,
                run.result.requests,
                ", ".join(f"{s}: {n}" for s, n in sorted(run.result.statuses.items()) if s != 200)
                or "-",
                run.cpu.server_ms,
                run.cpu.postgres_ms,
                run.cpu.wrk_ms,
                f"{run.cpu.busy:.0%}",
                f"{run.cpu.others:.0%}",
            )
            for run in runs
        ],
    )
    invalid = [run for run in runs if not run.valid]
    for run in invalid:
        print(f"  ! {run.server} round {run.round}: statuses {dict(run.result.statuses)}")
    product = [run for run in runs if run.server == "petpro"]
    raw = [run for run in runs if run.server == "raw"]
    if not product:
        return not invalid
    product_rate = sum(r.result.requests for r in product) / sum(r.result.seconds for r in product)
    product_p99 = statistics.median(r.result.p99 for r in product)
    print()
    print(f"load average (1 / 5 min): {load_average()}")
    passed = not invalid and product_p99 <= P99_GOAL_MS
    if raw:
        raw_rate = sum(r.result.requests for r in raw) / sum(r.result.seconds for r in raw)
        raw_p99 = statistics.median(r.result.p99 for r in raw)
        ratio = product_rate / raw_rate
        print(f"petpro {product_rate:,.1f} req/s, raw {raw_rate:,.1f} req/s")
        print(
            f"RATIO petpro / raw req/s = {ratio:.2f}   (goal >= {RATE_GOAL})  "
            f"{verdict(ratio >= RATE_GOAL)}"
        )
        print(f"raw p99 {raw_p99:.1f} ms (for reference: the same work without the framework)")
        passed = passed and ratio >= RATE_GOAL
    print(
        f"P99 petpro = {product_p99:.1f} ms at {connections} connections   "
        f"(goal <= {P99_GOAL_MS:.0f} ms)  {verdict(product_p99 <= P99_GOAL_MS)}"
    )
    return passed


def main() -> int:
    args = arguments()
    zone = ZoneInfo(PLAN.time_zone)
    print(
        f"GET availability (10 vets, 30 days) on {display(args.database_url)}: {args.workers} "
        f"workers per server, wrk -t2 -c{args.connections}, {args.rounds} rounds of "
        f"{args.seconds:.0f} s (warm-up {args.warmup:.0f} s), {os.cpu_count()} CPUs"
    )
    with fresh_database(args.database_url) as database_url, work_directory("petpro-bench-") as work:
        data_dir = work / "data"
        started = time.perf_counter()
        seeded = asyncio.run(_seed(database_url, data_dir, args.owners))
        asyncio.run(add_closures(database_url, data_dir, seeded, zone))
        env = app_environment(
            database_url,
            data_dir,
            PETPRO_INPROCESS_WORKERS="true" if args.inprocess_workers else "false",
        )
        product = petpro_serve("petpro", workers=args.workers, env=env)
        raw = uvicorn_app(
            "raw",
            "bench.baselines.raw_availability:app",
            workers=args.workers,
            env={
                "BENCH_DATABASE_URL": libpq_url(database_url),
                "BENCH_JWT_KEY_FILE": str(data_dir / "jwt-ed25519.pem"),
            },
            ready_path="/health/ready",
        )
        with running(product, log_dir=work) as server:
            booked, slots = book_some(server, seeded, zone, args.booked)
            reference = [get_availability(server, seeded, w) for w in windows(zone)[:2]]
        print(
            f"seeded in {time.perf_counter() - started:.1f} s: {slots} free slots in the first "
            f"window, {booked} of them booked; each request answers about "
            f"{len(reference[0]['slots'])} slots ({len(json.dumps(reference[0])) // 1024} KiB)"
        )
        with running(raw, log_dir=work) as server:
            answers = [get_availability(server, seeded, w) for w in windows(zone)[:2]]
        if answers != reference:
            raise RuntimeError(f"the baseline's answer differs: {difference(reference, answers)}")

        wait_for_quiet(args.quiet_load)
        requests = work / "availability.txt"
        write_requests(requests, availability_requests(seeded, zone))
        servers = {"petpro": product, "raw": raw}
        order = ["raw", "petpro"] if args.only is None else [args.only]
        runs = []
        for round_ in range(1, args.rounds + 1):
            for label in order if round_ % 2 else list(reversed(order)):
                run = measure(
                    servers[label],
                    label=label,
                    round_=round_,
                    requests=requests,
                    args=args,
                    database=make_url(database_url).database or "",
                )
                runs.append(run)
                print(
                    f"  round {round_} {label:6}: {run.result.requests_per_second:8,.1f} req/s, "
                    f"p99 {run.result.p99:6.1f} ms, statuses {dict(run.result.statuses)}"
                )
        return 0 if report(runs, args.connections) else 1


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
