"""Booking over HTTP with every context on PostgreSQL (the real app, its in-process workers):
many parallel `POST /bookings` for one slot make exactly one booking and one charge, the
others answer 409 `slot-unavailable` (never a 5xx); one Idempotency-Key sent from several
threads at once makes one booking; and the sequential flow (book, cancel with a refund, a
rescheduling conflict) holds on the database.

Parallel requests: each thread posts through the TestClient, whose transport runs the app in
one event loop (its blocking portal), so the requests interleave at every await, like
concurrent connections to one server process. An ASGI probe counts the requests in flight,
so a test that silently ran them one by one fails.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from httpx import Response

from adapters.payments.fake_gateway import FakePaymentGateway
from tests.e2e import conftest as e2e
from tests.e2e.conftest import Api, ApiFactory, assert_problem
from tests.support.clinic_http import BookableClinic, Person, bookable_clinic, ok, owner_with_pet

pytestmark = pytest.mark.postgres

DAY = "2026-01-02"  # a Friday; the app's clock stands at 2026-01-01 18:00 in Tokyo
WINDOW = {"from": f"{DAY}T00:00:00+09:00", "to": "2026-01-03T00:00:00+09:00"}
SLOT = f"{DAY}T10:00:00+09:00"
PARALLEL = 24


class InFlightProbe:
    """Wraps the ASGI app: counts the HTTP requests running at the same moment."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.running = 0
        self.most = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.running += 1  # one event loop: no lock needed
        self.most = max(self.most, self.running)
        try:
            await self.app(scope, receive, send)
        finally:
            self.running -= 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)


make_api = e2e.make_api  # the e2e tier's app factory (a fixture), reused here


@pytest.fixture
def pg_api(make_api: ApiFactory, clean_postgres_url: str) -> Api:
    return make_api(database_url=clean_postgres_url)


@dataclass
class Attempt:
    headers: dict[str, str]
    body: dict[str, Any]
    answers: list[Response] = field(default_factory=list)


def booking_body(clinic: BookableClinic, pet_id: str, start: str = SLOT) -> dict[str, Any]:
    return {
        "pet_id": pet_id,
        "clinic_id": clinic.clinic_id,
        "service_id": clinic.service_id,
        "start": start,
        "payment_method_token": "tok_visa",
    }


def all_at_once(api: Api, requests: Sequence[tuple[dict[str, str], dict[str, Any]]]) -> list[Any]:
    """POST /bookings from one thread per request, released together by a barrier; answers
    the responses in order. Fails unless the server really had several in flight at once."""
    probe = InFlightProbe(api.client.app)
    api.client.app = probe
    barrier = threading.Barrier(len(requests))

    def post(request: tuple[dict[str, str], dict[str, Any]]) -> Response:
        headers, body = request
        barrier.wait(timeout=30)
        return api.client.post("/bookings", json=body, headers=headers)

    try:
        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            responses = list(pool.map(post, requests))
    finally:
        api.client.app = probe.app
    assert probe.most >= min(len(requests), 4), f"only {probe.most} requests ran at once"
    return responses


def gateway(api: Api) -> FakePaymentGateway:
    payments: FakePaymentGateway = api.container.booking.payments()
    return payments


def free_starts(api: Api, clinic: BookableClinic, headers: dict[str, str]) -> set[str]:
    body = ok(
        api.client.get(
            f"/clinics/{clinic.clinic_id}/availability",
            params={"service_id": clinic.service_id, **WINDOW},
            headers=headers,
        )
    )
    return {slot["starts_at"] for slot in body["slots"]}


def my_bookings(api: Api, person: Person) -> list[Any]:
    items: list[Any] = ok(api.client.get("/bookings", headers=person.headers))["items"]
    return items


def assert_one_winner(responses: list[Response]) -> Any:
    """Exactly one 201 (confirmed); every other answer a 409 slot-unavailable problem."""
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: len(responses) - 1}, [
        (r.status_code, r.text[:200]) for r in responses if r.status_code != 409
    ]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "slot-unavailable")
    [winner] = [r.json() for r in responses if r.status_code == 201]
    assert winner["status"] == "confirmed"
    return winner


def test_parallel_owners_for_one_slot_make_one_booking(pg_api: Api) -> None:
    api = pg_api
    clinic = bookable_clinic(api, vets=1)
    owners = [owner_with_pet(api, f"owner{n}@example.com") for n in range(PARALLEL)]

    responses = all_at_once(
        api,
        [
            ({**owner.headers, "Idempotency-Key": f"race-{n}"}, booking_body(clinic, pet))
            for n, (owner, pet) in enumerate(owners)
        ],
    )

    winner = assert_one_winner(responses)
    assert winner["vet_id"] == clinic.vets[0].user_id
    assert [str(c.amount.amount) for c in gateway(api).charges] == [winner["price"]["amount"]]
    assert not gateway(api).refunds
    assert SLOT not in free_starts(api, clinic, owners[0][0].headers)
    booked = [b for owner, _ in owners for b in my_bookings(api, owner)]
    assert [b["id"] for b in booked if b["status"] in ("held", "confirmed")] == [winner["id"]]


def test_one_owner_with_many_keys_for_one_slot_makes_one_booking(pg_api: Api) -> None:
    api = pg_api
    clinic = bookable_clinic(api, vets=1)
    owner, pet = owner_with_pet(api, "ann@example.com")

    responses = all_at_once(
        api,
        [
            ({**owner.headers, "Idempotency-Key": f"key-{n}"}, booking_body(clinic, pet))
            for n in range(PARALLEL)
        ],
    )

    winner = assert_one_winner(responses)
    assert len(gateway(api).charges) == 1
    assert [b["id"] for b in my_bookings(api, owner) if b["status"] == "confirmed"] == [
        winner["id"]
    ]
    assert SLOT not in free_starts(api, clinic, owner.headers)


def test_one_key_sent_from_many_threads_makes_one_booking(pg_api: Api) -> None:
    api = pg_api
    clinic = bookable_clinic(api, vets=1)
    owner, pet = owner_with_pet(api, "ann@example.com")
    headers = {**owner.headers, "Idempotency-Key": "the-only-key"}
    body = booking_body(clinic, pet)

    responses = all_at_once(api, [(headers, body)] * 8)

    created = [r for r in responses if r.status_code == 201]
    assert created, [(r.status_code, r.text[:200]) for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "idempotency-key-in-flight")
            assert response.headers.get("retry-after")
        else:
            assert response.status_code == 201, response.text
    # Every 201 is the same booking: the first answer, or its replay.
    assert len({r.json()["id"] for r in created}) == 1
    assert sum(r.headers.get("idempotent-replayed") != "true" for r in created) == 1
    assert len(gateway(api).charges) == 1
    assert len(my_bookings(api, owner)) == 1
    # Afterwards the key replays the answer.
    again = api.client.post("/bookings", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == created[0].json()["id"]
    assert len(gateway(api).charges) == 1


def test_book_cancel_with_refund_and_a_reschedule_conflict(pg_api: Api) -> None:
    api = pg_api
    clinic = bookable_clinic(api, vets=1)
    owner, pet = owner_with_pet(api, "ann@example.com")
    rival, rival_pet = owner_with_pet(api, "bob@example.com", "dog")

    def book(person: Person, pet_id: str, start: str, key: str) -> Response:
        return api.client.post(
            "/bookings",
            json=booking_body(clinic, pet_id, start),
            headers={**person.headers, "Idempotency-Key": key},
        )

    mine = ok(book(owner, pet, f"{DAY}T09:00:00+09:00", "s-1"), 201)
    theirs = ok(book(rival, rival_pet, SLOT, "s-2"), 201)
    assert_problem(book(owner, pet, SLOT, "s-3"), 409, "slot-unavailable")

    # A reschedule onto the rival's slot is refused and leaves the booking as it was.
    path = f"/bookings/{mine['id']}"
    blocked = api.client.post(f"{path}/reschedule", json={"start": SLOT}, headers=owner.headers)
    assert_problem(blocked, 409)
    unchanged = ok(api.client.get(path, headers=owner.headers))
    assert (unchanged["starts_at"], unchanged["version"], unchanged["status"]) == (
        mine["starts_at"],
        mine["version"],
        "confirmed",
    )
    moved = ok(
        api.client.post(
            f"{path}/reschedule", json={"start": f"{DAY}T14:30:00+09:00"}, headers=owner.headers
        )
    )
    assert moved["version"] == mine["version"] + 1

    # The rival cancels: the visit is tomorrow (under a day away), so half is refunded.
    cancelled = ok(
        api.client.post(
            f"/bookings/{theirs['id']}/cancel", json={"reason": "plans"}, headers=rival.headers
        )
    )
    assert cancelled["status"] == "cancelled"
    assert cancelled["refund"] == {"amount": "3300", "currency": "JPY"}
    assert [str(r.amount.amount) for r in gateway(api).refunds] == ["3300"]
    assert len(gateway(api).charges) == 2
    starts = free_starts(api, clinic, owner.headers)
    assert SLOT in starts and f"{DAY}T09:00:00+09:00" in starts
    assert f"{DAY}T14:30:00+09:00" not in starts
    # The freed slot is bookable again.
    ok(book(owner, pet, SLOT, "s-4"), 201)
