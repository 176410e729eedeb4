"""The whole auth journey over HTTP on the real adapters: embedded SQLite and PostgreSQL.

The memory-backed e2e tests cover each rule in depth; this proves the same flows hold
when the database enforces uniqueness, transactions and the outbox.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.sql import migrate
from adapters.sql.auth.tables import outbox
from adapters.sql.database import SqlDatabase, sqlite_url_in
from tests.e2e.conftest import Api, ApiFactory, assert_problem, bearer


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_api(request: pytest.FixtureRequest, make_api: ApiFactory, tmp_path: Path) -> Api:
    if request.param == "sqlite":
        url = sqlite_url_in(tmp_path / "db")
        migrate.upgrade(SqlDatabase(url), "auth")
    else:
        url = request.getfixturevalue("clean_postgres_url")
    return make_api(database_url=url)


def outbox_event_names(api: Api) -> list[str]:
    database = api.container.databases().for_context("auth")
    engine = database.create_sync_engine()
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(outbox.c.event_name).order_by(outbox.c.position))
            return [row.event_name for row in rows]
    finally:
        engine.dispose()


def test_owner_journey(db_api: Api) -> None:
    api = db_api
    assert api.client.get("/health/ready").status_code == 200

    assert api.register("ann@example.com").status_code == 201
    assert_problem(api.register("ANN@example.com"), 409, "email-taken")

    pair = api.tokens("ann@example.com")
    ann = bearer(pair["access_token"])
    me = api.client.patch("/users/me", headers=ann, json={"display_name": "Ann", "language": "ja"})
    assert me.status_code == 200 and me.json()["language"] == "ja"

    created = api.client.post(
        "/pets",
        headers=ann,
        json={
            "name": "Rex",
            "species": "dog",
            "weight_kg": "12.125",
            "microchip": "981000012345678",
        },
    )
    assert created.status_code == 201, created.text
    pet_id = created.json()["id"]
    assert created.json()["weight_kg"] == "12.125"

    # The database's unique index answers for the microchip, translated to 409.
    clash = api.client.post(
        "/pets", headers=ann, json={"name": "Max", "species": "cat", "microchip": "981000012345678"}
    )
    assert_problem(clash, 409, "microchip-taken")

    patched = api.client.patch(
        f"/pets/{pet_id}", headers=ann, json={"breed": "Shiba", "weight_kg": None}
    )
    assert patched.status_code == 200
    assert (patched.json()["breed"], patched.json()["weight_kg"]) == ("Shiba", None)

    bob = api.user("bob@example.com")
    for method in ("GET", "PATCH", "DELETE"):
        response = api.client.request(
            method, f"/pets/{pet_id}", headers=bob, json={} if method == "PATCH" else None
        )
        assert_problem(response, 404, "pet-not-found")
    assert api.client.get("/pets", headers=bob).json()["total"] == 0

    listed = api.client.get("/pets", headers=ann).json()
    assert (listed["total"], listed["items"][0]["id"]) == (1, pet_id)
    assert api.client.delete(f"/pets/{pet_id}", headers=ann).status_code == 204
    assert_problem(api.client.get(f"/pets/{pet_id}", headers=ann), 404)

    assert outbox_event_names(api) == [
        "user.created",
        "user.updated",
        "pet.created",
        "pet.updated",
        "user.created",
        "pet.deleted",
    ]


def test_sessions_rotate_revoke_and_end(db_api: Api) -> None:
    api = db_api
    api.register("ann@example.com")
    first = api.tokens("ann@example.com")

    rotated = api.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    replay = api.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_problem(replay, 401)
    # The replay revoked the family: the rotated-to tokens are dead too.
    assert_problem(
        api.client.post("/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}),
        401,
    )
    assert_problem(api.client.get("/users/me", headers=bearer(rotated.json()["access_token"])), 401)

    second, third = api.tokens("ann@example.com"), api.tokens("ann@example.com")
    assert (
        api.client.post("/auth/logout", json={"refresh_token": second["refresh_token"]}).status_code
        == 204
    )
    assert_problem(api.client.get("/users/me", headers=bearer(second["access_token"])), 401)
    assert api.client.get("/users/me", headers=bearer(third["access_token"])).status_code == 200

    changed = api.client.post(
        "/users/me/password",
        headers=bearer(third["access_token"]),
        json={
            "current_password": "correct horse battery staple",
            "new_password": "violet kettle drums at dawn",
        },
    )
    assert changed.status_code == 204
    assert_problem(api.client.get("/users/me", headers=bearer(third["access_token"])), 401)
    assert_problem(api.login("ann@example.com"), 401, "invalid-credentials")
    assert api.login("ann@example.com", "violet kettle drums at dawn").status_code == 200


def test_throttling_and_admin_on_the_database(db_api: Api) -> None:
    api = db_api
    api.register("ann@example.com")
    for _ in range(10):
        assert_problem(api.login("ann@example.com", "not the passphrase"), 401)
    locked = api.login("ann@example.com")
    assert_problem(locked, 429, "too-many-attempts")
    api.clock.advance(timedelta(seconds=int(locked.headers["retry-after"])))
    assert api.login("ann@example.com").status_code == 200

    admin = api.admin()
    users = api.client.get("/users", headers=admin, params={"limit": 1})
    assert users.status_code == 200
    assert (users.json()["total"], len(users.json()["items"])) == (2, 1)
    ann_id = next(
        u["id"]
        for u in api.client.get("/users", headers=admin).json()["items"]
        if u["email"] == "ann@example.com"
    )
    granted = api.client.post(
        f"/users/{ann_id}/roles", headers=admin, json={"grant": ["vet"], "revoke": []}
    )
    assert granted.status_code == 200
    assert sorted(granted.json()["roles"]) == ["pet_owner", "vet"]
