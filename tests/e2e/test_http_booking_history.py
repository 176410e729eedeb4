"""A user's booking history over HTTP: booking's events, committed to booking's outbox, reach
auth's history through the all-in-one app's in-process backbone (HTTP booking is not needed
to seed it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from adapters.memory.booking import InMemoryBookingUnitOfWork
from petpro_core.contracts.booking import BookingCancelled, BookingCreated, BookingSnapshot
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from tests.e2e.conftest import Api, assert_problem

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
PRICE = Money(Decimal("30.00"), "EUR")


def eventually(check: Callable[[], Any], seconds: float = 5.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def booking_event(
    event_type: type[BookingSnapshot],
    booking_id: UUID,
    owner_id: UUID,
    version: int,
    *,
    starts_at: datetime = T0,
    **extra: Any,
) -> BookingSnapshot:
    return event_type(
        booking_id=booking_id,
        owner_id=owner_id,
        pet_id=booking_id,
        clinic_id=booking_id,
        service_id=booking_id,
        vet_id=None,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=20),
        price=PRICE,
        aggregate_version=version,
        occurred_at=T0,
        **extra,
    )


def publish(api: Api, *events: BookingSnapshot) -> None:
    """Commit the events to booking's outbox, in the app's event loop, as booking would."""
    store = api.container.booking.memory_store()

    async def commit() -> None:
        async with InMemoryBookingUnitOfWork(store) as uow:
            uow.record(*events)
            await uow.commit()

    api.client.blocking_portal.call(commit)


def me(api: Api, headers: dict[str, str]) -> UUID:
    return UUID(api.client.get("/users/me", headers=headers).json()["id"])


def test_my_bookings_follow_booking_events(api: Api) -> None:
    ann = api.user("ann@example.com")
    ann_id = me(api, ann)
    empty = api.client.get("/users/me/bookings", headers=ann)
    assert empty.status_code == 200, empty.text
    assert empty.json() == {
        "owner_id": str(ann_id),
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }

    first, second = new_id(), new_id()
    publish(
        api,
        booking_event(BookingCreated, first, ann_id, 1, starts_at=T0 + timedelta(days=1)),
        booking_event(BookingCreated, second, ann_id, 1, starts_at=T0 + timedelta(days=5)),
    )
    publish(
        api,
        booking_event(
            BookingCancelled,
            first,
            ann_id,
            2,
            starts_at=T0 + timedelta(days=1),
            cancelled_by="owner",
            cancelled_by_user_id=ann_id,
            reason="the cat recovered",
            refund=PRICE,
        ),
    )

    def cancelled_and_listed() -> dict[str, Any]:
        body: dict[str, Any] = api.client.get("/users/me/bookings", headers=ann).json()
        assert body["total"] == 2
        assert body["items"][1]["status"] == "cancelled"
        return body

    body = eventually(cancelled_and_listed)
    newest, oldest = body["items"]
    assert newest["booking_id"] == str(second) and newest["status"] == "created"
    assert newest["reason"] is None and newest["version"] == 1
    assert oldest["booking_id"] == str(first) and oldest["reason"] == "the cat recovered"
    assert datetime.fromisoformat(oldest["starts_at"]) == T0 + timedelta(days=1)
    assert oldest["version"] == 2

    page = api.client.get("/users/me/bookings", params={"limit": 1, "offset": 1}, headers=ann)
    assert [i["booking_id"] for i in page.json()["items"]] == [str(first)]
    assert page.json()["total"] == 2
    assert_problem(
        api.client.get("/users/me/bookings", params={"limit": 0}, headers=ann),
        422,
        "validation-error",
    )


def test_admins_read_anyones_history_others_are_refused(api: Api) -> None:
    ann = api.user("ann@example.com")
    ann_id = me(api, ann)
    bob = api.user("bob@example.com")
    admin = api.admin()
    booking_id = new_id()
    publish(api, booking_event(BookingCreated, booking_id, ann_id, 1))

    def listed_for_admin() -> None:
        response = api.client.get(f"/users/{ann_id}/bookings", headers=admin)
        assert response.status_code == 200, response.text
        assert [i["booking_id"] for i in response.json()["items"]] == [str(booking_id)]

    eventually(listed_for_admin)
    own = api.client.get(f"/users/{ann_id}/bookings", headers=ann)
    assert own.status_code == 200 and own.json()["total"] == 1
    assert_problem(
        api.client.get(f"/users/{ann_id}/bookings", headers=bob), 403, "permission-denied"
    )
    assert_problem(
        api.client.get(f"/users/{new_id()}/bookings", headers=admin), 404, "user-not-found"
    )
    assert_problem(api.client.get("/users/me/bookings"), 401)
