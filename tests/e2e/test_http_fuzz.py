"""Arbitrary JSON at every body-taking endpoint: never a 5xx, every error problem+json.

Bounded (a fixed number of examples per endpoint, no shrinking deadline) so it stays a few
seconds; the properties are what the guide promises for any bad input.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import Api, bearer

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = (
    "email",
    "password",
    "display_name",
    "language",
    "name",
    "species",
    "sex",
    "breed",
    "date_of_birth",
    "weight_kg",
    "microchip",
    "notes",
    "refresh_token",
    "current_password",
    "new_password",
    "grant",
    "revoke",
)
# Bodies shaped like ours (known keys, wrong values) find more than random dictionaries.
SHAPED = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6)
BODIES = SHAPED | JSON

ENDPOINTS = (
    ("POST", "/auth/register"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
    ("PATCH", "/users/me"),
    ("POST", "/users/me/password"),
    ("POST", "/pets"),
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_clean(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), (
            response.text
        )
        assert response.json()["status"] == response.status_code


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), body=BODIES)
def test_any_json_body_gets_a_clean_answer(api: Api, endpoint: tuple[str, str], body: Any) -> None:
    method, path = endpoint
    headers = {"Authorization": "Bearer " + _owner_token(api)}
    assert_clean(api.client.request(method, path, json=body, headers=headers))


@FUZZ
@given(raw=st.binary(max_size=200))
def test_any_bytes_as_a_body_get_a_clean_answer(api: Api, raw: bytes) -> None:
    response = api.client.post(
        "/auth/login", content=raw, headers={"content-type": "application/json"}
    )
    assert_clean(response)


@FUZZ
@given(
    segment=st.text(min_size=1, max_size=60).filter(lambda s: "/" not in s and s not in {".", ".."})
)
def test_any_pet_id_in_the_path_gets_a_clean_answer(api: Api, segment: str) -> None:
    headers = {"Authorization": "Bearer " + _owner_token(api)}
    for method in ("GET", "PATCH", "DELETE"):
        path = f"/pets/{quote(segment, safe='')}"
        assert_clean(api.client.request(method, path, json={}, headers=headers))


@FUZZ
@given(limit=JSON_SCALARS, offset=JSON_SCALARS)
def test_any_pagination_gets_a_clean_answer(api: Api, limit: Any, offset: Any) -> None:
    headers = {"Authorization": "Bearer " + _owner_token(api)}
    params = {"limit": str(limit), "offset": str(offset)}
    assert_clean(api.client.get("/pets", params=params, headers=headers))


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_in_raw_json_are_refused_cleanly(api: Api, number: str) -> None:
    body = '{"name": "Rex", "species": "dog", "weight_kg": ' + number + "}"
    headers = {"Authorization": "Bearer " + _owner_token(api), "content-type": "application/json"}
    response = api.client.post("/pets", content=body.encode(), headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert_clean(response)


def _owner_token(api: Api) -> str:
    """One owner per app, created on first use (hypothesis reuses the function's fixtures)."""
    token: str | None = getattr(api, "_fuzz_token", None)
    if token is None:
        token = bearer(api.tokens(_register(api)))["Authorization"].removeprefix("Bearer ")
        api._fuzz_token = token  # type: ignore[attr-defined]
    return token


def _register(api: Api) -> str:
    email = "fuzz@example.com"
    assert api.register(email).status_code == 201
    return email
