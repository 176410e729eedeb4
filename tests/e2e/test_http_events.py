"""The all-in-one app runs the event backbone in-process: what the API changes reaches the
subscribing contexts, in the context of the request that changed it."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import pytest

from petpro_core.booking.commands import GetCachedPet
from petpro_core.booking.domain.errors import CachedPetNotFound
from petpro_core.booking.domain.pet_cache import CachedPet
from runtimes.observability.logging import MessageContextFilter
from tests.e2e.conftest import Api

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def eventually(check: Callable[[], Any], seconds: float = 5.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except (AssertionError, CachedPetNotFound):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def cached_pet(api: Api, pet_id: str, **kwargs: Any) -> CachedPet:
    pet: CachedPet = api.execute(GetCachedPet(pet_id=UUID(pet_id), **kwargs))
    return pet


@pytest.fixture
def consumer_log() -> Iterator[io.StringIO]:
    """What the consumers log, one JSON object per line, with the message context."""
    from pythonjsonlogger.json import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MessageContextFilter())
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("petpro.consumer")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(previous)


def test_a_pet_created_over_http_reaches_the_booking_cache(api: Api) -> None:
    owner = api.user("ann@example.com")
    created = api.client.post("/pets", json={"name": "Pochi", "species": "dog"}, headers=owner)
    assert created.status_code == 201, created.text
    pet_id = created.json()["id"]

    pet = eventually(lambda: cached_pet(api, pet_id))
    assert (pet.name, pet.species, pet.version) == ("Pochi", "dog", 1)

    renamed = api.client.patch(f"/pets/{pet_id}", json={"name": "Pochi II"}, headers=owner)
    assert renamed.status_code == 200
    eventually(lambda: _assert_name(api, pet_id, "Pochi II"))

    assert api.client.delete(f"/pets/{pet_id}", headers=owner).status_code == 204
    tombstone = eventually(lambda: _assert_deleted(api, pet_id))
    assert tombstone.version == 3


def _assert_name(api: Api, pet_id: str, name: str) -> None:
    assert cached_pet(api, pet_id).name == name


def _assert_deleted(api: Api, pet_id: str) -> CachedPet:
    pet = cached_pet(api, pet_id, include_deleted=True)
    assert pet.deleted
    return pet


def test_consumers_log_the_correlation_id_and_trace_of_the_request(
    api: Api, consumer_log: io.StringIO
) -> None:
    owner = api.user("ann@example.com")
    created = api.client.post(
        "/pets",
        json={"name": "Pochi", "species": "dog"},
        headers={**owner, "X-Correlation-ID": "support-ticket-4711", "traceparent": TRACEPARENT},
    )
    assert created.status_code == 201
    assert created.headers["x-correlation-id"] == "support-ticket-4711"

    def handled_lines() -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in consumer_log.getvalue().splitlines()]
        handled = [line for line in lines if line.get("aggregate_id") == created.json()["id"]]
        assert handled
        return handled

    [line] = eventually(handled_lines)
    assert line["correlation_id"] == "support-ticket-4711"
    trace_id = TRACEPARENT.split("-")[1]
    assert line["traceparent"].split("-")[1] == trace_id  # the same trace, a new span
    assert line["traceparent"] != TRACEPARENT
    assert line["causation_id"]  # the event that caused the consumer's work


def test_a_request_without_a_correlation_id_gets_one(api: Api) -> None:
    response = api.client.get("/health/live")
    assert UUID(response.headers["x-correlation-id"])


def test_metrics_show_the_outbox_backlog_and_http_requests(api: Api) -> None:
    api.user("ann@example.com")
    eventually(lambda: _assert_drained(api))

    body = api.client.get("/metrics").text

    assert 'petpro_outbox_pending{context="auth"} 0.0' in body
    assert 'petpro_outbox_oldest_pending_age_seconds{context="auth"} 0.0' in body
    assert 'petpro_consumer_pending{group="booking",stream=' in body
    assert 'litestar_requests_total{app_name="petpro"' in body


def _assert_drained(api: Api) -> None:
    statuses = api.client.blocking_portal.call(api.container.backbone().outbox_status)
    assert all(status.pending == 0 for status in statuses)
