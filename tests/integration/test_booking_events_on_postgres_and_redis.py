"""A booking's events reach auth's booking history through real workers: the HTTP app on
PostgreSQL with Redis Streams (so it runs no workers of its own) books over HTTP; separate
`petpro worker` processes for auth, booking and clinic relay each context's outbox to Redis
and run its consumers; auth's projection then shows the booking in GET /users/me/bookings,
confirmed, and later cancelled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Api
from tests.support.clinic_http import Person, bookable_clinic, ok, owner_with_pet
from tests.support.workers import WorkerPool, running_workers, wait_until, worker_environment

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

START = "2026-01-05T10:00:00+09:00"  # a Monday; the app's clock stands at 2026-01-01
DEADLINE_SECONDS = 30.0


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
    contexts = ("auth", "booking", "clinic")
    with running_workers(env, tmp_path / "logs", contexts, DEADLINE_SECONDS) as pool:
        yield pool


def history(api: Api, person: Person) -> list[dict[str, Any]]:
    response = api.client.get("/users/me/bookings", headers=person.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


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
        lambda: shows("confirmed"), timeout=DEADLINE_SECONDS, message=lambda: workers.logs()
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
        lambda: shows("cancelled"), timeout=DEADLINE_SECONDS, message=lambda: workers.logs()
    )
    assert entry["reason"] == "the cat hid"
    assert entry["version"] == cancelled["version"]
    for worker in workers.workers:
        assert worker.running(), worker.log_text()
