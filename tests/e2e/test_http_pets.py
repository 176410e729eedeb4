"""Pets over HTTP: validation, partial updates, ownership and admin reads."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api, assert_problem

CHIP = "250269604123456"


def _create(api: Api, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = api.client.post(
        "/pets", json={"name": "Rex", "species": "dog", **fields}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_and_read_a_pet(api: Api) -> None:
    owner = api.user("ada@example.com")
    me = api.client.get("/users/me", headers=owner).json()
    pet = _create(
        api,
        owner,
        sex="male",
        breed="Beagle",
        date_of_birth="2020-05-17",
        weight_kg="12.125",
        microchip=CHIP,
        notes="Afraid of thunder",
    )
    assert pet["owner_id"] == me["id"] and pet["version"] == 1
    assert pet["weight_kg"] == "12.125" and pet["date_of_birth"] == "2020-05-17"
    assert pet["species"] == "dog" and pet["sex"] == "male" and pet["microchip"] == CHIP
    assert api.client.get(f"/pets/{pet['id']}", headers=owner).json() == pet

    as_number = _create(api, owner, name="Tom", species="cat", weight_kg=4.5)
    assert as_number["weight_kg"] == "4.5" and as_number["sex"] == "unknown"


def test_pet_input_is_validated(api: Api) -> None:
    owner = api.user("ada@example.com")
    cases: list[dict[str, Any]] = [
        {"species": "dragon"},
        {"microchip": "12345678901234"},
        {"microchip": "12345678901234a"},
        {"weight_kg": 0},
        {"weight_kg": "-1"},
        {"weight_kg": "1.2345"},
        {"date_of_birth": "yesterday"},
    ]
    for fields in cases:
        response = api.client.post(
            "/pets", json={"name": "Rex", "species": "dog", **fields}, headers=owner
        )
        body = assert_problem(response, 422, "validation-error")
        assert body["errors"], fields
    future = api.client.post(
        "/pets",
        json={"name": "Rex", "species": "dog", "date_of_birth": "2031-01-01"},
        headers=owner,
    )
    assert assert_problem(future, 422, "invalid-input")["field"] == "date_of_birth"
    blank = api.client.post("/pets", json={"name": "  ", "species": "dog"}, headers=owner)
    assert assert_problem(blank, 422, "invalid-input")["field"] == "name"


def test_a_microchip_is_registered_once(api: Api) -> None:
    _create(api, api.user("ada@example.com"), microchip=CHIP)
    response = api.client.post(
        "/pets",
        json={"name": "Max", "species": "dog", "microchip": CHIP},
        headers=api.user("bob@example.com"),
    )
    assert_problem(response, 409, "microchip-taken")


def test_patch_changes_only_what_is_sent(api: Api) -> None:
    owner = api.user("ada@example.com")
    pet = _create(api, owner, breed="Beagle", weight_kg="10")
    url = f"/pets/{pet['id']}"

    renamed = api.client.patch(url, json={"name": "Max"}, headers=owner).json()
    assert renamed["name"] == "Max" and renamed["breed"] == "Beagle" and renamed["version"] == 2
    assert renamed["weight_kg"] == "10"

    cleared = api.client.patch(url, json={"breed": None, "weight_kg": None}, headers=owner).json()
    assert cleared["breed"] is None and cleared["weight_kg"] is None and cleared["name"] == "Max"

    unchanged = api.client.patch(url, json={}, headers=owner).json()
    assert unchanged["version"] == cleared["version"]

    assert_problem(
        api.client.patch(url, json={"name": None}, headers=owner), 422, "validation-error"
    )
    assert_problem(
        api.client.patch(url, json={"nmae": "typo"}, headers=owner), 422, "validation-error"
    )
    assert_problem(
        api.client.patch(url, json={"date_of_birth": "2031-01-01"}, headers=owner),
        422,
        "invalid-input",
    )


def test_another_owners_pet_does_not_exist_for_you(api: Api) -> None:
    ada = api.user("ada@example.com")
    bob = api.user("bob@example.com")
    pet = _create(api, ada)
    url = f"/pets/{pet['id']}"
    assert_problem(api.client.get(url, headers=bob), 404, "pet-not-found")
    assert_problem(api.client.patch(url, json={"name": "Mine"}, headers=bob), 404, "pet-not-found")
    assert_problem(api.client.delete(url, headers=bob), 404, "pet-not-found")
    assert api.client.get("/pets", headers=bob).json()["total"] == 0
    assert api.client.get(url, headers=ada).json()["name"] == "Rex"
    assert_problem(
        api.client.get("/pets/00000000-0000-0000-0000-000000000001", headers=ada),
        404,
        "pet-not-found",
    )


def test_delete_a_pet(api: Api) -> None:
    owner = api.user("ada@example.com")
    pet = _create(api, owner)
    response = api.client.delete(f"/pets/{pet['id']}", headers=owner)
    assert response.status_code == 204 and response.content == b""
    assert_problem(api.client.get(f"/pets/{pet['id']}", headers=owner), 404, "pet-not-found")


def test_pets_are_listed_page_by_page(api: Api) -> None:
    owner = api.user("ada@example.com")
    names = [_create(api, owner, name=f"Pet {n}")["name"] for n in range(3)]
    first = api.client.get("/pets", params={"limit": 2}, headers=owner).json()
    assert first["total"] == 3 and first["limit"] == 2 and first["offset"] == 0
    second = api.client.get("/pets", params={"limit": 2, "offset": 2}, headers=owner).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert sorted(p["name"] for p in first["items"] + second["items"]) == names
    assert_problem(api.client.get("/pets", params={"limit": 500}, headers=owner), 422)


def test_admins_read_every_pet_and_owners_do_not(api: Api) -> None:
    ada = api.user("ada@example.com")
    bob = api.user("bob@example.com")
    pet = _create(api, ada)
    _create(api, bob, name="Tom", species="cat")
    admin = api.admin()
    ada_id = api.client.get("/users/me", headers=ada).json()["id"]

    assert api.client.get(f"/pets/{pet['id']}", headers=admin).json()["id"] == pet["id"]
    assert api.client.get("/pets", params={"all": "true"}, headers=admin).json()["total"] == 2
    by_owner = api.client.get("/pets", params={"owner_id": ada_id}, headers=admin).json()
    assert [p["id"] for p in by_owner["items"]] == [pet["id"]]
    assert api.client.get("/pets", headers=admin).json()["total"] == 0  # the admin's own
    # Admins read, but do not change, other owners' pets.
    patch = api.client.patch(f"/pets/{pet['id']}", json={"name": "X"}, headers=admin)
    assert_problem(patch, 404, "pet-not-found")

    assert_problem(
        api.client.get("/pets", params={"all": "true"}, headers=bob), 403, "permission-denied"
    )
    assert_problem(
        api.client.get("/pets", params={"owner_id": ada_id}, headers=bob), 403, "permission-denied"
    )
    assert_problem(api.client.get("/pets", params={"owner_id": "x"}, headers=bob), 422)


def test_pets_need_a_token(api: Api) -> None:
    response = api.client.post("/pets", json={"name": "Rex", "species": "dog"})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
