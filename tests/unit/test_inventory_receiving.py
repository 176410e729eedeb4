"""Receiving from purchase orders on memory: the vendor's events count stock on order,
which low stock takes into account, and deliveries are received exactly once per unit
whatever the duplicates and the order of arrival; clinics become stock locations."""

from __future__ import annotations

from datetime import date

import pytest

from petpro_core.contracts.clinic import ClinicUpdated
from petpro_core.contracts.inventory import StockChanged, StockLow, StockReceived
from petpro_core.contracts.vendor import OrderDelivered
from petpro_core.inventory.commands import AdjustStock, ListLocations, ReceiveStock
from petpro_core.inventory.domain.errors import LocationNotFound
from petpro_core.inventory.domain.incoming import IncomingOrder
from petpro_core.inventory.domain.locations import LocationKind
from petpro_core.inventory.domain.products import Product
from petpro_core.shared.actors import Actor
from petpro_core.shared.errors import PermissionDenied
from petpro_core.shared.ids import new_id
from tests.support.inventory import (
    ADMIN,
    CLINIC,
    InventoryHarness,
    clinic_event,
    order_cancelled,
    order_created,
    order_delivered,
    shipment_created,
)


@pytest.fixture
def inventory() -> InventoryHarness:
    return InventoryHarness()


async def incoming(inventory: InventoryHarness, po: object) -> IncomingOrder:
    async with inventory.uow() as uow:
        order = await uow.incoming_orders.get(po)  # type: ignore[arg-type]
    assert order is not None
    return order


async def low_product(inventory: InventoryHarness) -> Product:
    """P1 at the clinic: 2 available, threshold 5, already reported low."""
    product = await inventory.product()
    await inventory.receive(product, 2)
    await inventory.policy(product, threshold=5, reorder=10)
    assert len(inventory.events(StockLow)) == 1
    return product


async def test_an_order_counts_on_order_and_lifts_the_item_out_of_low(
    inventory: InventoryHarness,
) -> None:
    product = await low_product(inventory)
    po = new_id()

    await inventory.deliver(order_created(po, product, 10))

    item = await inventory.item(product)
    assert (item.on_order, item.available, item.is_low, item.low_reported) == (10, 2, False, False)
    order = await incoming(inventory, po)
    assert (order.quantity_ordered, order.quantity_received, order.open) == (10, 0, True)
    assert order.expected_on == date(2026, 3, 9)
    assert len(inventory.events(StockLow)) == 1


async def test_stock_on_order_keeps_an_item_from_going_low(inventory: InventoryHarness) -> None:
    product = await inventory.product()
    await inventory.receive(product, 8)
    await inventory.policy(product, threshold=5)
    await inventory.deliver(order_created(new_id(), product, 4))

    await inventory.bus.execute(
        AdjustStock(
            actor=ADMIN, product_id=product.product_id, location_id=CLINIC, delta=-6, reason="x"
        )
    )  # 2 available + 4 on order = 6 > 5

    assert inventory.events(StockLow) == []


async def test_deliveries_are_received_once_per_unit_and_close_the_order(
    inventory: InventoryHarness,
) -> None:
    product = await low_product(inventory)
    po = new_id()
    await inventory.deliver(order_created(po, product, 10))
    await inventory.deliver(shipment_created(po, product, 10))
    assert (await incoming(inventory, po)).expected_on == date(2026, 3, 6)

    partial = order_delivered(po, product, 10, 4, version=4)
    await inventory.deliver(partial)
    await inventory.deliver(partial)  # the same message again: the inbox skips it
    # The same news again under a new event id (a republish): cumulative, so nothing new.
    await inventory.deliver(order_delivered(po, product, 10, 4, version=4))
    item = await inventory.item(product)
    assert (item.on_hand, item.on_order) == (6, 6)

    await inventory.deliver(order_delivered(po, product, 10, 10, version=5))
    await inventory.deliver(order_delivered(po, product, 10, 10, version=5))

    item = await inventory.item(product)
    assert (item.on_hand, item.on_order, item.is_low) == (12, 0, False)
    order = await incoming(inventory, po)
    assert (order.quantity_received, order.open) == (10, False)
    received = inventory.events(StockReceived)
    assert [(e.quantity, e.purchase_order_id, e.on_hand) for e in received] == [
        (4, po, 6),
        (6, po, 12),
    ]
    async with inventory.uow() as uow:
        ledger = await uow.stock.movements(item.stock_item_id)
    receipts = [m for m in ledger if m.reference == f"po:{po}"]
    assert [m.on_hand_delta for m in receipts] == [4, 6]
    assert [e.reason for e in inventory.events(StockChanged)][-2:] == ["received", "received"]


async def test_a_delivery_before_its_order_creates_it_and_the_late_order_changes_nothing(
    inventory: InventoryHarness,
) -> None:
    product = await low_product(inventory)
    po = new_id()

    await inventory.deliver(order_delivered(po, product, 10, 3, version=4))
    item = await inventory.item(product)
    assert (item.on_hand, item.on_order) == (5, 7)

    await inventory.deliver(order_created(po, product, 10))
    await inventory.deliver(order_delivered(po, product, 10, 2, version=3))  # older, fewer

    item = await inventory.item(product)
    assert (item.on_hand, item.on_order) == (5, 7)
    assert [e.quantity for e in inventory.events(StockReceived)] == [3]


async def test_a_full_delivery_of_a_low_item_is_no_new_crossing(
    inventory: InventoryHarness,
) -> None:
    product = await inventory.product()
    await inventory.receive(product, 1)
    await inventory.policy(product, threshold=10)
    po = new_id()
    await inventory.deliver(order_created(po, product, 3))  # 1 + 3 on order: still low

    await inventory.deliver(order_delivered(po, product, 3, 3))  # 4 + 0: still low

    assert len(inventory.events(StockLow)) == 1
    item = await inventory.item(product)
    assert (item.on_hand, item.on_order, item.low_reported) == (4, 0, True)


async def test_a_cancelled_order_receives_what_came_and_no_longer_counts(
    inventory: InventoryHarness,
) -> None:
    product = await low_product(inventory)
    po = new_id()
    await inventory.deliver(order_created(po, product, 10))  # 2 + 10: not low
    await inventory.deliver(order_delivered(po, product, 10, 1, version=4))

    # Cancelled with 2 delivered (the second delivery's event is lost or late).
    await inventory.deliver(order_cancelled(po, product, 10, 2, version=6))
    await inventory.deliver(order_delivered(po, product, 10, 2, version=5))  # late: nothing

    item = await inventory.item(product)
    assert (item.on_hand, item.on_order) == (4, 0)
    assert not (await incoming(inventory, po)).open
    assert [e.quantity for e in inventory.events(StockReceived)] == [1, 1]
    # 4 + 0 <= 5: a new crossing, so the vendor reorders.
    assert [e.available for e in inventory.events(StockLow)] == [2, 4]


async def test_an_order_for_a_product_the_inventory_does_not_know_fails_the_event(
    inventory: InventoryHarness,
) -> None:
    stranger = Product(
        product_id=new_id(),
        sku="NOPE",
        name="n",
        unit="u",
        price=(await inventory.product()).price,
        created_at=inventory.clock.now(),
        updated_at=inventory.clock.now(),
    )
    with pytest.raises(Exception, match="unknown product"):
        await inventory.deliver(order_created(new_id(), stranger, 1))
    async with inventory.uow() as uow:
        assert await uow.stock.get(stranger.product_id, CLINIC) is None


async def test_clinics_become_locations_that_never_go_backwards(
    inventory: InventoryHarness,
) -> None:
    clinic_id = new_id()
    staff = Actor(user_id=new_id(), roles=frozenset({"clinic_staff"}))
    product = await inventory.product()
    receive = ReceiveStock(
        actor=staff, product_id=product.product_id, location_id=clinic_id, quantity=1
    )
    with pytest.raises(LocationNotFound):
        await inventory.bus.execute(receive)

    await inventory.deliver(clinic_event(clinic_id, version=2, staff=(staff.user_id,)))
    await inventory.deliver(clinic_event(clinic_id, version=1, name="Old name"))  # late
    await inventory.bus.execute(receive)

    locations = await inventory.bus.execute(ListLocations(actor=ADMIN))
    [clinic] = [loc for loc in locations if loc.location_id == clinic_id]
    assert (clinic.kind, clinic.name, clinic.version) == (LocationKind.CLINIC, "Clinic v2", 2)

    await inventory.deliver(clinic_event(clinic_id, version=3, event_type=ClinicUpdated))
    with pytest.raises(PermissionDenied):  # no longer on its staff
        await inventory.bus.execute(receive)


async def test_the_subscription_consumes_what_the_inventory_expects() -> None:
    from petpro_core.inventory.expectations import EXPECTED_FIELDS

    subscription = InventoryHarness().subscription
    assert subscription.consumer == "inventory"
    assert set(subscription.event_names) <= set(EXPECTED_FIELDS)
    assert OrderDelivered.NAME in subscription.event_names
