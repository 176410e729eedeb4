"""The HTTP platform: health, OpenAPI and docs, framework errors, rate limiting, CORS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from petpro_core.auth.handlers import AuthHandlers
from runtimes.containers import build_container
from runtimes.databases import Databases
from runtimes.http.app import create_app
from runtimes.settings import Settings
from tests.e2e.conftest import Api, ApiFactory, assert_problem


def test_liveness_and_readiness(api: Api) -> None:
    assert api.client.get("/health/live").json() == {"status": "ok"}
    ready = api.client.get("/health/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ok"}


def test_readiness_fails_as_a_problem_when_a_database_does_not_answer(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unreachable(self: Databases) -> None:
        raise ConnectionError("db.internal:5432 refused")

    monkeypatch.setattr(Databases, "ping", unreachable)
    response = api.client.get("/health/ready")
    body = assert_problem(response, 503, "service-unavailable")
    assert "5432" not in response.text and body["detail"]
    assert api.client.get("/health/live").status_code == 200


def test_openapi_lists_every_route_with_bearer_security(api: Api) -> None:
    response = api.client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.") and schema["info"]["title"] == "PetPro"
    assert schema["info"]["version"] == "0.1.0"
    assert set(schema["paths"]) == {
        "/auth/register",
        "/auth/login",
        "/auth/refresh",
        "/auth/logout",
        "/users",
        "/users/me",
        "/users/me/password",
        "/users/{user_id}",
        "/users/{user_id}/roles",
        "/users/me/bookings",
        "/users/{user_id}/bookings",
        "/pets",
        "/pets/{pet_id}",
        "/clinics",
        "/clinics/{clinic_id}",
        "/clinics/{clinic_id}/staff/{user_id}",
        "/clinics/{clinic_id}/services",
        "/clinics/{clinic_id}/services/{service_id}",
        "/clinics/{clinic_id}/schedule",
        "/clinics/{clinic_id}/vets/{vet_id}/hours",
        "/clinics/{clinic_id}/exceptions",
        "/clinics/{clinic_id}/exceptions/{exception_id}",
        "/clinics/{clinic_id}/availability",
        "/clinics/{clinic_id}/day-sheet",
        "/bookings",
        "/bookings/{booking_id}",
        "/bookings/{booking_id}/cancel",
        "/bookings/{booking_id}/reschedule",
        "/categories",
        "/categories/{category_id}",
        "/products",
        "/products/{product_id}",
        "/locations",
        "/locations/{location_id}/stock",
        "/locations/{location_id}/stock/{product_id}",
        "/locations/{location_id}/stock/{product_id}/adjustments",
        "/locations/{location_id}/stock/{product_id}/receipts",
        "/locations/{location_id}/stock/{product_id}/reorder-policy",
        "/reservations",
        "/reservations/{reservation_id}",
        "/reservations/{reservation_id}/release",
        "/customer-orders",
        "/customer-orders/{customer_order_id}",
        "/customer-orders/{customer_order_id}/cancel",
        "/customer-orders/{customer_order_id}/fulfil",
        "/locations/{location_id}/customer-orders",
        "/vendors",
        "/vendors/{vendor_id}",
        "/vendors/{vendor_id}/members",
        "/vendors/{vendor_id}/catalogue",
        "/vendors/{vendor_id}/catalogue/{item_id}",
        "/vendors/{vendor_id}/inventory-status",
        "/purchase-orders",
        "/purchase-orders/{purchase_order_id}",
        "/purchase-orders/{purchase_order_id}/confirm",
        "/purchase-orders/{purchase_order_id}/ship",
        "/purchase-orders/{purchase_order_id}/deliver",
        "/purchase-orders/{purchase_order_id}/cancel",
        "/finance/report",
        "/finance/report.csv",
        "/finance/trial-balance",
        "/finance/reconciliation",
        "/finance/transactions",
        "/finance/transactions/{transaction_id}",
        "/finance/transactions/{transaction_id}/reversal",
        "/notifications",
        "/notifications/unread-count",
        "/notifications/read",
        "/notifications/preferences",
        "/notifications/deliveries",
        "/health/live",
        "/health/ready",
    }
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The access_token from POST /auth/login or /auth/refresh.",
    }
    assert schema["paths"]["/pets/{pet_id}"]["patch"]["security"] == [{"bearerAuth": []}]
    assert "security" not in schema["paths"]["/auth/login"]["post"]
    not_found = schema["paths"]["/pets/{pet_id}"]["get"]["responses"]["404"]
    assert "application/problem+json" in not_found["content"]
    # Dependencies are not parameters.
    parameters = {p["name"] for p in schema["paths"]["/pets"]["get"]["parameters"]}
    assert parameters == {"limit", "offset", "owner_id", "all"}
    user = schema["components"]["schemas"]["UserResponse"]["properties"]
    assert "password_hash" not in user and "password" not in user


@pytest.mark.parametrize("path", ["/schema", "/schema/docs"])
def test_the_docs_page_needs_no_network(api: Api, path: str) -> None:
    response = api.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/schema/openapi.json" in response.text
    assert not re.search(r"https?://", response.text)
    assert "<script src" not in response.text and "<link" not in response.text


def test_unknown_routes_and_methods_are_problems(api: Api) -> None:
    assert_problem(api.client.get("/nowhere"), 404, "not-found")
    assert_problem(api.client.put("/auth/login", json={}), 405, "method-not-allowed")
    assert_problem(api.client.delete("/pets"), 405, "method-not-allowed")


def test_unexpected_errors_are_500_problems_without_internals(
    make_api: ApiFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: AuthHandlers, command: object) -> None:
        raise RuntimeError("secret connection string postgres://admin:hunter2@db")

    # Before the app (and its background jobs) can build the bus.
    monkeypatch.setattr(AuthHandlers, "register_user", broken)
    api = make_api()
    response = api.register("ada@example.com")
    body = assert_problem(response, 500, "internal-error")
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert body["detail"] == "an unexpected error occurred"


def test_auth_routes_are_rate_limited_per_client(make_api: ApiFactory) -> None:
    api = make_api(rate_limit_per_minute=3)
    for _ in range(3):
        assert api.client.post("/auth/refresh", json={"refresh_token": "x"}).status_code == 401
    limited = api.client.post("/auth/refresh", json={"refresh_token": "x"})
    assert_problem(limited, 429, "too-many-requests")
    assert 0 < int(limited.headers["retry-after"]) <= 60
    for _ in range(5):  # other paths are not limited
        assert api.client.get("/health/live").status_code == 200


def test_cors_is_configured_from_settings(make_api: ApiFactory) -> None:
    preflight_headers = {
        "Origin": "https://app.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    api = make_api(cors_allow_origins=["https://app.example"])
    allowed = api.client.options("/auth/login", headers=preflight_headers)
    assert allowed.status_code in (200, 204)
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"

    simple = api.client.get("/health/live", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers

    without = make_api().client.get("/health/live", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in without.headers


def test_shutdown_disposes_the_databases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    disposed: list[Databases] = []

    async def dispose(self: Databases) -> None:
        disposed.append(self)

    monkeypatch.setattr(Databases, "dispose", dispose)
    settings = Settings.model_validate({"database_url": "memory://", "data_dir": tmp_path})
    container = build_container(settings)
    with TestClient(create_app(container)) as client:
        assert client.get("/health/ready").status_code == 200
        assert disposed == []
    assert disposed == [container.databases()]
