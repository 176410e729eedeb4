"""The restock flow on PostgreSQL + Redis with the workers as separate processes: the HTTP
app (PostgreSQL, Redis Streams, so it runs no workers of its own) takes the requests;
`petpro worker` processes for clinic, inventory and vendor relay each context's outbox to
Redis and run the inventory and vendor consumers. Stock falls to the threshold over HTTP and
the rest happens by itself until the goods arrive: stock.low → one purchase order → confirmed,
shipped, delivered in two parts → received into stock → the vendor's status view; each step
is seen through HTTP within 30 s. Then `petpro outbox replay` re-publishes every event of
those contexts: nothing changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Api
from tests.support.restock import (
    ORDERED,
    backbone_settled,
    drop_to_threshold,
    eventually,
    reorders_by_itself,
    set_up,
    ship_and_deliver,
)
from tests.support.workers import (
    WorkerPool,
    run_petpro,
    running_workers,
    worker_environment,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

DEADLINE_SECONDS = 30.0
CONTEXTS = ("clinic", "inventory", "vendor")


@pytest.fixture
def environment(
    clean_postgres_url: str, redis_url: str, prefix: str, tmp_path: Path
) -> dict[str, str]:
    return worker_environment(
        database_url=clean_postgres_url,
        redis_url=redis_url,
        stream_prefix=prefix,
        data_dir=tmp_path / "worker-data",
    )


@pytest.fixture
def workers(environment: dict[str, str], tmp_path: Path) -> Iterator[WorkerPool]:
    """One `petpro worker` per context (as split services would run them), each running."""
    with running_workers(environment, tmp_path / "logs", CONTEXTS, DEADLINE_SECONDS) as pool:
        yield pool


def test_the_restock_flow_runs_through_the_workers(
    split_api: Api, workers: WorkerPool, environment: dict[str, str]
) -> None:
    api = split_api
    try:
        world = set_up(api, deadline=DEADLINE_SECONDS)
        drop_to_threshold(world)
        order = reorders_by_itself(world)
        delivered = ship_and_deliver(world, order)
        assert delivered["quantity_delivered"] == ORDERED
        eventually(lambda: backbone_settled(api, CONTEXTS), DEADLINE_SECONDS, "every event handled")
        before = world.snapshot()

        # Every event of these contexts published again (consumers see each one twice).
        contexts = [arg for context in CONTEXTS for arg in ("--context", context)]
        replay = run_petpro(["outbox", "replay", "--since", "1h", *contexts], environment)
        assert replay.returncode == 0, replay.stderr
        assert "events queued for re-publishing" in replay.stdout
        queued = sum(int(line.split(": ")[1].split()[0]) for line in replay.stdout.splitlines())
        assert queued > 20, replay.stdout
        eventually(lambda: backbone_settled(api, CONTEXTS), DEADLINE_SECONDS, "the replay handled")
        assert world.snapshot() == before
    except AssertionError as error:
        raise AssertionError(f"{error}\n{workers.logs()}") from error
    for worker in workers.workers:
        assert worker.running(), worker.log_text()
