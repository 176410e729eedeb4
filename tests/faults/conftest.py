"""Fixtures of the fault suite: a fresh PostgreSQL database per module (auth and booking
migrated), and per test a `FaultLab` with emptied tables, its own Redis key prefix (deleted
afterwards; never FLUSHALL, other tests share the server) and a pool of `petpro worker`
processes, all stopped when the test ends. A failing test prints the workers' logs."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from adapters.sql import migrate
from adapters.sql.database import CONTEXT_SCHEMAS, SqlDatabase
from tests.faults.lab import FaultLab
from tests.support.servers import (
    configured_redis_url,
    fresh_postgres_database,
    libpq_url,
    require_redis,
    truncate_context_tables,
)
from tests.support.workers import WorkerPool, worker_environment


@pytest.fixture(scope="module")
def fault_database_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        database = SqlDatabase(url)
        for context in CONTEXT_SCHEMAS:
            migrate.upgrade(database, context)
        yield url


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
async def lab(
    fault_database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[FaultLab]:
    redis_url = require_redis(configured_redis_url())
    truncate_context_tables(fault_database_url, CONTEXT_SCHEMAS)
    prefix = f"petpro-faults-{secrets.token_hex(6)}"
    env = worker_environment(
        database_url=fault_database_url,
        redis_url=redis_url,
        stream_prefix=prefix,
        data_dir=tmp_path / "data",
    )
    pool = WorkerPool(env, tmp_path / "logs")
    database = SqlDatabase(fault_database_url)
    sql = psycopg.connect(libpq_url(fault_database_url), autocommit=True)
    redis_client = redis.Redis.from_url(redis_url)
    lab = FaultLab(
        database=database,
        sql=sql,
        redis_client=redis_client,
        redis_url=redis_url,
        prefix=prefix,
        pool=pool,
    )
    try:
        yield lab
    finally:
        pool.kill_all()
        if request.node.stash.get(_FAILED, False):
            print(_worker_logs(pool))
        lab.lose_redis_data()
        redis_client.close()
        sql.close()
        await database.dispose()


def _worker_logs(pool: WorkerPool, tail: int = 40) -> str:
    """Each worker's log without the per-event lines, plus its last lines."""
    parts = []
    for worker in pool.workers:
        lines = worker.log_text().splitlines()
        notable = [line for line in lines if '"message": "handled ' not in line]
        parts.append(
            f"--- {worker.name} {' '.join(worker.args)} (pid {worker.pid}, exit "
            f"{worker.returncode}; {worker.log_path}) ---\n"
            + "\n".join(notable[-tail:] if len(notable) > tail else notable)
        )
    return "\n".join(parts)
