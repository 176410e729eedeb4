"""The restock flow end to end on the real app (memory store): stock falls → stock.low →
purchase order → shipment → delivery → stock received → status view, with nobody in the loop
between the stock falling and the goods arriving; each step is seen through HTTP.

Duplicated and reordered events change nothing (one purchase order, every unit counted
once): the in-process backbone's events are all delivered again, by an outbox replay and in
reverse order straight through the broker; and the whole flow runs again on a bus that
delivers every message twice and shuffles each batch (several seeds), with both deliveries
recorded before inventory hears of either."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adapters.memory.event_bus import InMemoryEventBus
from tests.e2e.conftest import Api, ApiFactory
from tests.support.restock import (
    ORDERED,
    backbone_settled,
    drop_to_threshold,
    eventually,
    ok,
    redeliver_everything,
    reorders_by_itself,
    requeue_all,
    set_up,
    ship_and_deliver,
)

DEADLINE_SECONDS = 10.0


def test_the_restock_flow_runs_by_itself(api: Api) -> None:
    world = set_up(api, deadline=DEADLINE_SECONDS)
    stock = drop_to_threshold(world)
    assert (stock["available"], stock["threshold"]) == (5, 5)  # low: reordering starts

    order = reorders_by_itself(world)
    ship_and_deliver(world, order)
    eventually(lambda: backbone_settled(api), DEADLINE_SECONDS, "every event handled")
    before = world.snapshot()
    [delivered] = before["purchase_orders"]
    assert delivered["status"] == "delivered" and delivered["quantity_delivered"] == ORDERED

    events = redeliver_everything(api)
    assert events > 20  # clinic, product, stock and purchase order events, each twice more
    eventually(lambda: backbone_settled(api), DEADLINE_SECONDS, "the duplicates handled")
    assert world.snapshot() == before


def _pumped_by(bus: InMemoryEventBus, api: Api) -> Callable[[], None]:
    def pump() -> None:
        api.client.blocking_portal.call(bus.drain)

    return pump


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_duplicated_and_shuffled_events_change_nothing(make_api: ApiFactory, seed: int) -> None:
    # No in-process workers: this bus delivers, only when pumped, every message twice and
    # each batch shuffled.
    api = make_api(inprocess_workers=False)
    backbone = api.container.backbone()
    bus = InMemoryEventBus(
        {c: backbone.memory_stores[c] for c in backbone.publishing_contexts},
        list(backbone.subscriptions.values()),
        duplicate_deliveries=True,
        reorder_seed=seed,
    )
    pump = _pumped_by(bus, api)
    world = set_up(api, deadline=DEADLINE_SECONDS, pump=pump)
    # The sale, the adjustment and the reservation (4 stock changes and the stock.low) reach
    # the vendor context in one shuffled batch: the status view never goes backwards.
    drop_to_threshold(world)
    order = reorders_by_itself(world)
    # Both deliveries' events (10, then 24 in all) reach inventory in one shuffled batch.
    ship_and_deliver(world, order, wait_between=False)
    pump()
    before = world.snapshot()
    stock: dict[str, Any] = before["stock"]
    receipts = [m for m in stock["movements"] if m["reference"] == f"po:{order['id']}"]
    assert sum(m["on_hand_delta"] for m in receipts) == ORDERED
    assert len(before["purchase_orders"]) == 1

    # Everything again, the broker still doubling and shuffling.
    api.client.blocking_portal.call(requeue_all, api)
    report = api.client.blocking_portal.call(bus.drain)
    assert report.relayed > 20
    assert world.snapshot() == before
    assert ok(api.client.get("/purchase-orders", headers=world.admin))["total"] == 1


def test_a_policy_on_an_empty_shelf_reorders_at_once(api: Api) -> None:
    world = set_up(api, deadline=DEADLINE_SECONDS)
    product = ok(
        api.client.post(
            "/products",
            json={
                "sku": "WORM-DOG-L",
                "name": "Wormer for large dogs",
                "unit": "box",
                "price": {"amount": "12.00", "currency": "EUR"},
            },
            headers=world.admin,
        ),
        201,
    )

    def supplied() -> None:
        ok(
            api.client.post(
                f"/vendors/{world.acme}/catalogue",
                json={
                    "product_id": product["product_id"],
                    "vendor_sku": "ACME-WORM",
                    "unit_cost": {"amount": "3.00", "currency": "EUR"},
                },
                headers=world.admin,
            ),
            201,
        )

    eventually(supplied, DEADLINE_SECONDS, "Acme supplying the wormer")
    # Nothing of it at the clinic yet: 0 available is at (below) the threshold.
    stock = ok(
        api.client.put(
            f"/locations/{world.clinic_id}/stock/{product['product_id']}/reorder-policy",
            json={"threshold": 2, "reorder_quantity": 10},
            headers=world.desk.headers,
        )
    )
    assert stock["low"] is True

    def ordered() -> None:
        page = ok(
            api.client.get(
                f"/purchase-orders?product_id={product['product_id']}", headers=world.admin
            )
        )
        assert page["total"] == 1, page

    eventually(ordered, DEADLINE_SECONDS, "a purchase order for the empty shelf")
