"""A booking's events reach auth's booking history through real workers: the HTTP app on
PostgreSQL with Redis Streams (so it runs no workers of its own) books over HTTP; separate
`petpro worker` processes for auth, booking and clinic relay each context's outbox to Redis
and run its consumers; auth's projection then shows the booking in GET /users/me/bookings,
confirmed, and later cancelled."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Api, ApiFactory
from tests.support.clinic_http import Person, bookable_clinic, ok, owner_with_pet
from tests.support.servers import configured_redis_url, require_redis
from tests.support.workers import WorkerPool, WorkerProcess, wait_until, worker_environment

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

make_api = e2e.make_api  # the e2e tier's app factory (a fixture), reused here

START = "2026-01-05T10:00:00+09:00"  # a Monday; the app's clock stands at 2026-01-01
DEADLINE_SECONDS = 30.0


@pytest.fixture
def redis_url() -> str:
    return require_redis(configured_redis_url())


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A throw-away stream prefix; its keys are deleted afterwards (never FLUSHALL)."""
    name = f"petpro-test-{secrets.token_hex(6)}"
    yield name
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{name}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _ready_or_ended(worker: WorkerProcess) -> bool:
    return bool(worker.logged("event backbone running")) or not worker.running()


@pytest.fixture
def workers(
    clean_postgres_url: str, redis_url: str, prefix: str, tmp_path: Path
) -> Iterator[WorkerPool]:
    """One `petpro worker` per context (as split services would run them), each running."""
    env = worker_environment(
        database_url=clean_postgres_url,
        redis_url=redis_url,
        stream_prefix=prefix,
        data_dir=tmp_path / "worker-data",
    )
    pool = WorkerPool(env, tmp_path / "logs")
    try:
        started = [pool.start(context) for context in ("auth", "booking", "clinic")]
        for worker in started:
            wait_until(
                partial(_ready_or_ended, worker),
                timeout=DEADLINE_SECONDS,
                message=worker.log_text,
            )
            assert worker.running(), worker.log_text()
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture
def split_api(make_api: ApiFactory, clean_postgres_url: str, redis_url: str, prefix: str) -> Api:
    api = make_api(database_url=clean_postgres_url, redis_url=redis_url, stream_prefix=prefix)
    assert not api.settings.runs_inprocess_workers  # the workers are the other processes
    return api


def history(api: Api, person: Person) -> list[dict[str, Any]]:
    response = api.client.get("/users/me/bookings", headers=person.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def logs(pool: WorkerPool) -> str:
    return "\n".join(f"--- {w.name} ---\n{w.log_text()[-4000:]}" for w in pool.workers)


def test_a_confirmed_booking_reaches_the_owners_history_through_the_workers(
    split_api: Api, workers: WorkerPool
) -> None:
    api = split_api
    clinic = bookable_clinic(api, vets=1)
    owner, pet = owner_with_pet(api, "ann@example.com")
    assert history(api, owner) == []

    booking = ok(
        api.client.post(
            "/bookings",
            json={
                "pet_id": pet,
                "clinic_id": clinic.clinic_id,
                "service_id": clinic.service_id,
                "start": START,
                "payment_method_token": "tok_visa",
            },
            headers={**owner.headers, "Idempotency-Key": "history-1"},
        ),
        201,
    )
    assert booking["status"] == "confirmed"

    def shows(status: str) -> dict[str, Any] | None:
        items = history(api, owner)
        mine = [i for i in items if i["booking_id"] == booking["id"] and i["status"] == status]
        return mine[0] if mine and len(items) == 1 else None

    confirmed = wait_until(
        lambda: shows("confirmed"), timeout=DEADLINE_SECONDS, message=lambda: logs(workers)
    )
    assert confirmed["version"] == booking["version"]
    assert datetime.fromisoformat(confirmed["starts_at"]) == datetime.fromisoformat(START)

    cancelled = ok(
        api.client.post(
            f"/bookings/{booking['id']}/cancel",
            json={"reason": "the cat hid"},
            headers=owner.headers,
        )
    )
    assert cancelled["status"] == "cancelled"
    entry = wait_until(
        lambda: shows("cancelled"), timeout=DEADLINE_SECONDS, message=lambda: logs(workers)
    )
    assert entry["reason"] == "the cat hid"
    assert entry["version"] == cancelled["version"]
    for worker in workers.workers:
        assert worker.running(), worker.log_text()
