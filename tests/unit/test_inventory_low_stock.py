"""Low stock on memory, through the bus: stock.low once per crossing of the reorder
threshold (available + on order), never once per movement; product.stock_changed on every
change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from petpro_core.contracts.inventory import ReservationLine, StockChanged, StockLow
from petpro_core.inventory.commands import AdjustStock, ReleaseReservation, ReserveProducts
from petpro_core.inventory.domain.stock import ReorderPolicy, StockItem
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.ids import new_id
from tests.support.inventory import ADMIN, CLINIC, WAREHOUSE, InventoryHarness


@pytest.fixture
def inventory() -> InventoryHarness:
    return InventoryHarness()


async def take(inventory: InventoryHarness, product_id: object, units: int) -> StockItem:
    item: StockItem = await inventory.bus.execute(
        AdjustStock(
            actor=ADMIN, product_id=product_id, location_id=CLINIC, delta=-units, reason="broken"
        )
    )
    return item


async def test_many_movements_below_the_threshold_publish_one_stock_low(
    inventory: InventoryHarness,
) -> None:
    product = await inventory.product()
    await inventory.receive(product, 10)
    await inventory.policy(product, threshold=5, reorder=20, days=3)
    assert inventory.events(StockLow) == []

    for _ in range(8):  # 9, 8, … 2: crosses at 5, stays low after
        await take(inventory, product.product_id, 1)

    [low] = inventory.events(StockLow)
    assert (low.available, low.threshold, low.reorder_quantity, low.on_order) == (5, 5, 20, 0)
    assert low.needed_within_days == 3
    assert (low.product_id, low.location_id, low.sku) == (product.product_id, CLINIC, "P1")
    assert len(inventory.events(StockChanged)) == 9  # one per movement, the receipt too
    item = await inventory.item(product)
    assert item.low_reported and item.is_low and item.available == 2


async def test_going_back_above_then_below_publishes_a_second_stock_low(
    inventory: InventoryHarness,
) -> None:
    product = await inventory.product()
    await inventory.receive(product, 6)
    await inventory.policy(product, threshold=5)
    await take(inventory, product.product_id, 1)  # 5: low
    await take(inventory, product.product_id, 1)  # 4: still low
    await inventory.receive(product, 1)  # 5: still low
    assert len(inventory.events(StockLow)) == 1

    above = await inventory.receive(product, 1)  # 6: above, the flag clears
    assert not above.is_low
    assert not (await inventory.item(product)).low_reported
    await take(inventory, product.product_id, 1)  # 5: low again

    assert [e.available for e in inventory.events(StockLow)] == [5, 5]


async def test_a_policy_set_on_stock_already_low_publishes_at_once(
    inventory: InventoryHarness,
) -> None:
    product = await inventory.product()
    await inventory.receive(product, 3)

    item = await inventory.policy(product, threshold=3, reorder=12)
    again = await inventory.policy(product, threshold=4, reorder=12)

    assert item.low_reported and item.policy == ReorderPolicy(threshold=3, reorder_quantity=12)
    assert again.threshold == 4
    [low] = inventory.events(StockLow)
    assert (low.available, low.threshold) == (3, 3)


async def test_an_item_with_no_policy_is_never_low(inventory: InventoryHarness) -> None:
    product = await inventory.product()
    await inventory.receive(product, 1)
    await take(inventory, product.product_id, 1)

    assert inventory.events(StockLow) == []
    assert not (await inventory.item(product)).is_low


async def test_reservations_cross_the_threshold_and_releases_clear_it(
    inventory: InventoryHarness,
) -> None:
    product = await inventory.product()
    await inventory.receive(product, 10)
    await inventory.policy(product, threshold=4)

    async def reserve(quantity: int) -> object:
        reservation_id = new_id()
        await inventory.bus.execute(
            ReserveProducts(
                reservation_id=reservation_id,
                location_id=CLINIC,
                lines=(ReservationLine(product_id=product.product_id, quantity=quantity),),
                expires_at=inventory.clock.now() + timedelta(minutes=15),
                reference=f"booking:{reservation_id}",
            )
        )
        return reservation_id

    first = await reserve(6)  # available 4: low
    await reserve(2)  # 2: still low
    [low] = inventory.events(StockLow)
    assert low.available == 4

    await inventory.bus.execute(ReleaseReservation(reservation_id=first, reason="cancelled"))
    assert not (await inventory.item(product)).low_reported  # 8: cleared
    await reserve(5)  # 3: low again
    assert len(inventory.events(StockLow)) == 2


async def test_a_failed_reservation_publishes_no_stock_low(inventory: InventoryHarness) -> None:
    short, plenty = await inventory.product("A-SHORT"), await inventory.product("B-PLENTY")
    await inventory.receive(short, 1)
    await inventory.receive(plenty, 10)
    await inventory.policy(plenty, threshold=5)
    # plenty (product-id order may put it first) would go low, but short fails the whole
    # reservation: all or nothing, and its low flag is rolled back with it.
    lines = tuple(
        sorted(
            (
                ReservationLine(product_id=plenty.product_id, quantity=6),
                ReservationLine(product_id=short.product_id, quantity=2),
            ),
            key=lambda line: line.product_id,
        )
    )
    await inventory.bus.execute(
        ReserveProducts(
            reservation_id=new_id(),
            location_id=CLINIC,
            lines=lines,
            expires_at=inventory.clock.now() + timedelta(minutes=15),
            reference="booking:x",
        )
    )
    assert inventory.events(StockLow) == []
    assert not (await inventory.item(plenty)).low_reported


async def test_low_stock_is_per_location(inventory: InventoryHarness) -> None:
    product = await inventory.product()
    await inventory.receive(product, 2)
    await inventory.receive(product, 2, at=WAREHOUSE)
    await inventory.policy(product, threshold=2)  # the clinic only

    assert [e.location_id for e in inventory.events(StockLow)] == [CLINIC]
    assert not (await inventory.item(product, WAREHOUSE)).is_low


@pytest.mark.parametrize(("threshold", "reorder", "days"), [(-1, 5, None), (1, 0, None), (1, 5, 0)])
async def test_a_policy_needs_sensible_numbers(
    inventory: InventoryHarness, threshold: int, reorder: int, days: int | None
) -> None:
    product = await inventory.product()
    with pytest.raises(InvalidInput):
        await inventory.policy(product, threshold=threshold, reorder=reorder, days=days)
