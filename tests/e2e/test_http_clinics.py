"""Clinics over HTTP: admins open clinics and manage staff, staff manage services and
hours, everyone signed in reads; errors are problem documents."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from petpro_core.auth.commands import ChangeRoles
from petpro_core.auth.domain.roles import OPERATOR, Role
from petpro_core.shared.money import Money
from runtimes.bridges.clinic_directory import ClinicContextDirectory
from tests.e2e.conftest import Api, assert_problem

ADDRESS = {"lines": ["1-2-3 Jingumae"], "locality": "Shibuya", "region": "Tokyo", "country": "JP"}


def _me(api: Api, headers: dict[str, str]) -> str:
    user_id: str = api.client.get("/users/me", headers=headers).json()["id"]
    return user_id


def _user_with(api: Api, email: str, *roles: Role) -> tuple[dict[str, str], str]:
    headers = api.user(email)
    user_id = _me(api, headers)
    api.execute(ChangeRoles(actor=OPERATOR, user_id=UUID(user_id), grant=frozenset(roles)))
    return headers, user_id


def _clinic(api: Api, admin: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "Shibuya Animal Clinic", "address": ADDRESS, "time_zone": "Asia/Tokyo"}
    response = api.client.post("/clinics", json={**body, **fields}, headers=admin)
    assert response.status_code == 201, response.text
    clinic: dict[str, Any] = response.json()
    return clinic


def _staff(
    api: Api, admin: dict[str, str], clinic: dict[str, Any], user_id: str, role: str
) -> None:
    response = api.client.put(
        f"/clinics/{clinic['id']}/staff/{user_id}", json={"role": role}, headers=admin
    )
    assert response.status_code == 200, response.text


def test_an_admin_opens_a_clinic_and_anyone_signed_in_reads_it(api: Api) -> None:
    admin = api.admin()
    clinic = _clinic(
        api,
        admin,
        phone="+81 3-1234-5678",
        booking_policy={"slot_minutes": 20, "min_notice_minutes": 120},
    )
    assert clinic["version"] == 1 and clinic["staff"] == []
    assert clinic["booking_policy"] == {
        "min_notice_minutes": 120,
        "horizon_days": 60,
        "slot_minutes": 20,
        "full_refund_hours": 24,
        "late_refund_percent": 50,
    }
    assert clinic["address"]["country"] == "JP" and clinic["time_zone"] == "Asia/Tokyo"

    owner = api.user("owner@example.com")
    assert api.client.get(f"/clinics/{clinic['id']}", headers=owner).json() == clinic
    page = api.client.get("/clinics?limit=1", headers=owner).json()
    assert page["total"] == 1 and page["items"] == [clinic] and page["limit"] == 1
    schedule = api.client.get(f"/clinics/{clinic['id']}/schedule", headers=owner).json()
    assert schedule["id"] == clinic["schedule_id"] and schedule["weekly_hours"] == []

    assert_problem(api.client.get(f"/clinics/{clinic['id']}"), 401)
    assert_problem(
        api.client.post(
            "/clinics",
            json={"name": "Mine", "address": ADDRESS, "time_zone": "Asia/Tokyo"},
            headers=owner,
        ),
        403,
        "admin-only",
    )
    unknown = "01900000-0000-7000-8000-000000000000"
    assert_problem(api.client.get(f"/clinics/{unknown}", headers=owner), 404, "clinic-not-found")


def test_clinic_input_is_validated(api: Api) -> None:
    admin = api.admin()
    body = {"name": "X", "address": ADDRESS, "time_zone": "Mars/Olympus"}
    problem = assert_problem(
        api.client.post("/clinics", json=body, headers=admin), 422, "invalid-input"
    )
    assert problem["field"] == "time_zone"
    for bad in (
        {**body, "time_zone": "Asia/Tokyo", "colour": "red"},
        {"name": "X", "address": {**ADDRESS, "lines": []}, "time_zone": "Asia/Tokyo"},
    ):
        assert_problem(
            api.client.post("/clinics", json=bad, headers=admin), 422, "validation-error"
        )
    clinic = _clinic(api, admin)
    patched = api.client.patch(f"/clinics/{clinic['id']}", json={"name": None}, headers=admin)
    assert_problem(patched, 422, "validation-error")


def test_staff_services_and_hours(api: Api) -> None:
    admin = api.admin()
    clinic = _clinic(api, admin)
    cid = clinic["id"]
    vet, vet_id = _user_with(api, "vet@example.com", Role.VET)
    desk, desk_id = _user_with(api, "desk@example.com", Role.CLINIC_STAFF)
    owner = api.user("owner@example.com")

    # Staff must hold the role; the user must exist.
    assert_problem(
        api.client.put(f"/clinics/{cid}/staff/{desk_id}", json={"role": "vet"}, headers=admin),
        422,
        "role-not-held",
    )
    missing = "01900000-0000-7000-8000-000000000001"
    assert_problem(
        api.client.put(f"/clinics/{cid}/staff/{missing}", json={"role": "vet"}, headers=admin),
        404,
        "user-not-found",
    )
    assert_problem(
        api.client.put(f"/clinics/{cid}/staff/{vet_id}", json={"role": "vet"}, headers=desk),
        403,
    )
    _staff(api, admin, clinic, vet_id, "vet")
    _staff(api, admin, clinic, desk_id, "clinic_staff")
    staff = api.client.get(f"/clinics/{cid}", headers=owner).json()["staff"]
    assert staff == [
        {"user_id": vet_id, "role": "vet"},
        {"user_id": desk_id, "role": "clinic_staff"},
    ]

    # Clinic staff edit the profile; vets and owners may not.
    changed = api.client.patch(
        f"/clinics/{cid}",
        json={"phone": "03-0000-0000", "booking_policy": {"horizon_days": 30}},
        headers=desk,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["booking_policy"]["horizon_days"] == 30
    assert changed.json()["version"] == 4
    for headers in (vet, owner):
        assert_problem(
            api.client.patch(f"/clinics/{cid}", json={"name": "Mine"}, headers=headers), 403
        )

    # A vet offers a service; money is a decimal string.
    response = api.client.post(
        f"/clinics/{cid}/services",
        json={
            "name": "Vaccination",
            "duration_minutes": 30,
            "buffer_after_minutes": 10,
            "price": {"amount": "6600", "currency": "JPY"},
            "species": ["dog", "cat"],
            "vet_ids": [vet_id],
        },
        headers=vet,
    )
    assert response.status_code == 201, response.text
    service = response.json()
    assert service["price"] == {"amount": "6600", "currency": "JPY"}
    assert service["vet_ids"] == [vet_id] and service["active"] is True
    sid = service["id"]
    assert api.client.get(f"/clinics/{cid}/services/{sid}", headers=owner).json() == service
    bad_price = api.client.post(
        f"/clinics/{cid}/services",
        json={"name": "X", "duration_minutes": 30, "price": {"amount": "0.5", "currency": "JPY"}},
        headers=vet,
    )
    assert assert_problem(bad_price, 422, "invalid-input")["field"] == "price.amount"
    not_a_vet = api.client.post(
        f"/clinics/{cid}/services",
        json={
            "name": "X",
            "duration_minutes": 30,
            "price": {"amount": 10, "currency": "USD"},
            "vet_ids": [desk_id],
        },
        headers=vet,
    )
    assert_problem(not_a_vet, 422, "vet-not-on-staff")
    assert_problem(
        api.client.post(
            f"/clinics/{cid}/services",
            json={"name": "X", "duration_minutes": 30, "price": {"amount": 10, "currency": "USD"}},
            headers=owner,
        ),
        403,
        "not-clinic-staff",
    )

    withdrawn = api.client.patch(
        f"/clinics/{cid}/services/{sid}", json={"active": False}, headers=desk
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["version"] == 2
    assert api.client.get(f"/clinics/{cid}/services", headers=owner).json() == {"items": []}
    listed = api.client.get(f"/clinics/{cid}/services?include_inactive=true", headers=owner)
    assert [s["id"] for s in listed.json()["items"]] == [sid]

    # Weekly hours: several intervals a day, never overlapping.
    week = [
        {"weekday": 1, "starts": "14:00", "ends": "18:00"},
        {"weekday": 1, "starts": "09:00", "ends": "12:30"},
    ]
    hours = api.client.put(f"/clinics/{cid}/vets/{vet_id}/hours", json=week, headers=vet)
    assert hours.status_code == 200, hours.text
    assert hours.json()["weekly_hours"] == [
        {"vet_id": vet_id, "weekday": 1, "starts": "09:00", "ends": "12:30"},
        {"vet_id": vet_id, "weekday": 1, "starts": "14:00", "ends": "18:00"},
    ]
    overlapping = api.client.put(
        f"/clinics/{cid}/vets/{vet_id}/hours",
        json=[*week, {"weekday": 1, "starts": "12:00", "ends": "13:00"}],
        headers=vet,
    )
    assert_problem(overlapping, 422, "overlapping-hours")
    assert_problem(
        api.client.put(f"/clinics/{cid}/vets/{desk_id}/hours", json=week, headers=admin),
        422,
        "vet-not-on-staff",
    )

    # Exceptions: the clinic's date is 2026-01-01 (the test clock).
    holiday = api.client.post(
        f"/clinics/{cid}/exceptions",
        json={"kind": "holiday", "first_day": "2026-01-12", "last_day": "2026-01-12"},
        headers=desk,
    )
    assert holiday.status_code == 201, holiday.text
    leave = api.client.post(
        f"/clinics/{cid}/exceptions",
        json={
            "kind": "leave",
            "vet_id": vet_id,
            "first_day": "2026-01-05",
            "last_day": "2026-01-05",
            "starts": "13:00",
            "ends": "17:00",
        },
        headers=vet,
    )
    assert leave.status_code == 201, leave.text
    assert leave.json()["starts"] == "13:00" and leave.json()["vet_id"] == vet_id
    schedule = api.client.get(f"/clinics/{cid}/schedule", headers=owner).json()
    assert [e["kind"] for e in schedule["exceptions"]] == ["leave", "holiday"]
    removed = api.client.delete(f"/clinics/{cid}/exceptions/{holiday.json()['id']}", headers=desk)
    assert removed.status_code == 204
    assert_problem(
        api.client.delete(f"/clinics/{cid}/exceptions/{holiday.json()['id']}", headers=desk),
        404,
        "schedule-exception-not-found",
    )

    # Removing the vet takes them off the service and out of the schedule.
    assert api.client.delete(f"/clinics/{cid}/staff/{vet_id}", headers=admin).status_code == 204
    service_now = api.client.get(f"/clinics/{cid}/services/{sid}", headers=owner).json()
    assert service_now["vet_ids"] == [] and service_now["version"] == 3
    schedule = api.client.get(f"/clinics/{cid}/schedule", headers=owner).json()
    assert schedule["weekly_hours"] == [] and schedule["exceptions"] == []


def test_writes_to_unknown_clinics_are_404_and_others_clinics_403(api: Api) -> None:
    admin = api.admin()
    clinic = _clinic(api, admin)
    other = _clinic(api, admin, name="Other")
    vet, vet_id = _user_with(api, "vet@example.com", Role.VET)
    _staff(api, admin, other, vet_id, "vet")
    unknown = "01900000-0000-7000-8000-000000000002"
    service = {"name": "X", "duration_minutes": 30, "price": {"amount": "1", "currency": "EUR"}}
    assert_problem(
        api.client.post(f"/clinics/{unknown}/services", json=service, headers=vet),
        404,
        "clinic-not-found",
    )
    assert_problem(
        api.client.post(f"/clinics/{clinic['id']}/services", json=service, headers=vet),
        403,
        "not-clinic-staff",
    )
    assert_problem(
        api.client.delete(f"/clinics/{unknown}/staff/{vet_id}", headers=admin),
        404,
        "clinic-not-found",
    )
    assert_problem(
        api.client.delete(f"/clinics/{clinic['id']}/staff/{vet_id}", headers=admin),
        404,
        "staff-member-not-found",
    )


def test_booking_reads_clinics_through_the_clinic_directory(api: Api) -> None:
    admin = api.admin()
    clinic = _clinic(api, admin)
    _, vet_id = _user_with(api, "vet@example.com", Role.VET)
    _staff(api, admin, clinic, vet_id, "vet")
    service = api.client.post(
        f"/clinics/{clinic['id']}/services",
        json={
            "name": "Check-up",
            "duration_minutes": 20,
            "price": {"amount": "3300", "currency": "JPY"},
            "vet_ids": [vet_id],
        },
        headers=admin,
    ).json()
    directory = ClinicContextDirectory(api.container.bus)
    call = api.client.blocking_portal.call

    cached = call(directory.find_clinic, UUID(clinic["id"]))
    assert cached is not None and cached.version == 2 and cached.vet_ids == (UUID(vet_id),)
    assert cached.time_zone == "Asia/Tokyo" and cached.policy.slot_minutes == 15
    found = call(directory.find_service, UUID(service["id"]))
    assert found is not None and found.price == Money.of("3300", "JPY") and found.version == 1
    schedule = call(directory.find_schedule, UUID(clinic["id"]))
    assert schedule is not None and schedule.version == 1 and schedule.weekly_hours == ()
    unknown = UUID("01900000-0000-7000-8000-000000000003")
    assert call(directory.find_clinic, unknown) is None
    assert call(directory.find_service, unknown) is None
    assert call(directory.find_schedule, unknown) is None
