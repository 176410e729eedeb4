"""The restock flow over HTTP, step by step, for the end-to-end tests (memory store with the
in-process backbone, or PostgreSQL + Redis with `petpro worker` processes).

Every step acts through the HTTP API and every effect of another context is waited for over
HTTP with a deadline (`eventually`): nothing here calls a handler or feeds a consumer.

The cast: an admin, a clinic's desk (clinic staff), a pet owner, three vendors supplying one
product (Cheapo: cheapest but too slow for the clinic; Acme: in time and cheaper than
Express, in packs of 6; Express: fastest and dearest) and Acme's order desk (a vendor member).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from httpx import Response

from adapters.codec.cloudevents import encode_event
from adapters.messaging.types import OutboxRecord
from petpro_core.auth.commands import ChangeRoles
from petpro_core.auth.domain.roles import OPERATOR, Role
from tests.e2e.conftest import Api, bearer

T = TypeVar("T")

THRESHOLD = 5
REORDER_QUANTITY = 20
NEEDED_WITHIN_DAYS = 5
PACK_SIZE = 6
ORDERED = 24  # 20 rounded up to packs of 6
FIRST_RECEIPT = 12
CLINIC_ADDRESS = {"lines": ["12 Rue de la Paix"], "locality": "Lyon", "country": "FR"}
# name, lead time (days), unit cost (EUR), pack size
VENDORS = (
    ("Cheapo Wholesale", 14, "1.80", 1),
    ("Acme Pet Supply", 3, "2.50", PACK_SIZE),
    ("Express Vet Supply", 1, "4.00", 1),
)


def ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def nothing() -> None:
    """No pump: the app's backbone (or the workers) deliver events by themselves."""


def eventually(
    check: Callable[[], T], seconds: float, what: str, pump: Callable[[], None] = nothing
) -> T:
    """Poll `check` (an assertion that answers a value) until it passes or `seconds` pass;
    `pump` runs before each look (a test bus that delivers only when told)."""
    deadline = time.monotonic() + seconds
    while True:
        pump()
        try:
            return check()
        except AssertionError as error:
            if time.monotonic() > deadline:
                raise AssertionError(f"after {seconds} s, still not {what}: {error}") from error
            time.sleep(0.02)


@dataclass
class Member:
    headers: dict[str, str]
    user_id: str


def member(api: Api, email: str, *roles: Role) -> Member:
    """A new user with `roles`, logged in again so the token carries them."""
    headers = api.user(email)
    user_id: str = ok(api.client.get("/users/me", headers=headers))["id"]
    if roles:
        api.execute(ChangeRoles(actor=OPERATOR, user_id=UUID(user_id), grant=frozenset(roles)))
        headers = bearer(api.tokens(email)["access_token"])
    return Member(headers, user_id)


@dataclass
class RestockWorld:
    api: Api
    deadline: float
    admin: dict[str, str]
    desk: Member
    owner: Member
    order_desk: Member  # Acme's member
    clinic_id: str
    product_id: str
    vendors: dict[str, str]  # name → id
    pump: Callable[[], None] = nothing

    @property
    def acme(self) -> str:
        return self.vendors["Acme Pet Supply"]

    def wait(self, check: Callable[[], T], what: str) -> T:
        return eventually(check, self.deadline, what, self.pump)

    # -- reads ---------------------------------------------------------------------------

    def stock(self) -> dict[str, Any]:
        body: dict[str, Any] = ok(
            self.api.client.get(
                f"/locations/{self.clinic_id}/stock/{self.product_id}", headers=self.desk.headers
            )
        )
        return body

    def purchase_orders(self) -> list[dict[str, Any]]:
        page = ok(
            self.api.client.get(
                f"/purchase-orders?product_id={self.product_id}", headers=self.admin
            )
        )
        items: list[dict[str, Any]] = page["items"]
        assert page["total"] == len(items)
        return items

    def status_row(self) -> dict[str, Any]:
        rows = ok(
            self.api.client.get(
                f"/vendors/{self.acme}/inventory-status", headers=self.order_desk.headers
            )
        )["items"]
        mine = [r for r in rows if r["location_id"] == self.clinic_id]
        assert len(mine) == 1, rows
        row: dict[str, Any] = mine[0]
        return row

    def snapshot(self) -> dict[str, Any]:
        """Everything the flow changed, as HTTP shows it."""
        return {
            "stock": self.stock(),
            "purchase_orders": self.purchase_orders(),
            "status": self.status_row(),
        }


def set_up(api: Api, *, deadline: float, pump: Callable[[], None] = nothing) -> RestockWorld:
    """Clinic (a stock location through clinic.created/updated), product (in the vendor's
    catalogue through product.created), three vendors with a supply item each, the reorder
    policy and a first receipt of 12 units."""
    client = api.client
    admin = api.admin()
    desk = member(api, "desk@clinic.example", Role.CLINIC_STAFF)
    owner = member(api, "ann@example.com")
    order_desk = member(api, "orders@acme.example", Role.VENDOR)

    clinic = ok(
        client.post(
            "/clinics",
            json={
                "name": "Lyon Vet Clinic",
                "address": CLINIC_ADDRESS,
                "time_zone": "Europe/Paris",
            },
            headers=admin,
        ),
        201,
    )
    clinic_id = clinic["id"]
    ok(
        client.put(
            f"/clinics/{clinic_id}/staff/{desk.user_id}",
            json={"role": "clinic_staff"},
            headers=admin,
        )
    )

    def clinic_is_a_location() -> None:
        locations = ok(client.get("/locations", headers=admin))["items"]
        mine = [loc for loc in locations if loc["location_id"] == clinic_id]
        assert mine and mine[0]["kind"] == "clinic", locations
        assert desk.user_id in mine[0]["staff"], mine

    eventually(clinic_is_a_location, deadline, "a stock location with its staff", pump)

    product = ok(
        client.post(
            "/products",
            json={
                "sku": "FLEA-CAT-S",
                "name": "Flea treatment for cats",
                "unit": "pack of 3",
                "price": {"amount": "19.95", "currency": "EUR"},
                "species": ["cat"],
            },
            headers=admin,
        ),
        201,
    )
    product_id = product["product_id"]

    vendors: dict[str, str] = {}
    for name, lead_time, cost, pack in VENDORS:
        vendor = ok(
            client.post(
                "/vendors", json={"name": name, "lead_time_days": lead_time}, headers=admin
            ),
            201,
        )
        vendors[name] = vendor["id"]
        item = {
            "product_id": product_id,
            "vendor_sku": f"{name.split()[0][:4].upper()}-FLEA",
            "unit_cost": {"amount": cost, "currency": "EUR"},
            "pack_size": pack,
        }

        def supplied(vendor_id: str = vendor["id"], body: dict[str, Any] = item) -> None:
            # 404 product-not-found until product.created has reached the vendor context.
            ok(client.post(f"/vendors/{vendor_id}/catalogue", json=body, headers=admin), 201)

        eventually(supplied, deadline, f"{name} supplying the product", pump)
    ok(
        client.post(
            f"/vendors/{vendors['Acme Pet Supply']}/members",
            json={"user_id": order_desk.user_id},
            headers=admin,
        )
    )

    world = RestockWorld(
        api, deadline, admin, desk, owner, order_desk, clinic_id, product_id, vendors, pump
    )
    item_path = f"/locations/{clinic_id}/stock/{product_id}"
    # The receipt first: a policy set on a shelf that never held stock fails today (see
    # test_a_policy_on_an_empty_shelf_reorders_at_once in tests/e2e/test_restock_flow.py).
    stock = ok(
        client.post(
            f"{item_path}/receipts",
            json={"quantity": FIRST_RECEIPT, "reference": "opening stock"},
            headers=desk.headers,
        ),
        201,
    )
    assert (stock["on_hand"], stock["available"]) == (FIRST_RECEIPT, FIRST_RECEIPT)
    stock = ok(
        client.put(
            f"{item_path}/reorder-policy",
            json={
                "threshold": THRESHOLD,
                "reorder_quantity": REORDER_QUANTITY,
                "needed_within_days": NEEDED_WITHIN_DAYS,
            },
            headers=desk.headers,
        )
    )
    assert (stock["threshold"], stock["on_order"], stock["low"]) == (THRESHOLD, 0, False)
    return world


def drop_to_threshold(world: RestockWorld) -> dict[str, Any]:
    """A customer order collected at the desk (a sale of 4), a stocktake adjustment (-2) and
    a reservation (1): available 12 → 8 → 6 → 5, at the threshold. Answers the stock."""
    api, client = world.api, world.api.client
    order = ok(
        client.post(
            "/customer-orders",
            json={
                "location_id": world.clinic_id,
                "lines": [{"product_id": world.product_id, "quantity": 4}],
                "payment_method_token": "tok_visa",
            },
            headers={**world.owner.headers, "Idempotency-Key": "restock-flow-order-1"},
        ),
        201,
    )
    assert order["status"] == "placed"
    fulfilled = ok(
        client.post(f"/customer-orders/{order['id']}/fulfil", headers=world.desk.headers)
    )
    assert fulfilled["status"] == "fulfilled"
    item_path = f"/locations/{world.clinic_id}/stock/{world.product_id}"
    stock = ok(
        client.post(
            f"{item_path}/adjustments",
            json={"delta": -2, "reason": "two packs damaged"},
            headers=world.desk.headers,
        ),
        201,
    )
    assert (stock["available"], stock["low"]) == (6, False)
    reservation = ok(
        client.post(
            "/reservations",
            json={
                "reservation_id": "0192f000-0000-7000-8000-00000000aaaa",
                "location_id": world.clinic_id,
                "lines": [{"product_id": world.product_id, "quantity": 1}],
                "expires_at": (api.clock.now() + timedelta(days=30)).isoformat(),
                "reference": "booking:restock-flow",
            },
            headers=world.admin,
        ),
    )
    assert reservation["reserved"] is True, reservation
    stock = world.stock()
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (6, 1, 5)
    return stock


def reorders_by_itself(world: RestockWorld) -> dict[str, Any]:
    """stock.low → exactly one automatic purchase order with Acme (in time and cheapest of
    those in time) for 24 units, counted on order by inventory. Answers the order."""

    def one_order() -> dict[str, Any]:
        orders = world.purchase_orders()
        assert len(orders) == 1, orders
        return orders[0]

    order = world.wait(one_order, "one automatic purchase order")
    assert order["origin"] == "automatic" and order["origin_event_id"], order
    assert (order["vendor_name"], order["quantity"], order["status"]) == (
        "Acme Pet Supply",
        ORDERED,
        "created",
    )
    assert order["total_cost"] == {"amount": "60.00", "currency": "EUR"}
    assert order["location_id"] == world.clinic_id and order["sku"] == "FLEA-CAT-S"

    def on_order() -> dict[str, Any]:
        stock = world.stock()
        assert stock["on_order"] == ORDERED, stock
        return stock

    stock = world.wait(on_order, "counted on order by inventory")
    assert (stock["available"], stock["low"]) == (5, False)  # 5 + 24 on order > 5

    def decided() -> dict[str, Any]:
        row = world.status_row()
        assert row["last_reorder"] is not None, row
        assert row["open_purchase_order_id"] == order["id"], row
        assert (row["available"], row["threshold"], row["needs_reorder"]) == (5, 5, True), row
        return row

    row = world.wait(decided, "the reorder in the status view")
    assert row["last_reorder"]["outcome"] == "ordered"
    assert row["last_reorder"]["purchase_order_id"] == order["id"]
    return order


def ship_and_deliver(
    world: RestockWorld, order: dict[str, Any], *, wait_between: bool = True
) -> dict[str, Any]:
    """Acme's desk confirms and ships; the clinic's desk records 10 units, Acme's desk the
    other 14; inventory receives both (ledger receipts referencing the order) and the status
    view follows. Answers the delivered order. `wait_between=False` records the second
    delivery before looking for the first's receipt (so its events may arrive first)."""
    client, oid = world.api.client, order["id"]
    vendor = world.order_desk.headers
    confirmed = ok(client.post(f"/purchase-orders/{oid}/confirm", json={}, headers=vendor))
    assert confirmed["status"] == "confirmed"
    shipped = ok(
        client.post(
            f"/purchase-orders/{oid}/ship",
            json={
                "carrier": "DHL",
                "tracking_number": "JD014600003828",
                "expected_delivery_on": confirmed["expected_on"],
            },
            headers=vendor,
        )
    )
    assert shipped["status"] == "shipped"
    assert [(s["carrier"], s["tracking_number"], s["quantity"]) for s in shipped["shipments"]] == [
        ("DHL", "JD014600003828", ORDERED)
    ]

    part = ok(
        client.post(
            f"/purchase-orders/{oid}/deliver", json={"quantity": 10}, headers=world.desk.headers
        )
    )
    assert (part["status"], part["quantity_delivered"]) == ("partially_delivered", 10)

    def received(on_hand: int, on_order: int, units: int) -> Callable[[], dict[str, Any]]:
        def check() -> dict[str, Any]:
            stock = world.stock()
            assert (stock["on_hand"], stock["on_order"]) == (on_hand, on_order), stock
            ledger = [m for m in stock["movements"] if m["reference"] == f"po:{oid}"]
            assert {m["kind"] for m in ledger} == {"receipt"}, stock["movements"]
            assert sum(m["on_hand_delta"] for m in ledger) == units, ledger
            return stock

        return check

    if wait_between:
        stock = world.wait(received(16, 14, 10), "10 units received")
        assert (stock["available"], stock["low"]) == (15, False)

    done = ok(client.post(f"/purchase-orders/{oid}/deliver", json={"quantity": 14}, headers=vendor))
    assert (done["status"], done["quantity_delivered"]) == ("delivered", ORDERED)
    stock = world.wait(received(30, 0, ORDERED), "all 24 units received")
    assert (stock["reserved"], stock["available"], stock["low"]) == (1, 29, False)
    receipts = [m["on_hand_delta"] for m in stock["movements"] if m["reference"] == f"po:{oid}"]
    # Deliveries count cumulatively: when "24 delivered" arrives before "10 delivered",
    # inventory receives 24 at once and the late event adds nothing.
    assert receipts in ([10, 14], [ORDERED] if not wait_between else [10, 14]), receipts

    def status_current() -> dict[str, Any]:
        row = world.status_row()
        assert (row["on_hand"], row["reserved"], row["available"]) == (30, 1, 29), row
        assert row["needs_reorder"] is False and row["open_purchase_order_id"] is None, row
        return row

    row = world.wait(status_current, "the status view current")
    assert row["vendor_name"] == "Acme Pet Supply" and row["sku"] == "FLEA-CAT-S"
    assert row["last_reorder"]["outcome"] == "ordered"
    delivered: dict[str, Any] = done
    return delivered


def redeliver_everything(api: Api) -> int:
    """Every event each context ever committed, delivered again twice over: the outboxes
    replayed (`petpro outbox replay`: the relay publishes each row again, in order), and the
    same envelopes published once more straight to the broker in reverse order. Runs in the
    app's event loop; answers how many events each round carried."""
    backbone = api.container.backbone()

    async def redeliver() -> int:
        records = []
        for context in backbone.publishing_contexts:
            store = backbone.memory_stores[context]
            rows = store.outbox_rows
            records += [
                OutboxRecord(
                    event_id=event.event_id,
                    position=rows[event.event_id].position,
                    topic=event.NAME,
                    event_type=event.type_name(),
                    body=encode_event(
                        event, context=context, headers=store.outbox_headers.get(event.event_id)
                    ),
                )
                for event in store.outbox
            ]
        assert await requeue_all(api) == len(records)
        await backbone.broker().publish(records[::-1])
        return len(records)

    count: int = api.client.blocking_portal.call(redeliver)
    return count


async def requeue_all(api: Api) -> int:
    """`petpro outbox replay` of every context's whole outbox (in the app's event loop)."""
    backbone = api.container.backbone()
    since = datetime.min.replace(tzinfo=UTC)
    return sum([await backbone.outbox(c).requeue(since) for c in backbone.publishing_contexts])


def backbone_settled(api: Api, contexts: Sequence[str] | None = None) -> None:
    """Every outbox relayed and every consumer group caught up, nothing pending (only the
    outboxes and groups of `contexts`, when given: the ones whose workers run)."""
    backbone = api.container.backbone()

    async def status() -> tuple[list[Any], list[Any]]:
        return await backbone.outbox_status(), await backbone.consumer_lag()

    outboxes, lags = api.client.blocking_portal.call(status)
    outboxes = [o for o in outboxes if contexts is None or o.context in contexts]
    lags = [g for g in lags if contexts is None or g.group in contexts]
    assert all(o.pending == 0 for o in outboxes), outboxes
    assert all(g.pending == 0 and g.lag == 0 for g in lags), [g for g in lags if g.pending or g.lag]
