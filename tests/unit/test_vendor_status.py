"""The vendor context's read models on memory: the product catalogue and the inventory
status view never go backwards, handle what the catalog routes to vendor, and the view
rebuilt from its journal equals the live one whatever order the events came in."""

from __future__ import annotations

import random
from uuid import UUID

import pytest

from petpro_core.contracts.catalog import subscribed_by
from petpro_core.contracts.inventory import ProductsReleased, ReservationLine
from petpro_core.shared.errors import PermissionDenied
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.vendor.commands import (
    GetCatalogueProduct,
    GetVendorInventoryStatus,
    RebuildInventoryStatus,
)
from petpro_core.vendor.domain.status import StockStatus
from tests.support.vendor import (
    ADMIN,
    CLINIC,
    STAFF,
    T0,
    WAREHOUSE,
    VendorHarness,
    product_event,
    stock_changed,
    stock_low,
    stock_received,
)


@pytest.fixture
def harness() -> VendorHarness:
    return VendorHarness()


async def status_rows(harness: VendorHarness) -> list[StockStatus]:
    async with harness.uow() as uow:
        return await uow.status.all()


def test_vendor_consumes_what_the_catalog_routes_to_it() -> None:
    subscription = VendorHarness().subscription
    assert subscription.consumer == "vendor"
    expected = {e.name for e in subscribed_by("vendor")} - {"user.updated"}
    assert set(subscription.event_names) == expected


async def test_the_product_catalogue_never_goes_backwards(harness: VendorHarness) -> None:
    product = new_id()
    v1 = product_event(product, "FLEA-10", 1, name="Flea drops")
    v3 = product_event(product, "FLEA-10", 3, name="Flea drops (new)", active=False)
    v2 = product_event(product, "FLEA-10", 2, name="Flea drops v2")
    await harness.deliver([v1], [v3], [v2])
    known = await harness.execute(GetCatalogueProduct(product_id=product))
    assert (known.name, known.active, known.version) == ("Flea drops (new)", False, 3)


async def test_the_status_row_never_goes_backwards(harness: VendorHarness) -> None:
    product = await harness.product()
    vendor = await harness.vendor("Acme")
    await harness.supplies(vendor, product, "1.00", vendor_sku="AC-1")

    await harness.deliver(
        [stock_changed(product, CLINIC, 4, on_hand=12, reserved=2)],
        [stock_changed(product, CLINIC, 2, on_hand=40)],  # older: ignored
        [stock_low(product, CLINIC, 3, available=4, threshold=5, reorder_quantity=20)],
        [stock_low(product, CLINIC, 1, available=9, threshold=9, reorder_quantity=1)],  # older
        [stock_received(product, CLINIC, 6, quantity=20, on_hand=30, available=28)],
        [stock_changed(product, CLINIC, 5, on_hand=10, reserved=2)],  # older than received
    )
    [row] = await harness.execute(GetVendorInventoryStatus(actor=STAFF, vendor_id=vendor.vendor_id))
    assert (row.on_hand, row.reserved, row.available) == (30, 2, 28)
    assert (row.threshold, row.reorder_quantity, row.needs_reorder) == (5, 20, False)
    assert (row.sku, row.vendor_sku, row.vendor_name, row.location_id) == (
        "FLEA-10",
        "AC-1",
        "Acme",
        CLINIC,
    )
    assert row.open_purchase_order_id is not None  # the stock.low reordered
    await harness.deliver([stock_changed(product, CLINIC, 7, on_hand=5, reserved=0)])
    [row] = await harness.execute(GetVendorInventoryStatus(actor=ADMIN, vendor_id=vendor.vendor_id))
    assert row.available == 5 and row.needs_reorder  # at the threshold counts as low


async def test_released_reservations_are_handled_and_change_nothing(harness: VendorHarness) -> None:
    released = ProductsReleased(
        occurred_at=T0,
        aggregate_version=2,
        reservation_id=new_id(),
        location_id=CLINIC,
        reference="booking:1",
        lines=(ReservationLine(product_id=new_id(), quantity=1),),
        reason="expired",
    )
    assert await harness.deliver([released]) == [released.event_id]
    assert await status_rows(harness) == []


def a_history(products: list[UUID]) -> list[Event]:
    events: list[Event] = []
    for product in products:
        for location in (CLINIC, WAREHOUSE):
            item = new_id()
            for version in range(1, 9):
                on_hand = 50 - 5 * version
                if version % 4 == 0:
                    events.append(
                        stock_received(
                            product,
                            location,
                            version,
                            10,
                            on_hand,
                            on_hand,
                            stock_item_id=item,
                        )
                    )
                else:
                    events.append(
                        stock_changed(product, location, version, on_hand, 1, stock_item_id=item)
                    )
                if version in (3, 6):
                    events.append(
                        stock_low(
                            product,
                            location,
                            version,
                            available=on_hand - 1,
                            threshold=50,
                            reorder_quantity=10 * version,
                            stock_item_id=item,
                        )
                    )
    return events


async def test_a_rebuilt_view_equals_the_live_one_whatever_the_order(
    harness: VendorHarness,
) -> None:
    products = [await harness.product(f"P-{n}") for n in range(3)]
    events = a_history(products)
    random.Random(7).shuffle(events)
    for start in range(0, len(events), 5):
        await harness.deliver(events[start : start + 5])
    live = await status_rows(harness)
    assert len(live) == 6

    in_order = VendorHarness()
    for product in products:
        await in_order.product(product_id=product)
    await in_order.deliver(sorted(events, key=lambda e: e.aggregate_version))
    assert await status_rows(in_order) == live

    async with harness.uow() as uow:  # lose the view (or change how it is computed)
        await uow.status.clear()
        await uow.commit()
    assert await status_rows(harness) == []
    assert await harness.execute(RebuildInventoryStatus(actor=ADMIN)) == 6
    assert await status_rows(harness) == live
    with pytest.raises(PermissionDenied):
        await harness.execute(RebuildInventoryStatus(actor=STAFF))
