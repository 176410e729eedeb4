"""The inventory over HTTP: categories, products (filters, pages, updates), locations
(clinics learned from the clinic context's events, warehouses), stock with its ledger,
reorder policies and low stock, receipts, adjustments, and internal reservations."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from petpro_core.auth.commands import ChangeRoles
from petpro_core.auth.domain.roles import OPERATOR, Role
from petpro_core.contracts.inventory import StockLow
from petpro_core.shared.ids import new_id
from tests.e2e.conftest import Api, assert_problem

ADDRESS = {"lines": ["1 Main St"], "locality": "Lyon", "country": "FR"}


def _user_with(api: Api, email: str, *roles: Role) -> tuple[dict[str, str], str]:
    headers = api.user(email)
    user_id: str = api.client.get("/users/me", headers=headers).json()["id"]
    api.execute(ChangeRoles(actor=OPERATOR, user_id=UUID(user_id), grant=frozenset(roles)))
    return headers, user_id


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _clinic_location(api: Api, admin: dict[str, str], staff_id: str) -> str:
    """A clinic with `staff_id` on its staff; waits until the inventory has learned it (the
    in-process workers carry clinic.created/updated to the inventory's consumer)."""
    body = {"name": "Lyon clinic", "address": ADDRESS, "time_zone": "Europe/Paris"}
    clinic = _ok(api.client.post("/clinics", json=body, headers=admin), 201)
    _ok(
        api.client.put(
            f"/clinics/{clinic['id']}/staff/{staff_id}",
            json={"role": "clinic_staff"},
            headers=admin,
        )
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        locations = _ok(api.client.get("/locations", headers=admin))["items"]
        mine = [loc for loc in locations if loc["location_id"] == clinic["id"]]
        if mine and mine[0]["staff"] == [staff_id]:
            assert mine[0]["kind"] == "clinic" and mine[0]["name"] == "Lyon clinic"
            return str(clinic["id"])
        time.sleep(0.05)
    raise AssertionError("the inventory never learned the clinic")


def test_categories_and_products_with_filters_pages_and_updates(api: Api) -> None:
    admin = api.admin()
    owner = api.user("owner@example.com")
    food = _ok(api.client.post("/categories", json={"name": "Food"}, headers=admin), 201)
    dry = _ok(
        api.client.post(
            "/categories", json={"name": "Dry", "parent_id": food["category_id"]}, headers=admin
        ),
        201,
    )
    assert_problem(
        api.client.post(
            "/categories", json={"name": "DRY", "parent_id": food["category_id"]}, headers=admin
        ),
        409,
        "category-name-taken",
    )
    assert_problem(api.client.post("/categories", json={"name": "X"}, headers=owner), 403)
    assert_problem(
        api.client.patch(
            f"/categories/{food['category_id']}",
            json={"parent_id": dry["category_id"]},
            headers=admin,
        ),
        422,
        "category-cycle",
    )
    tree = _ok(api.client.get("/categories?tree=true", headers=owner))
    assert [(n["name"], [c["name"] for c in n["children"]]) for n in tree["tree"]] == [
        ("Food", ["Dry"])
    ]

    def product(sku: str, **fields: Any) -> dict[str, Any]:
        body = {
            "sku": sku,
            "name": sku.title(),
            "unit": "bag",
            "price": {"amount": "9.90", "currency": "EUR"},
        }
        created: dict[str, Any] = _ok(
            api.client.post("/products", json={**body, **fields}, headers=admin), 201
        )
        return created

    kibble = product("kibble-cat", category_id=dry["category_id"], species=["cat"])
    product("ball", species=["dog"])
    assert kibble["sku"] == "KIBBLE-CAT" and kibble["price"] == {
        "amount": "9.90",
        "currency": "EUR",
    }
    assert_problem(
        api.client.post(
            "/products",
            json={
                "sku": "x",
                "name": "x",
                "unit": "u",
                "price": {"amount": 1, "currency": "EUR"},
                "category_id": str(new_id()),
            },
            headers=admin,
        ),
        404,
        "category-not-found",
    )
    assert_problem(
        api.client.post(
            "/products",
            json={
                "sku": "KIBBLE-CAT",
                "name": "x",
                "unit": "u",
                "price": {"amount": 1, "currency": "EUR"},
            },
            headers=admin,
        ),
        409,
        "sku-taken",
    )

    page = _ok(api.client.get(f"/products?category_id={food['category_id']}", headers=owner))
    assert [p["sku"] for p in page["items"]] == ["KIBBLE-CAT"] and page["total"] == 1
    assert [
        p["sku"] for p in _ok(api.client.get("/products?species=dog", headers=owner))["items"]
    ] == ["BALL"]
    assert [p["sku"] for p in _ok(api.client.get("/products?q=kib", headers=owner))["items"]] == [
        "KIBBLE-CAT"
    ]
    second = _ok(api.client.get("/products?limit=1&offset=1", headers=owner))
    assert ([p["sku"] for p in second["items"]], second["total"]) == (["KIBBLE-CAT"], 2)

    url = f"/products/{kibble['product_id']}"
    updated = _ok(
        api.client.patch(
            url,
            json={
                "expected_version": 1,
                "name": "Cat kibble",
                "category_id": None,
                "active": False,
            },
            headers=admin,
        )
    )
    assert (updated["name"], updated["category_id"], updated["active"], updated["version"]) == (
        "Cat kibble",
        None,
        False,
        2,
    )
    assert updated["species"] == ["cat"]
    assert_problem(
        api.client.patch(url, json={"expected_version": 1, "name": "Y"}, headers=admin),
        409,
        "product-changed",
    )
    assert_problem(api.client.patch(url, json={"name": "Y"}, headers=owner), 403)
    assert _ok(api.client.get(url, headers=owner)) == updated
    assert_problem(api.client.get(f"/products/{new_id()}", headers=owner), 404, "product-not-found")
    assert_problem(api.client.get("/products"), 401)


def test_stock_at_locations_with_policies_low_stock_and_the_ledger(api: Api) -> None:
    admin = api.admin()
    staff, staff_id = _user_with(api, "staff@example.com", Role.CLINIC_STAFF)
    owner = api.user("owner@example.com")
    clinic = _clinic_location(api, admin, staff_id)
    depot = _ok(api.client.post("/locations", json={"name": "Depot"}, headers=admin), 201)
    assert depot["kind"] == "warehouse"
    assert_problem(api.client.post("/locations", json={"name": "Mine"}, headers=staff), 403)
    product = _ok(
        api.client.post(
            "/products",
            json={
                "sku": "FLEA",
                "name": "Flea",
                "unit": "pack",
                "price": {"amount": "5", "currency": "EUR"},
            },
            headers=admin,
        ),
        201,
    )
    stock = f"/locations/{clinic}/stock/{product['product_id']}"

    received = _ok(
        api.client.post(
            f"{stock}/receipts", json={"quantity": 6, "reference": "dn-1"}, headers=staff
        ),
        201,
    )
    assert (received["on_hand"], received["available"], received["low"], received["threshold"]) == (
        6,
        6,
        False,
        None,
    )
    policy = _ok(
        api.client.put(
            f"{stock}/reorder-policy",
            json={"threshold": 4, "reorder_quantity": 12, "needed_within_days": 3},
            headers=staff,
        )
    )
    assert (policy["threshold"], policy["reorder_quantity"], policy["needed_within_days"]) == (
        4,
        12,
        3,
    )
    for _ in range(3):
        _ok(
            api.client.post(
                f"{stock}/adjustments", json={"delta": -1, "reason": "broken"}, headers=staff
            ),
            201,
        )
    assert_problem(
        api.client.post(
            f"{stock}/adjustments", json={"delta": -9, "reason": "lost"}, headers=staff
        ),
        422,
        "insufficient-stock",
    )

    [item] = _ok(api.client.get(f"/locations/{clinic}/stock", headers=staff))["items"]
    assert (item["on_hand"], item["available"], item["on_order"], item["low"]) == (3, 3, 0, True)
    detail = _ok(api.client.get(stock, headers=staff))
    assert [(m["kind"], m["on_hand_delta"]) for m in detail["movements"]] == [
        ("receipt", 6),
        ("adjustment", -1),
        ("adjustment", -1),
        ("adjustment", -1),
    ]
    lows = [e for e in api.container.inventory.memory_store().outbox if isinstance(e, StockLow)]
    assert [(e.available, e.threshold, e.needed_within_days) for e in lows] == [(4, 4, 3)]

    # Clinic staff only at their clinic; an unknown location is 404; owners see no stock.
    assert_problem(api.client.get(f"/locations/{depot['location_id']}/stock", headers=staff), 403)
    assert_problem(
        api.client.get(f"/locations/{new_id()}/stock", headers=admin), 404, "location-not-found"
    )
    assert_problem(api.client.get(f"/locations/{clinic}/stock", headers=owner), 403)
    assert_problem(api.client.get("/locations", headers=owner), 403)
    assert _ok(api.client.get(f"/locations/{depot['location_id']}/stock", headers=admin)) == {
        "items": []
    }


def test_internal_reservations_are_admin_only(api: Api) -> None:
    admin = api.admin()
    staff, staff_id = _user_with(api, "staff@example.com", Role.CLINIC_STAFF)
    clinic = _clinic_location(api, admin, staff_id)
    product = _ok(
        api.client.post(
            "/products",
            json={
                "sku": "W",
                "name": "W",
                "unit": "u",
                "price": {"amount": "1", "currency": "EUR"},
            },
            headers=admin,
        ),
        201,
    )
    _ok(
        api.client.post(
            f"/locations/{clinic}/stock/{product['product_id']}/receipts",
            json={"quantity": 2},
            headers=admin,
        ),
        201,
    )
    reservation_id = str(new_id())
    body = {
        "reservation_id": reservation_id,
        "location_id": clinic,
        "lines": [{"product_id": product["product_id"], "quantity": 2}],
        "expires_at": "2030-01-01T00:00:00Z",
        "reference": "booking:1",
    }
    assert_problem(api.client.post("/reservations", json=body, headers=staff), 403)
    assert _ok(api.client.post("/reservations", json=body, headers=admin)) == {
        "reserved": True,
        "reason": None,
    }
    short = _ok(
        api.client.post(
            "/reservations", json={**body, "reservation_id": str(new_id())}, headers=admin
        )
    )
    assert short["reserved"] is False and "not enough W" in short["reason"]
    held = _ok(api.client.get(f"/reservations/{reservation_id}", headers=admin))
    assert held["status"] == "held" and held["lines"] == [
        {"product_id": product["product_id"], "quantity": 2}
    ]
    released = _ok(
        api.client.post(
            f"/reservations/{reservation_id}/release", json={"reason": "done"}, headers=admin
        )
    )
    again = _ok(
        api.client.post(
            f"/reservations/{reservation_id}/release", json={"reason": "done"}, headers=admin
        )
    )
    assert released["status"] == again["status"] == "released"
    assert_problem(api.client.get(f"/reservations/{new_id()}", headers=admin), 404)
