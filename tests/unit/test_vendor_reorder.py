"""Automatic reorders on stock.low, on memory: the preferred vendor (cheapest of those in
time, else the fastest, else none and why), quantities rounded to packs and minimums, and
never a second open order for one product and location."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from petpro_core.contracts.vendor import OrderCreated
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from petpro_core.vendor.commands import (
    CancelPurchaseOrder,
    GetVendorInventoryStatus,
    ListPurchaseOrders,
    UpdateVendor,
)
from petpro_core.vendor.domain.catalogue import order_quantity
from petpro_core.vendor.domain.orders import OrderOrigin, OrderStatus, PurchaseOrder
from petpro_core.vendor.domain.status import ReorderOutcome
from tests.support.vendor import ADMIN, CLINIC, T0, WAREHOUSE, VendorHarness, stock_low


async def orders(vendor: VendorHarness, **filters: object) -> list[PurchaseOrder]:
    page = await vendor.execute(ListPurchaseOrders(actor=ADMIN, **filters))  # type: ignore[arg-type]
    return list(page.items)


@pytest.fixture
def harness() -> VendorHarness:
    return VendorHarness()


@pytest.mark.parametrize(
    ("wanted", "pack", "minimum", "expected"),
    [
        (20, 1, 1, 20),
        (20, 6, 1, 24),  # up to whole packs
        (24, 6, 1, 24),
        (20, 1, 50, 50),  # at least the minimum
        (20, 12, 30, 36),  # the minimum, rounded up to packs again
        (1, 10, 1, 10),
    ],
)
def test_quantities_are_rounded_up_to_packs_and_the_minimum(
    wanted: int, pack: int, minimum: int, expected: int
) -> None:
    assert order_quantity(wanted, pack_size=pack, minimum_order=minimum) == expected


async def test_the_cheapest_vendor_that_can_deliver_in_time_gets_the_order(
    harness: VendorHarness,
) -> None:
    product = await harness.product()
    slow_cheap = await harness.vendor("Slow & Cheap", lead_time_days=10)
    fast_dear = await harness.vendor("Fast & Dear", lead_time_days=2)
    in_time = await harness.vendor("In Time", lead_time_days=5)
    await harness.supplies(slow_cheap, product, "1.00")
    await harness.supplies(fast_dear, product, "3.00")
    # Cheaper per unit than fast_dear, but packs of 12: 24 units for 20 wanted.
    await harness.supplies(in_time, product, "2.40", pack_size=12)

    low = stock_low(product, needed_within_days=7, reorder_quantity=20)
    await harness.deliver([low])

    [order] = await orders(harness)
    assert order.vendor_id == in_time.vendor_id  # 57.60 < 60.00; slow_cheap is too slow
    assert order.quantity == 24 and order.unit_cost == Money(Decimal("2.40"), "EUR")
    assert order.origin is OrderOrigin.AUTOMATIC and order.origin_event_id == low.event_id
    assert order.status is OrderStatus.CREATED and order.note is None
    assert order.expected_on == T0.date().replace(day=T0.day + 5)
    [created] = harness.outbox()
    assert isinstance(created, OrderCreated)
    assert created.total_cost == Money(Decimal("57.60"), "EUR") and created.quantity == 24
    assert created.vendor_name == "In Time" and created.aggregate_version == 1


async def test_a_cost_tie_goes_to_the_shorter_lead_time_then_the_name(
    harness: VendorHarness,
) -> None:
    product = await harness.product()
    b = await harness.vendor("Bravo", lead_time_days=3)
    a = await harness.vendor("Alpha", lead_time_days=3)
    c = await harness.vendor("Charlie", lead_time_days=4)
    for vendor in (a, b, c):
        await harness.supplies(vendor, product, "2.00")
    await harness.deliver([stock_low(product)])
    [order] = await orders(harness)
    assert order.vendor_name == "Alpha"

    await harness.execute(
        CancelPurchaseOrder(actor=ADMIN, purchase_order_id=order.purchase_order_id, reason="x")
    )
    await harness.execute(UpdateVendor(actor=ADMIN, vendor_id=c.vendor_id, lead_time_days=1))
    harness.clock.advance(timedelta(hours=1))
    await harness.deliver([stock_low(product, version=2)])
    newest = (await orders(harness, status="created"))[0]
    assert newest.vendor_name == "Charlie"


async def test_when_nobody_can_deliver_in_time_the_fastest_gets_it_with_a_note(
    harness: VendorHarness,
) -> None:
    product = await harness.product()
    slow = await harness.vendor("Slow", lead_time_days=10)
    slower = await harness.vendor("Slower", lead_time_days=14)
    await harness.supplies(slow, product, "5.00")
    await harness.supplies(slower, product, "1.00")

    await harness.deliver([stock_low(product, needed_within_days=3)])

    [order] = await orders(harness)
    assert order.vendor_id == slow.vendor_id
    assert order.note is not None and "no vendor can deliver within 3 day(s)" in order.note


async def test_no_vendor_no_order_and_the_status_view_says_why(harness: VendorHarness) -> None:
    product = await harness.product()
    retired = await harness.vendor("Retired", active=False)
    await harness.supplies(retired, product, "1.00")
    other = await harness.vendor("Other")  # supplies something else
    await harness.supplies(other, await harness.product("OTHER-1"), "1.00")

    await harness.deliver([stock_low(product, available=1)])

    assert await orders(harness) == [] and harness.outbox() == []
    # The retired vendor's members or admins still see the row, with the reason.
    rows = await harness.execute(GetVendorInventoryStatus(actor=ADMIN, vendor_id=retired.vendor_id))
    [row] = rows
    assert row.needs_reorder and row.open_purchase_order_id is None
    assert row.last_reorder is not None
    assert row.last_reorder.outcome is ReorderOutcome.NO_VENDOR
    assert row.last_reorder.reason == "no active vendor supplies this product"


async def test_duplicated_stock_low_events_make_one_order(harness: VendorHarness) -> None:
    product = await harness.product()
    await harness.supplies(await harness.vendor("Acme"), product, "2.00")
    low = stock_low(product)

    await harness.deliver([low, low], [low])  # within a batch and redelivered
    # Another crossing while the order is open (inventory says 20 are on order, or not).
    await harness.deliver([stock_low(product, version=3, on_order=20)])
    await harness.deliver([stock_low(product, version=5)])

    assert len(await orders(harness)) == 1
    assert [type(e) for e in harness.outbox()] == [OrderCreated]


async def test_concurrent_stock_low_events_make_one_order(harness: VendorHarness) -> None:
    product = await harness.product()
    await harness.supplies(await harness.vendor("Acme"), product, "2.00")
    lows = [stock_low(product, version=v) for v in range(1, 9)]

    await asyncio.gather(*(harness.deliver([low]) for low in lows))

    [order] = await orders(harness)
    rows = await harness.execute(GetVendorInventoryStatus(actor=ADMIN, vendor_id=order.vendor_id))
    assert rows[0].open_purchase_order_id == order.purchase_order_id
    assert rows[0].last_reorder.outcome in (ReorderOutcome.ORDERED, ReorderOutcome.ALREADY_ORDERED)


async def test_one_open_order_per_product_and_location_not_per_product(
    harness: VendorHarness,
) -> None:
    product = await harness.product()
    await harness.supplies(await harness.vendor("Acme"), product, "2.00")
    await harness.deliver(
        [stock_low(product, CLINIC), stock_low(product, WAREHOUSE, stock_item_id=new_id())]
    )
    assert {o.location_id for o in await orders(harness)} == {CLINIC, WAREHOUSE}


async def test_after_the_order_closes_a_new_crossing_orders_again(harness: VendorHarness) -> None:
    product = await harness.product()
    await harness.supplies(await harness.vendor("Acme"), product, "2.00")
    await harness.deliver([stock_low(product, version=1)])
    [first] = await orders(harness)
    await harness.execute(
        CancelPurchaseOrder(actor=ADMIN, purchase_order_id=first.purchase_order_id, reason="no")
    )
    harness.clock.advance(timedelta(hours=1))
    await harness.deliver([stock_low(product, version=2)])
    assert [o.status for o in await orders(harness)] == [
        OrderStatus.CREATED,
        OrderStatus.CANCELLED,
    ]
