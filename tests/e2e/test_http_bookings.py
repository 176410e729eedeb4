"""Booking over HTTP on memory storage: availability, booking with Idempotency-Key and the
fake payment gateway, the views, cancellation with refunds, rescheduling, and who may see
what (another user's booking is a 404)."""

from __future__ import annotations

from typing import Any

from adapters.payments.fake_gateway import FakePaymentGateway
from tests.e2e.conftest import Api, assert_problem
from tests.support.clinic_http import BookableClinic, bookable_clinic, ok, owner_with_pet

DAY = "2026-01-02"  # a Friday; the app's clock stands at 2026-01-01 18:00 in Tokyo
WINDOW = {"from": f"{DAY}T00:00:00+09:00", "to": "2026-01-03T00:00:00+09:00"}


def _slots(api: Api, clinic: BookableClinic, headers: dict[str, str], **query: str) -> list[Any]:
    body = ok(
        api.client.get(
            f"/clinics/{clinic.clinic_id}/availability",
            params={"service_id": clinic.service_id, **WINDOW, **query},
            headers=headers,
        )
    )
    slots: list[Any] = body["slots"]
    return slots


def _book(
    api: Api,
    clinic: BookableClinic,
    headers: dict[str, str],
    pet_id: str,
    start: str,
    *,
    key: str,
    token: str = "tok_visa",
    **extra: Any,
) -> Any:
    body = {
        "pet_id": pet_id,
        "clinic_id": clinic.clinic_id,
        "service_id": clinic.service_id,
        "start": start,
        "payment_method_token": token,
        **extra,
    }
    return api.client.post("/bookings", json=body, headers={**headers, "Idempotency-Key": key})


def _gateway(api: Api) -> FakePaymentGateway:
    gateway: FakePaymentGateway = api.container.booking.payments()
    return gateway


def test_availability_lists_free_slots_in_the_clinics_zone(api: Api) -> None:
    clinic = bookable_clinic(api, vets=2)
    owner, _ = owner_with_pet(api, "ann@example.com")
    slots = _slots(api, clinic, owner.headers)
    # 09:00-12:00 and 14:00-18:00, 30-minute slots, a 30-minute visit plus 10 minutes after.
    starts = sorted({s["starts_at"] for s in slots})
    assert starts[0] == f"{DAY}T09:00:00+09:00"
    assert f"{DAY}T11:00:00+09:00" in starts and f"{DAY}T11:30:00+09:00" not in starts
    assert starts[-1] == f"{DAY}T17:00:00+09:00"
    assert len(slots) == 2 * (5 + 7)
    one_vet = _slots(api, clinic, owner.headers, vet_id=clinic.vets[0].user_id)
    assert {s["vet_id"] for s in one_vet} == {clinic.vets[0].user_id} and len(one_vet) == 12

    assert_problem(
        api.client.get(
            f"/clinics/{clinic.clinic_id}/availability",
            params={
                "service_id": clinic.service_id,
                "from": WINDOW["from"],
                "to": "2026-03-01T00:00:00+09:00",
            },
            headers=owner.headers,
        ),
        422,
    )


def test_booking_confirms_charges_once_and_replays_by_idempotency_key(api: Api) -> None:
    clinic = bookable_clinic(api, vets=1)
    owner, pet_id = owner_with_pet(api, "ann@example.com")
    start = f"{DAY}T09:30:00+09:00"

    first = _book(api, clinic, owner.headers, pet_id, start, key="k-1")
    booking = ok(first, 201)
    assert booking["status"] == "confirmed" and booking["price"] == {
        "amount": "6600",
        "currency": "JPY",
    }
    assert booking["vet_id"] == clinic.vets[0].user_id
    assert first.headers["location"] == f"/bookings/{booking['id']}"

    again = _book(api, clinic, owner.headers, pet_id, start, key="k-1")
    assert again.status_code == 201 and again.json() == booking
    assert again.headers["idempotent-replayed"] == "true"
    assert len(_gateway(api).charges) == 1

    other_body = _book(api, clinic, owner.headers, pet_id, f"{DAY}T10:00:00+09:00", key="k-1")
    assert_problem(other_body, 422, "idempotency-key-reused")
    body = {
        "pet_id": pet_id,
        "clinic_id": clinic.clinic_id,
        "service_id": clinic.service_id,
        "start": f"{DAY}T10:00:00+09:00",
        "payment_method_token": "tok_visa",
    }
    missing = api.client.post("/bookings", json=body, headers=owner.headers)
    assert_problem(missing, 400, "idempotency-key-missing")

    # The slot is gone for everyone; another owner trying it gets 409.
    assert f"{DAY}T09:30:00+09:00" not in {
        s["starts_at"] for s in _slots(api, clinic, owner.headers)
    }
    rival, rival_pet = owner_with_pet(api, "bob@example.com", "dog")
    taken = _book(api, clinic, rival.headers, rival_pet, start, key="k-2")
    assert_problem(taken, 409)


def test_a_declined_payment_is_402_and_frees_the_slot(api: Api) -> None:
    clinic = bookable_clinic(api, vets=1)
    owner, pet_id = owner_with_pet(api, "ann@example.com")
    start = f"{DAY}T14:00:00+09:00"
    declined = _book(api, clinic, owner.headers, pet_id, start, key="d-1", token="tok_declined")
    problem = assert_problem(declined, 402, "payment-declined")
    failed = ok(api.client.get(f"/bookings/{problem['booking_id']}", headers=owner.headers))
    assert failed["status"] == "failed"
    assert start in {s["starts_at"] for s in _slots(api, clinic, owner.headers)}
    # The replay answers the same problem; a new key books the slot.
    assert (
        _book(api, clinic, owner.headers, pet_id, start, key="d-1", token="tok_declined").json()
        == problem
    )
    ok(_book(api, clinic, owner.headers, pet_id, start, key="d-2"), 201)


def test_a_charge_that_timed_out_is_not_taken_twice(api: Api) -> None:
    clinic = bookable_clinic(api, vets=1)
    owner, pet_id = owner_with_pet(api, "ann@example.com")
    response = _book(
        api,
        clinic,
        owner.headers,
        pet_id,
        f"{DAY}T15:00:00+09:00",
        key="t-1",
        token="tok_timeout_after_charge",
    )
    assert ok(response, 201)["status"] == "confirmed"
    gateway = _gateway(api)
    assert len(gateway.charges) == 1 and not gateway.refunds


def test_who_sees_a_booking_and_the_clinics_day_sheet(api: Api) -> None:
    clinic = bookable_clinic(api, vets=2)
    owner, pet_id = owner_with_pet(api, "ann@example.com")
    stranger, _ = owner_with_pet(api, "eve@example.com")
    booking = ok(_book(api, clinic, owner.headers, pet_id, f"{DAY}T10:00:00+09:00", key="v-1"), 201)
    path = f"/bookings/{booking['id']}"

    assert ok(api.client.get(path, headers=owner.headers))["id"] == booking["id"]
    assert ok(api.client.get(path, headers=clinic.desk.headers))["id"] == booking["id"]
    assert ok(api.client.get(path, headers=clinic.admin.headers))["id"] == booking["id"]
    assert_problem(api.client.get(path, headers=stranger.headers), 404, "booking-not-found")
    assert_problem(
        api.client.post(f"{path}/cancel", json={"reason": "mine now"}, headers=stranger.headers),
        404,
    )

    mine = ok(api.client.get("/bookings", headers=owner.headers))
    assert mine["total"] == 1 and mine["items"][0]["id"] == booking["id"]
    assert ok(api.client.get("/bookings", headers=stranger.headers))["total"] == 0

    sheet = ok(
        api.client.get(
            f"/clinics/{clinic.clinic_id}/day-sheet",
            params={"day": DAY},
            headers=clinic.desk.headers,
        )
    )
    assert sheet["time_zone"] == "Asia/Tokyo" and sheet["day"] == DAY
    rows = {vet["vet_id"]: vet["bookings"] for vet in sheet["vets"]}
    assert [b["id"] for b in rows[booking["vet_id"]]] == [booking["id"]]
    assert_problem(
        api.client.get(
            f"/clinics/{clinic.clinic_id}/day-sheet", params={"day": DAY}, headers=owner.headers
        ),
        403,
    )


def test_cancellation_refunds_by_the_clinics_policy(api: Api) -> None:
    clinic = bookable_clinic(api, vets=1)
    owner, pet_id = owner_with_pet(api, "ann@example.com")
    # The clock stands at Thursday 18:00 in Tokyo: Monday is days away, Friday 17:00 is 23 h.
    early = ok(
        _book(api, clinic, owner.headers, pet_id, "2026-01-05T17:00:00+09:00", key="c-1"), 201
    )
    late = ok(_book(api, clinic, owner.headers, pet_id, f"{DAY}T17:00:00+09:00", key="c-2"), 201)
    by_clinic = ok(
        _book(api, clinic, owner.headers, pet_id, f"{DAY}T09:00:00+09:00", key="c-3"), 201
    )

    def cancel(booking: Any, headers: dict[str, str]) -> Any:
        path = f"/bookings/{booking['id']}/cancel"
        return api.client.post(path, json={"reason": "plans changed"}, headers=headers)

    full = ok(cancel(early, owner.headers))
    assert full["status"] == "cancelled" and full["cancelled_by"] == "owner"
    assert full["refund"] == {"amount": "6600", "currency": "JPY"}
    half = ok(cancel(late, owner.headers))
    assert half["refund"] == {"amount": "3300", "currency": "JPY"}
    clinics = ok(cancel(by_clinic, clinic.desk.headers))
    assert clinics["cancelled_by"] == "clinic"
    assert clinics["refund"] == {"amount": "6600", "currency": "JPY"}

    gateway = _gateway(api)
    assert sorted(str(r.amount.amount) for r in gateway.refunds) == ["3300", "6600", "6600"]
    assert_problem(cancel(late, owner.headers), 409)
    # The slots are free again.
    starts = {s["starts_at"] for s in _slots(api, clinic, owner.headers)}
    assert {f"{DAY}T17:00:00+09:00", f"{DAY}T09:00:00+09:00"} <= starts


def test_rescheduling_moves_atomically_or_not_at_all(api: Api) -> None:
    clinic = bookable_clinic(api, vets=1)
    owner, pet_id = owner_with_pet(api, "ann@example.com")
    rival, rival_pet = owner_with_pet(api, "bob@example.com", "dog")
    booking = ok(_book(api, clinic, owner.headers, pet_id, f"{DAY}T09:00:00+09:00", key="r-1"), 201)
    ok(_book(api, clinic, rival.headers, rival_pet, f"{DAY}T10:00:00+09:00", key="r-2"), 201)
    path = f"/bookings/{booking['id']}/reschedule"

    blocked = api.client.post(path, json={"start": f"{DAY}T10:00:00+09:00"}, headers=owner.headers)
    assert_problem(blocked, 409)
    unchanged = ok(api.client.get(f"/bookings/{booking['id']}", headers=owner.headers))
    assert (
        unchanged["starts_at"] == booking["starts_at"]
        and unchanged["version"] == booking["version"]
    )

    moved = ok(
        api.client.post(path, json={"start": f"{DAY}T14:30:00+09:00"}, headers=owner.headers)
    )
    assert moved["status"] == "confirmed" and moved["version"] == booking["version"] + 1
    starts = {s["starts_at"] for s in _slots(api, clinic, owner.headers)}
    assert f"{DAY}T09:00:00+09:00" in starts and f"{DAY}T14:30:00+09:00" not in starts
    assert_problem(
        api.client.post(path, json={"start": f"{DAY}T12:30:00+09:00"}, headers=owner.headers), 422
    )


def test_owners_book_only_their_own_pets(api: Api) -> None:
    clinic = bookable_clinic(api, vets=1)
    owner, _ = owner_with_pet(api, "ann@example.com")
    _, other_pet = owner_with_pet(api, "bob@example.com")
    response = _book(api, clinic, owner.headers, other_pet, f"{DAY}T09:00:00+09:00", key="o-1")
    assert_problem(response, 404)
    naive = _book(api, clinic, owner.headers, other_pet, "2026-01-02T09:00:00", key="o-2")
    assert_problem(naive, 422, "validation-error")
