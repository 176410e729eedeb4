"""The caller's profile and user administration over HTTP."""

from __future__ import annotations

from tests.e2e.conftest import Api, assert_problem


def test_get_and_patch_my_profile(api: Api) -> None:
    headers = api.user("ada@example.com")
    me = api.client.get("/users/me", headers=headers).json()
    assert me["email"] == "ada@example.com" and me["language"] == "en"

    changed = api.client.patch("/users/me", json={"language": "ja"}, headers=headers)
    assert changed.status_code == 200
    assert changed.json()["language"] == "ja" and changed.json()["display_name"] == "Tester"

    renamed = api.client.patch("/users/me", json={"display_name": " Ada L. "}, headers=headers)
    assert renamed.json()["display_name"] == "Ada L." and renamed.json()["language"] == "ja"

    assert_problem(
        api.client.patch("/users/me", json={"language": "xx"}, headers=headers),
        422,
        "validation-error",
    )
    blank = api.client.patch("/users/me", json={"display_name": "   "}, headers=headers)
    assert assert_problem(blank, 422, "invalid-input")["field"] == "display_name"


def test_profile_needs_a_token(api: Api) -> None:
    assert_problem(api.client.patch("/users/me", json={"language": "ja"}), 401)


def test_non_admins_cannot_administer_users(api: Api) -> None:
    headers = api.user("ada@example.com")
    bob = api.register("bob@example.com").json()
    assert_problem(api.client.get("/users", headers=headers), 403, "permission-denied")
    grant = api.client.post(f"/users/{bob['id']}/roles", json={"grant": ["admin"]}, headers=headers)
    assert_problem(grant, 403, "permission-denied")
    assert_problem(api.client.get(f"/users/{bob['id']}", headers=headers), 404, "user-not-found")


def test_users_can_read_themselves_by_id(api: Api) -> None:
    headers = api.user("ada@example.com")
    me = api.client.get("/users/me", headers=headers).json()
    assert api.client.get(f"/users/{me['id']}", headers=headers).json() == me


def test_admins_list_users_page_by_page(api: Api) -> None:
    admin = api.admin()
    for n in range(4):
        api.register(f"user{n}@example.com")
    first = api.client.get("/users", params={"limit": 2}, headers=admin)
    assert first.status_code == 200
    page = first.json()
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 0
    assert len(page["items"]) == 2
    rest = api.client.get("/users", params={"limit": 2, "offset": 4}, headers=admin).json()
    assert len(rest["items"]) == 1 and rest["offset"] == 4
    emails = {u["email"] for u in page["items"]} | {u["email"] for u in rest["items"]}
    assert "password_hash" not in first.text and len(emails) == 3

    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": "many"}):
        body = assert_problem(
            api.client.get("/users", params=params, headers=admin), 422, "validation-error"
        )
        assert body["errors"][0]["source"] == "query"


def test_admins_grant_and_revoke_roles(api: Api) -> None:
    admin = api.admin()
    bob = api.register("bob@example.com").json()
    granted = api.client.post(f"/users/{bob['id']}/roles", json={"grant": ["vet"]}, headers=admin)
    assert granted.status_code == 200
    assert granted.json()["roles"] == ["pet_owner", "vet"]
    revoked = api.client.post(f"/users/{bob['id']}/roles", json={"revoke": ["vet"]}, headers=admin)
    assert revoked.json()["roles"] == ["pet_owner"]
    assert api.client.get(f"/users/{bob['id']}", headers=admin).json()["roles"] == ["pet_owner"]

    unknown_role = api.client.post(
        f"/users/{bob['id']}/roles", json={"grant": ["wizard"]}, headers=admin
    )
    assert_problem(unknown_role, 422, "validation-error")
    nothing = api.client.post(f"/users/{bob['id']}/roles", json={}, headers=admin)
    assert_problem(nothing, 422, "rule-violated")
    missing = api.client.post(
        "/users/00000000-0000-0000-0000-000000000001/roles", json={"grant": ["vet"]}, headers=admin
    )
    assert_problem(missing, 404, "user-not-found")


def test_admins_cannot_revoke_their_own_admin_role(api: Api) -> None:
    admin = api.admin()
    me = api.client.get("/users/me", headers=admin).json()
    assert "admin" in me["roles"]
    response = api.client.post(
        f"/users/{me['id']}/roles", json={"revoke": ["admin"]}, headers=admin
    )
    assert_problem(response, 422, "rule-violated")


def test_a_bad_user_id_is_a_validation_error(api: Api) -> None:
    admin = api.admin()
    body = assert_problem(
        api.client.get("/users/not-a-uuid", headers=admin), 422, "validation-error"
    )
    assert body["errors"] == [{"field": "user_id", "message": "Invalid UUID", "source": "path"}]
