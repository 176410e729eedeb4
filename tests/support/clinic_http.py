"""Setting up a bookable clinic over HTTP for end-to-end tests: an admin, a clinic in Tokyo,
vets on its staff with weekday hours, a service, and owners with pets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from petpro_core.auth.commands import ChangeRoles
from petpro_core.auth.domain.roles import OPERATOR, Role
from tests.e2e.conftest import Api

ADDRESS = {"lines": ["1-2-3 Jingumae"], "locality": "Shibuya", "region": "Tokyo", "country": "JP"}
WEEKDAY_HOURS = [{"weekday": day, "starts": "09:00", "ends": "12:00"} for day in range(1, 6)] + [
    {"weekday": day, "starts": "14:00", "ends": "18:00"} for day in range(1, 6)
]


@dataclass
class Person:
    headers: dict[str, str]
    user_id: str


@dataclass
class BookableClinic:
    admin: Person
    clinic_id: str
    service_id: str
    vets: list[Person]
    desk: Person  # clinic_staff


def person(api: Api, email: str, *roles: Role) -> Person:
    headers = api.user(email)
    user_id: str = api.client.get("/users/me", headers=headers).json()["id"]
    if roles:
        api.execute(ChangeRoles(actor=OPERATOR, user_id=UUID(user_id), grant=frozenset(roles)))
    return Person(headers=headers, user_id=user_id)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def bookable_clinic(
    api: Api, *, vets: int = 2, price: str = "6600", policy: dict[str, int] | None = None
) -> BookableClinic:
    admin_headers = api.admin()
    admin = Person(admin_headers, api.client.get("/users/me", headers=admin_headers).json()["id"])
    clinic = ok(
        api.client.post(
            "/clinics",
            json={
                "name": "Shibuya Animal Clinic",
                "address": ADDRESS,
                "time_zone": "Asia/Tokyo",
                "booking_policy": policy or {"min_notice_minutes": 60, "slot_minutes": 30},
            },
            headers=admin.headers,
        ),
        201,
    )
    cid = clinic["id"]
    staff = [person(api, f"vet{n}@example.com", Role.VET) for n in range(vets)]
    desk = person(api, "desk@example.com", Role.CLINIC_STAFF)
    for member, role in [*((vet, "vet") for vet in staff), (desk, "clinic_staff")]:
        ok(
            api.client.put(
                f"/clinics/{cid}/staff/{member.user_id}", json={"role": role}, headers=admin.headers
            )
        )
    for vet in staff:
        ok(
            api.client.put(
                f"/clinics/{cid}/vets/{vet.user_id}/hours", json=WEEKDAY_HOURS, headers=desk.headers
            )
        )
    service = ok(
        api.client.post(
            f"/clinics/{cid}/services",
            json={
                "name": "Check-up",
                "duration_minutes": 30,
                "buffer_after_minutes": 10,
                "price": {"amount": price, "currency": "JPY"},
                "species": ["cat", "dog"],
                "vet_ids": [vet.user_id for vet in staff],
            },
            headers=desk.headers,
        ),
        201,
    )
    return BookableClinic(
        admin=admin, clinic_id=cid, service_id=service["id"], vets=staff, desk=desk
    )


def owner_with_pet(api: Api, email: str, species: str = "cat") -> tuple[Person, str]:
    owner = person(api, email)
    pet = ok(
        api.client.post("/pets", json={"name": "Mochi", "species": species}, headers=owner.headers),
        201,
    )
    return owner, pet["id"]
