"""Vendors and purchase orders over HTTP on the real app (memory storage): an admin adds a
vendor and its member, the member lists products in the catalogue, a stock.low reorders
automatically, the order goes through confirm, ship, partial and final delivery, and the
vendor's inventory status shows it; permissions and errors are problem documents.

Inventory's events reach the vendor context through its own subscription (the consumer in
miniature below), so the test does not depend on inventory's handlers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from petpro_core.auth.commands import ChangeRoles
from petpro_core.auth.domain.roles import OPERATOR, Role
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from tests.e2e.conftest import Api, assert_problem
from tests.support.vendor import CLINIC, product_event, stock_changed, stock_low


def feed(api: Api, *events: Event) -> None:
    """Deliver inventory's events to the vendor consumer, in the app's event loop."""
    subscription = api.container.vendor.subscription()

    async def deliver(batch: Sequence[Event]) -> None:
        async with subscription.unit_of_work() as uow:
            new_ids = await uow.inbox.claim(subscription.consumer, [e.event_id for e in batch])
            for event in batch:
                if event.event_id in new_ids:
                    new_ids.discard(event.event_id)
                    handler = subscription.handler_for(event)
                    assert handler is not None
                    await handler(event, uow)
            await uow.commit()

    api.client.blocking_portal.call(deliver, events)


def user_with(api: Api, email: str, *roles: Role) -> tuple[dict[str, str], str]:
    headers = api.user(email)
    user_id: str = api.client.get("/users/me", headers=headers).json()["id"]
    api.execute(ChangeRoles(actor=OPERATOR, user_id=UUID(user_id), grant=frozenset(roles)))
    # Log in again: the new token carries the granted roles.
    return {"Authorization": f"Bearer {api.tokens(email)['access_token']}"}, user_id


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_restock_flow_over_http(api: Api) -> None:
    admin = api.admin()
    member, member_id = user_with(api, "orders@acme.example", Role.VENDOR)
    staff, _ = user_with(api, "desk@clinic.example", Role.CLINIC_STAFF)
    rival, rival_id = user_with(api, "orders@rival.example", Role.VENDOR)
    owner = api.user("owner@example.com")
    product = new_id()
    feed(api, product_event(product, "FLEA-10"))

    acme = ok(
        api.client.post(
            "/vendors",
            json={"name": "Acme", "lead_time_days": 3, "email": "orders@acme.example"},
            headers=admin,
        ),
        201,
    )
    rival_vendor = ok(
        api.client.post("/vendors", json={"name": "Rival", "lead_time_days": 1}, headers=admin),
        201,
    )
    acme = ok(
        api.client.post(
            f"/vendors/{acme['id']}/members", json={"user_id": member_id}, headers=admin
        )
    )
    assert acme["member_ids"] == [member_id]
    ok(
        api.client.post(
            f"/vendors/{rival_vendor['id']}/members", json={"user_id": rival_id}, headers=admin
        )
    )
    assert_problem(
        api.client.post(
            f"/vendors/{acme['id']}/members",
            json={"user_id": api.client.get("/users/me", headers=owner).json()["id"]},
            headers=admin,
        ),
        422,
        "role-not-held",
    )
    assert_problem(
        api.client.post("/vendors", json={"name": "X", "lead_time_days": 1}, headers=staff),
        403,
        "admin-only",
    )
    assert_problem(
        api.client.post("/vendors", json={"name": "X", "lead_time_days": -1}, headers=admin),
        422,
        "invalid-input",
    )

    item = ok(
        api.client.post(
            f"/vendors/{acme['id']}/catalogue",
            json={
                "product_id": str(product),
                "vendor_sku": "ac-flea-10",
                "unit_cost": {"amount": "2.50", "currency": "EUR"},
                "pack_size": 6,
            },
            headers=member,
        ),
        201,
    )
    assert item["vendor_sku"] == "AC-FLEA-10" and item["unit_cost"]["amount"] == "2.50"
    assert_problem(
        api.client.post(
            f"/vendors/{acme['id']}/catalogue",
            json={
                "product_id": str(new_id()),
                "vendor_sku": "X1",
                "unit_cost": {"amount": "1", "currency": "EUR"},
            },
            headers=member,
        ),
        404,
        "product-not-found",
    )
    assert_problem(
        api.client.post(
            f"/vendors/{acme['id']}/catalogue",
            json={
                "product_id": str(product),
                "vendor_sku": "X2",
                "unit_cost": {"amount": "1", "currency": "EUR"},
            },
            headers=member,
        ),
        409,
        "supply-item-exists",
    )
    assert_problem(api.client.get(f"/vendors/{acme['id']}/catalogue", headers=rival), 404)

    # Stock falls: inventory says so; the vendor context reorders on its own.
    feed(api, stock_changed(product, CLINIC, 1, on_hand=3, reserved=1))
    low = stock_low(product, CLINIC, 1, available=2, threshold=5, reorder_quantity=20)
    feed(api, low, low)
    orders = ok(api.client.get(f"/purchase-orders?product_id={product}", headers=staff))
    assert orders["total"] == 1
    order = orders["items"][0]
    assert (order["quantity"], order["status"], order["origin"]) == (24, "created", "automatic")
    assert order["total_cost"] == {"amount": "60.00", "currency": "EUR"}
    assert order["origin_event_id"] == str(low.event_id)
    oid = order["id"]

    status = ok(api.client.get(f"/vendors/{acme['id']}/inventory-status", headers=member))
    [row] = status["items"]
    assert (row["available"], row["threshold"], row["needs_reorder"]) == (2, 5, True)
    assert row["open_purchase_order_id"] == oid and row["vendor_sku"] == "AC-FLEA-10"
    assert row["last_reorder"]["outcome"] == "ordered"
    assert_problem(api.client.get(f"/vendors/{acme['id']}/inventory-status", headers=rival), 404)

    # The rival vendor sees nothing of it; staff cannot confirm.
    assert ok(api.client.get("/purchase-orders", headers=rival))["total"] == 0
    assert_problem(api.client.get(f"/purchase-orders/{oid}", headers=rival), 404)
    assert_problem(api.client.post(f"/purchase-orders/{oid}/confirm", headers=staff), 403)
    assert_problem(
        api.client.post(f"/purchase-orders/{oid}/ship", json=_shipment(), headers=member),
        409,
        "invalid-transition",
    )

    confirmed = ok(api.client.post(f"/purchase-orders/{oid}/confirm", headers=member))
    assert confirmed["status"] == "confirmed" and confirmed["version"] == 2
    shipped = ok(api.client.post(f"/purchase-orders/{oid}/ship", json=_shipment(), headers=member))
    assert shipped["status"] == "shipped" and shipped["shipments"][0]["quantity"] == 24
    assert_problem(
        api.client.post(f"/purchase-orders/{oid}/deliver", json={"quantity": 25}, headers=staff),
        422,
        "over-delivery",
    )
    part = ok(
        api.client.post(f"/purchase-orders/{oid}/deliver", json={"quantity": 10}, headers=staff)
    )
    assert part["status"] == "partially_delivered" and part["quantity_delivered"] == 10
    assert_problem(
        api.client.post(
            f"/purchase-orders/{oid}/deliver",
            json={"quantity": 1, "expected_version": 3},
            headers=staff,
        ),
        409,
        "concurrent-update",
    )
    done = ok(
        api.client.post(f"/purchase-orders/{oid}/deliver", json={"quantity": 14}, headers=staff)
    )
    assert done["status"] == "delivered" and done["quantity_delivered"] == 24
    assert_problem(
        api.client.post(f"/purchase-orders/{oid}/cancel", json={"reason": "x"}, headers=admin),
        409,
        "invalid-transition",
    )
    assert ok(api.client.get(f"/purchase-orders/{oid}", headers=member)) == done
    delivered = ok(api.client.get("/purchase-orders?status=delivered", headers=admin))
    assert [o["id"] for o in delivered["items"]] == [oid]
    assert_problem(api.client.get("/purchase-orders?status=lost", headers=admin), 422)

    # The status view: the order is closed, stock came back (inventory says so).
    feed(api, stock_changed(product, CLINIC, 2, on_hand=27, reserved=1))
    [row] = ok(api.client.get(f"/vendors/{acme['id']}/inventory-status", headers=admin))["items"]
    assert row["available"] == 26 and not row["needs_reorder"]
    assert row["open_purchase_order_id"] is None

    # A manual order (admins), and vendors' changes.
    manual = ok(
        api.client.post(
            "/purchase-orders",
            json={
                "vendor_id": acme["id"],
                "product_id": str(product),
                "location_id": str(CLINIC),
                "quantity": 5,
            },
            headers=admin,
        ),
        201,
    )
    assert manual["quantity"] == 6 and manual["origin"] == "manual"
    cancelled = ok(
        api.client.post(
            f"/purchase-orders/{manual['id']}/cancel", json={"reason": "typo"}, headers=member
        )
    )
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "typo"
    patched = ok(
        api.client.patch(
            f"/vendors/{acme['id']}", json={"lead_time_days": 5, "phone": None}, headers=admin
        )
    )
    assert patched["lead_time_days"] == 5 and patched["version"] == 3
    withdrawn = ok(
        api.client.patch(
            f"/vendors/{acme['id']}/catalogue/{item['id']}", json={"active": False}, headers=member
        )
    )
    assert withdrawn["active"] is False
    assert ok(api.client.get(f"/vendors/{acme['id']}/catalogue", headers=staff))["items"] == []
    mine = ok(api.client.get("/vendors", headers=member))
    assert [v["name"] for v in mine["items"]] == ["Acme"]
    assert ok(api.client.get("/vendors", headers=staff))["total"] == 2
    assert_problem(api.client.get("/vendors"), 401)
    assert_problem(api.client.get(f"/vendors/{new_id()}", headers=admin), 404, "vendor-not-found")


def _shipment() -> dict[str, Any]:
    return {"carrier": "DHL", "tracking_number": "JD0001", "expected_delivery_on": "2026-01-05"}
