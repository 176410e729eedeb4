"""Low stock: after every change of a stock item (a movement, its policy, its units on
order) the handler re-assesses it here. An item is low when it has a reorder policy and
available + on order <= threshold; stock.low is published once per crossing from not-low
to low: the store flips the item's low flag atomically and only the transaction that
flipped it publishes. Going back above the threshold clears the flag for the next crossing.

Every handler that changes stock (customer orders too) records `stock_events` of each
change: product.stock_changed always, stock.low on a crossing.
"""

from __future__ import annotations

from petpro_core.contracts.inventory import StockLow
from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.domain.stock import StockChange, StockItem, stock_changed, stock_low
from petpro_core.inventory.ports import InventoryUnitOfWork
from petpro_core.shared.events import Event


async def reassess_low(
    uow: InventoryUnitOfWork, item: StockItem, product: Product
) -> StockLow | None:
    """Flip the item's low flag if it crossed either way; the stock.low event to record
    when this call flipped it on. `item` is as the store answered the change (its row is
    held by this transaction on stores that lock rows)."""
    if item.is_low and not item.low_reported:
        flipped = await uow.stock.mark_low(item.stock_item_id)
        if flipped is not None:
            return stock_low(flipped, sku=product.sku, product_name=product.name)
    elif not item.is_low and item.low_reported:
        await uow.stock.clear_low(item.stock_item_id)
    return None


async def stock_events(
    uow: InventoryUnitOfWork, after: StockItem, product: Product, change: StockChange
) -> list[Event]:
    """The events of a change just applied: product.stock_changed, and stock.low when the
    item crossed into low."""
    events: list[Event] = [
        stock_changed(after, sku=product.sku, product_name=product.name, kind=change.kind)
    ]
    low = await reassess_low(uow, after, product)
    if low is not None:
        events.append(low)
    return events
