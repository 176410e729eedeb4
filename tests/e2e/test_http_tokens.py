"""Bearer tokens over HTTP: forged and stale tokens, refresh rotation, logout, password change."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from runtimes.keys import load_signing_key
from tests.e2e.conftest import Api, assert_problem, bearer
from tests.support.auth import STRONG_PASSWORD

NEW_PASSWORD = "purple elephants dance quietly"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value).encode())


def _claims(access_token: str) -> dict[str, Any]:
    return jwt.decode(access_token, options={"verify_signature": False})


def _assert_rejected(api: Api, token: str) -> None:
    response = api.client.get("/users/me", headers=bearer(token))
    assert_problem(response, 401, "invalid-token")
    assert response.headers["www-authenticate"].startswith("Bearer")


def _me(api: Api, access_token: str) -> int:
    return api.client.get("/users/me", headers=bearer(access_token)).status_code


def test_a_valid_token_works(api: Api) -> None:
    headers = api.user("ada@example.com")
    response = api.client.get("/users/me", headers=headers)
    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.com"


def test_missing_or_malformed_authorization_is_401_with_a_challenge(api: Api) -> None:
    for headers in ({}, {"Authorization": "Basic YTpi"}, {"Authorization": "Bearer "}):
        response = api.client.get("/users/me", headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
    _assert_rejected(api, "garbage")
    _assert_rejected(api, "a.b.c")


def test_forged_tokens_are_rejected(api: Api) -> None:
    api.register("ada@example.com")
    token = api.tokens("ada@example.com")["access_token"]
    claims = _claims(token)
    claims["roles"] = ["admin"]
    header, payload, signature = token.split(".")

    alg_none = f"{_segment({'alg': 'none', 'typ': 'at+jwt'})}.{_segment(claims)}."
    _assert_rejected(api, alg_none)

    public_pem = (
        load_signing_key(api.settings)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'at+jwt'})}.{_segment(claims)}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    _assert_rejected(api, f"{signing_input}.{_b64(mac)}")  # key confusion

    _assert_rejected(api, f"{header}.{_segment(claims)}.{signature}")  # tampered payload
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    _assert_rejected(api, f"{header}.{payload}.{flipped}")  # tampered signature

    assert _me(api, token) == 200


def test_a_token_for_another_audience_is_rejected(api: Api) -> None:
    api.register("ada@example.com")
    claims = _claims(api.tokens("ada@example.com")["access_token"])
    claims["aud"] = "some-other-api"
    foreign = jwt.encode(
        claims, load_signing_key(api.settings), algorithm="EdDSA", headers={"typ": "at+jwt"}
    )
    _assert_rejected(api, foreign)


def test_an_access_token_expires(api: Api) -> None:
    headers = api.user("ada@example.com")
    api.clock.advance(timedelta(minutes=14))
    assert api.client.get("/users/me", headers=headers).status_code == 200
    api.clock.advance(timedelta(minutes=2))
    _assert_rejected(api, headers["Authorization"].removeprefix("Bearer "))


def test_refresh_rotates_and_reuse_revokes_the_whole_session(api: Api) -> None:
    api.register("ada@example.com")
    first = api.tokens("ada@example.com")
    rotated = api.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"] and second["token_type"] == "bearer"
    assert _me(api, second["access_token"]) == 200

    replay = api.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_problem(replay, 401, "invalid-token")
    after = api.client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert_problem(after, 401, "invalid-token")
    _assert_rejected(api, second["access_token"])
    _assert_rejected(api, first["access_token"])


def test_an_unknown_refresh_token_is_401(api: Api) -> None:
    response = api.client.post("/auth/refresh", json={"refresh_token": "made-up"})
    assert_problem(response, 401, "invalid-token")


def test_logout_ends_the_session_and_only_that_session(api: Api) -> None:
    api.register("ada@example.com")
    session = api.tokens("ada@example.com")
    other = api.tokens("ada@example.com")
    response = api.client.post("/auth/logout", json={"refresh_token": session["refresh_token"]})
    assert response.status_code == 204 and response.content == b""

    again = api.client.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert_problem(again, 401, "invalid-token")
    _assert_rejected(api, session["access_token"])
    assert _me(api, other["access_token"]) == 200


def test_a_password_change_ends_every_session(api: Api) -> None:
    api.register("ada@example.com")
    one, two = api.tokens("ada@example.com"), api.tokens("ada@example.com")
    wrong = api.client.post(
        "/users/me/password",
        json={"current_password": "not my passphrase", "new_password": NEW_PASSWORD},
        headers=bearer(one["access_token"]),
    )
    assert_problem(wrong, 401, "invalid-credentials")
    weak = api.client.post(
        "/users/me/password",
        json={"current_password": STRONG_PASSWORD, "new_password": "password1234"},
        headers=bearer(one["access_token"]),
    )
    assert_problem(weak, 422, "weak-password")

    changed = api.client.post(
        "/users/me/password",
        json={"current_password": STRONG_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(one["access_token"]),
    )
    assert changed.status_code == 204

    for session in (one, two):
        _assert_rejected(api, session["access_token"])
        refresh = api.client.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
        assert_problem(refresh, 401)
    assert_problem(api.login("ada@example.com"), 401, "invalid-credentials")
    assert api.login("ada@example.com", NEW_PASSWORD).status_code == 200
