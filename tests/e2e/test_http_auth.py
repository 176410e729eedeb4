"""Registration, login and the login throttles over HTTP."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.conftest import Api, ApiFactory, assert_problem
from tests.support.auth import STRONG_PASSWORD


def test_register_returns_the_user_without_secrets(api: Api) -> None:
    response = api.client.post(
        "/auth/register",
        json={
            "email": " Ada@Example.com ",
            "display_name": "Ada",
            "password": STRONG_PASSWORD,
            "language": "ja",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "email",
        "display_name",
        "roles",
        "language",
        "created_at",
        "updated_at",
    }
    assert body["email"] == "ada@example.com"
    assert body["roles"] == ["pet_owner"] and body["language"] == "ja"
    assert "password" not in response.text and "argon2" not in response.text


def test_register_the_same_email_in_another_case_is_a_conflict(api: Api) -> None:
    assert api.register("ada@example.com").status_code == 201
    body = assert_problem(api.register("ADA@example.COM"), 409, "email-taken")
    assert body["title"] == "E-mail already registered"


def test_weak_passwords_are_rejected_with_the_reason(api: Api) -> None:
    for password in ("short pw", "password1234", "xx-alice-walks-her-dog-xx"):
        body = assert_problem(api.register("alice@example.com", password), 422, "weak-password")
        assert body["field"] == "password"
    assert api.register("alice@example.com").status_code == 201


def test_an_invalid_email_is_422_naming_the_field(api: Api) -> None:
    body = assert_problem(api.register("not-an-email"), 422, "invalid-input")
    assert body["field"] == "email"


def test_missing_fields_unknown_fields_and_wrong_types_are_validation_errors(api: Api) -> None:
    missing = api.client.post("/auth/register", json={"email": "a@example.com"})
    body = assert_problem(missing, 422, "validation-error")
    assert {"display_name", "password"} <= {error["field"] for error in body["errors"]}

    extra = api.client.post(
        "/auth/register",
        json={"email": "a@example.com", "display_name": "A", "password": STRONG_PASSWORD, "x": 1},
    )
    assert_problem(extra, 422, "validation-error")

    wrong_type = api.client.post("/auth/login", json={"email": 42, "password": STRONG_PASSWORD})
    body = assert_problem(wrong_type, 422, "validation-error")
    assert body["errors"][0]["field"] == "email"

    not_an_object = api.client.post("/auth/login", json=["a@example.com"])
    assert_problem(not_an_object, 422, "validation-error")


def test_malformed_json_is_400(api: Api) -> None:
    response = api.client.post(
        "/auth/register", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "validation-error")


def test_login_returns_a_bearer_token_pair(api: Api) -> None:
    api.register("ada@example.com")
    response = api.login("ADA@example.com")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert body["access_token"].count(".") == 2 and body["refresh_token"]


def test_wrong_password_and_unknown_email_look_the_same(api: Api) -> None:
    api.register("ada@example.com")
    wrong_password = api.login("ada@example.com", "not the right passphrase")
    unknown_email = api.login("nobody@example.com", "not the right passphrase")
    body = assert_problem(wrong_password, 401, "invalid-credentials")
    assert_problem(unknown_email, 401, "invalid-credentials")
    assert unknown_email.json() == body
    assert wrong_password.headers["www-authenticate"] == unknown_email.headers["www-authenticate"]


def test_an_account_is_locked_after_ten_failures_until_the_window_passes(api: Api) -> None:
    api.register("ada@example.com")
    for _ in range(10):
        assert_problem(api.login("ada@example.com", "wrong passphrase here"), 401)

    locked = api.login("ada@example.com")  # even the right password
    body = assert_problem(locked, 429, "too-many-attempts")
    retry_after = int(locked.headers["retry-after"])
    assert 0 < retry_after <= 900
    assert body["retry_after"] == retry_after

    # Retry-After is exact: one second early is still refused, on the dot it is allowed.
    api.clock.advance(timedelta(seconds=retry_after - 1))
    assert_problem(api.login("ada@example.com"), 429, "too-many-attempts")
    api.clock.advance(timedelta(seconds=1))
    assert api.login("ada@example.com").status_code == 200


def test_failures_from_one_address_across_accounts_are_throttled(make_api: ApiFactory) -> None:
    api = make_api(login_max_failures_per_address=3)
    api.register("ada@example.com")
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        assert_problem(api.login(email, "wrong passphrase here"), 401)
    response = api.login("ada@example.com")
    assert_problem(response, 429, "too-many-attempts")
    assert int(response.headers["retry-after"]) > 0
