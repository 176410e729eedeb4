"""The shop over HTTP on memory storage: placing an order with Idempotency-Key and the fake
payment gateway (201 placed, 202 pending, 402 declined, 409 short stock as problem+json, the
first answer replayed), the views, cancellation with one refund, pick-up by the clinic's
staff, and who may see what (another customer's order is a 404)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from adapters.payments.fake_gateway import FakePaymentGateway
from petpro_core.auth.domain.roles import Role
from petpro_core.inventory.commands import CreateProduct, ReceiveStock
from petpro_core.inventory.domain.locations import Location, LocationKind
from petpro_core.inventory.domain.products import Product
from petpro_core.shared.actors import OPERATOR_ACTOR
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from tests.e2e.conftest import Api, assert_problem
from tests.support.clinic_http import Person, ok, person


@dataclass
class Shop:
    clinic_id: str
    desk: Person
    owner: Person
    food: Product
    drops: Product


def _shop(api: Api) -> Shop:
    desk = person(api, "desk@example.com", Role.CLINIC_STAFF)
    owner = person(api, "ann@example.com")
    clinic_id = new_id()

    async def learn_clinic() -> None:
        # Inventory learns clinics from clinic events; here it is told directly.
        unit = api.container.inventory.unit_of_work()()
        async with unit:
            await unit.locations.put_clinic(
                Location(
                    location_id=clinic_id,
                    kind=LocationKind.CLINIC,
                    name="Shibuya Animal Clinic",
                    staff=frozenset({UUID(desk.user_id)}),
                    updated_at=api.clock.now(),
                )
            )
            await unit.commit()

    api.client.blocking_portal.call(learn_clinic)
    products = []
    for sku, price, stock in (("FOOD", "2400", 5), ("DROPS", "1100", 1)):
        product: Product = api.execute(
            CreateProduct(
                actor=OPERATOR_ACTOR,
                sku=sku,
                name=f"Product {sku}",
                unit="box",
                price=Money.of(price, "JPY"),
            )
        )
        api.execute(
            ReceiveStock(
                actor=OPERATOR_ACTOR,
                product_id=product.product_id,
                location_id=clinic_id,
                quantity=stock,
            )
        )
        products.append(product)
    return Shop(str(clinic_id), desk, owner, products[0], products[1])


def _order(
    api: Api,
    shop: Shop,
    *lines: tuple[Product, int],
    key: str,
    token: str = "tok_visa",
    headers: dict[str, str] | None = None,
) -> Any:
    body = {
        "location_id": shop.clinic_id,
        "lines": [{"product_id": str(p.product_id), "quantity": q} for p, q in lines],
        "payment_method_token": token,
    }
    return api.client.post(
        "/customer-orders",
        json=body,
        headers={**(headers or shop.owner.headers), "Idempotency-Key": key},
    )


def _gateway(api: Api) -> FakePaymentGateway:
    gateway: FakePaymentGateway = api.container.inventory.payments()
    return gateway


def test_an_order_is_placed_once_and_replayed_by_idempotency_key(api: Api) -> None:
    shop = _shop(api)
    first = _order(api, shop, (shop.food, 2), (shop.drops, 1), key="k-1")
    order = ok(first, 201)
    assert order["status"] == "placed" and order["payment"] == "charged"
    assert order["total"] == {"amount": "5900", "currency": "JPY"}
    assert {line["sku"]: line["unit_price"]["amount"] for line in order["lines"]} == {
        "FOOD": "2400",
        "DROPS": "1100",
    }
    assert first.headers["location"] == f"/customer-orders/{order['id']}"

    again = _order(api, shop, (shop.food, 2), (shop.drops, 1), key="k-1")
    assert again.status_code == 201 and again.json() == order
    assert again.headers["idempotent-replayed"] == "true"
    assert len(_gateway(api).charges) == 1
    assert _gateway(api) is api.container.booking.payments()  # one ledger for the platform

    assert_problem(_order(api, shop, (shop.food, 1), key="k-1"), 422, "idempotency-key-reused")
    missing = api.client.post(
        "/customer-orders",
        json={
            "location_id": shop.clinic_id,
            "lines": [{"product_id": str(shop.food.product_id)}],
            "payment_method_token": "tok_visa",
        },
        headers=shop.owner.headers,
    )
    assert_problem(missing, 400, "idempotency-key-missing")
    assert_problem(_order(api, shop, key="k-empty"), 422, "validation-error")


def test_declined_and_short_orders_are_problems_and_replayed(api: Api) -> None:
    shop = _shop(api)
    declined = assert_problem(
        _order(api, shop, (shop.food, 1), key="k-d", token="tok_declined"), 402, "payment-declined"
    )
    assert declined["detail"] == "card declined"
    replay = _order(api, shop, (shop.food, 1), key="k-d", token="tok_declined")
    assert_problem(replay, 402, "payment-declined")
    assert replay.headers["idempotent-replayed"] == "true"

    short = assert_problem(
        _order(api, shop, (shop.food, 1), (shop.drops, 2), key="k-s"), 409, "out-of-stock"
    )
    assert "DROPS" in short["detail"] and "1 available" in short["detail"]
    assert _gateway(api).calls["charge"] == 1  # only the declined one
    # Nothing is left reserved: all five FOOD can still be ordered.
    ok(_order(api, shop, (shop.food, 5), key="k-all"), 201)
    for failed_id in (declined["customer_order_id"], short["customer_order_id"]):
        failed = ok(api.client.get(f"/customer-orders/{failed_id}", headers=shop.owner.headers))
        assert failed["status"] == "failed"


def test_a_gateway_that_does_not_answer_leaves_the_order_pending(api: Api) -> None:
    shop = _shop(api)
    pending = ok(_order(api, shop, (shop.food, 1), key="k-p", token="tok_transient"), 202)
    assert pending["status"] == "pending_payment" and pending["payment"] == "charging"
    assert_problem(
        api.client.post(f"/customer-orders/{pending['id']}/cancel", headers=shop.owner.headers),
        409,
        "customer-order-not-cancellable",
    )


def test_views_cancellation_and_pick_up(api: Api) -> None:
    shop = _shop(api)
    rival = person(api, "bob@example.com")
    first = ok(_order(api, shop, (shop.food, 2), key="k-1"), 201)
    second = ok(_order(api, shop, (shop.food, 1), key="k-2"), 201)

    mine = ok(api.client.get("/customer-orders", headers=shop.owner.headers))
    assert {o["id"] for o in mine["items"]} == {first["id"], second["id"]}
    assert ok(api.client.get("/customer-orders", headers=rival.headers))["total"] == 0
    assert_problem(
        api.client.get(f"/customer-orders/{first['id']}", headers=rival.headers),
        404,
        "customer-order-not-found",
    )
    at_clinic = ok(
        api.client.get(f"/locations/{shop.clinic_id}/customer-orders", headers=shop.desk.headers)
    )
    assert at_clinic["total"] == 2
    assert_problem(
        api.client.get(f"/locations/{shop.clinic_id}/customer-orders", headers=rival.headers),
        403,
    )

    cancel_url = f"/customer-orders/{first['id']}/cancel"
    cancelled = ok(
        api.client.post(cancel_url, json={"reason": "found it cheaper"}, headers=shop.owner.headers)
    )
    assert cancelled["status"] == "cancelled" and cancelled["payment"] == "refunded"
    assert cancelled["cancelled_by"] == "customer"
    assert cancelled["refund"] == {"amount": "4800", "currency": "JPY"}
    assert ok(api.client.post(cancel_url, headers=shop.owner.headers)) == cancelled
    assert len(_gateway(api).refunds) == 1

    fulfil_url = f"/customer-orders/{second['id']}/fulfil"
    assert_problem(api.client.post(fulfil_url, headers=shop.owner.headers), 403)
    assert_problem(api.client.post(fulfil_url, headers=rival.headers), 404)
    fulfilled = ok(api.client.post(fulfil_url, headers=shop.desk.headers))
    assert fulfilled["status"] == "fulfilled"
    assert_problem(
        api.client.post(f"/customer-orders/{second['id']}/cancel", headers=shop.owner.headers),
        409,
        "customer-order-not-cancellable",
    )
