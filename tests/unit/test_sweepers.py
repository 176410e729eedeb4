"""Periodic jobs: a pass every interval, a failing pass does not stop the next, stop ends it;
each context contributes its jobs."""

from __future__ import annotations

import asyncio

from runtimes.containers import build_container
from runtimes.settings import Settings
from runtimes.sweepers import Sweeper, application_sweepers, run_sweepers


async def test_a_sweeper_runs_every_interval_survives_failures_and_stops() -> None:
    passes: list[int] = []
    four_passes = asyncio.Event()

    async def job() -> int:
        passes.append(len(passes))
        if len(passes) == 4:
            four_passes.set()
        if len(passes) == 2:
            raise RuntimeError("a bad pass")
        return 1

    stop = asyncio.Event()
    task = asyncio.create_task(run_sweepers([Sweeper("test", 0.01, job)], stop))
    await asyncio.wait_for(four_passes.wait(), 5)
    stop.set()
    await asyncio.wait_for(task, 1)
    settled = len(passes)
    await asyncio.sleep(0.05)
    assert len(passes) == settled >= 4


async def test_the_first_pass_waits_one_interval() -> None:
    calls: list[str] = []

    async def job() -> int:
        calls.append("pass")
        return 0

    stop = asyncio.Event()
    task = asyncio.create_task(Sweeper("slow", 60, job).run(stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 1)
    assert calls == []


async def test_contexts_contribute_their_jobs() -> None:
    container = build_container(Settings(database_url="memory://"))
    names = {sweeper.name for sweeper in application_sweepers(container)}
    inventory = [
        "inventory-reservations",
        "pending-customer-orders",
        "uncollected-customer-orders",
        "customer-order-idempotency-keys",
    ]
    notification = ["notification-dispatch", "appointment-reminders"]
    assert names == {"booking-sagas", "idempotency-keys", *inventory, *notification}
    assert [s.name for s in application_sweepers(container, ["notification"])] == notification
    assert [s.name for s in application_sweepers(container, ["inventory"])] == inventory
    assert application_sweepers(container, ["auth"]) == []
    # The jobs run against the memory stores: nothing is due.
    for sweeper in application_sweepers(container):
        assert await sweeper.job() == 0
