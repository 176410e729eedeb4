"""What the vendor context does with inventory's events.

- `product.created` / `product.updated` keep the product catalogue (never backwards).
- `product.stock_changed`, `stock.received` and `stock.low` keep the inventory status view
  (see `domain.status`) and its journal, from which `rebuild_status` folds the view again.
- `stock.low` also reorders: one purchase order from the preferred vendor (see
  `domain.selection`), unless an order for the product and location is still open. The
  store enforces "one open order per product and location" too (a partial unique index),
  so two reorders racing in parallel transactions end with one order and one "already
  ordered" decision. Every decision is recorded under the stock.low event's id, so a
  duplicate or replayed event decides nothing new.

Handlers run inside the consumer's unit of work and never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from uuid import UUID

from petpro_core.contracts.inventory import ProductSnapshot, ProductsReleased, StockLow
from petpro_core.shared.clock import Clock
from petpro_core.shared.ids import new_id
from petpro_core.vendor.domain.catalogue import CatalogueProduct
from petpro_core.vendor.domain.errors import OpenOrderExists
from petpro_core.vendor.domain.orders import OrderOrigin, PurchaseOrder
from petpro_core.vendor.domain.selection import NoVendor, Offer, choose_vendor
from petpro_core.vendor.domain.status import (
    ReorderDecision,
    ReorderOutcome,
    StockEvent,
    StockStatus,
    applied,
)
from petpro_core.vendor.ports import VendorUnitOfWork

log = logging.getLogger("petpro.vendor")


def catalogue_product_from(event: ProductSnapshot) -> CatalogueProduct:
    return CatalogueProduct(
        product_id=event.product_id,
        sku=event.sku,
        name=event.name,
        unit=event.unit,
        active=event.active,
        version=event.aggregate_version,
    )


async def project_product(event: ProductSnapshot, uow: VendorUnitOfWork) -> None:
    await uow.products.apply(catalogue_product_from(event))


async def project_stock(event: StockEvent, uow: VendorUnitOfWork) -> None:
    """Keep the event in the journal and apply it to its status row."""
    await uow.journal.keep(event)
    current = await uow.status.get(event.product_id, event.location_id)
    changed = applied(current, event)
    if changed is not None:
        await uow.status.put(changed)


async def ignore_release(event: ProductsReleased, uow: VendorUnitOfWork) -> None:
    """Released reservations change stock numbers, which `product.stock_changed` carries
    for each item; nothing to do with the release itself."""


async def rebuild_status(uow: VendorUnitOfWork) -> int:
    """Clear the status view and fold every journalled stock event into it again (in the
    journal's order, which does not matter: the fold never goes backwards). Answers the
    number of rows."""
    await uow.status.clear()
    rows: dict[tuple[UUID, UUID], StockStatus] = {}
    for event in await uow.journal.events():
        key = (event.product_id, event.location_id)
        changed = applied(rows.get(key), event)
        if changed is not None:
            rows[key] = changed
    for row in rows.values():
        await uow.status.put(row)
    return len(rows)


def reorder_on_low_stock(clock: Clock) -> Callable[[StockLow, VendorUnitOfWork], Awaitable[None]]:
    """The stock.low handler, with the clock that dates the orders it places."""

    async def handle(event: StockLow, uow: VendorUnitOfWork) -> None:
        await project_stock(event, uow)
        if await uow.decisions.get(event.event_id) is not None:
            return  # decided before (a replay)
        decision = await _reorder(event, uow, clock)
        await uow.decisions.add(decision)
        log.log(
            logging.WARNING if decision.outcome is ReorderOutcome.NO_VENDOR else logging.INFO,
            "reorder %s: %s",
            decision.outcome.value,
            decision.reason,
            extra={
                "product_id": str(event.product_id),
                "location_id": str(event.location_id),
                "event_id": str(event.event_id),
            },
        )

    return handle


async def _reorder(event: StockLow, uow: VendorUnitOfWork, clock: Clock) -> ReorderDecision:
    now = clock.now()

    def decided(
        outcome: ReorderOutcome, reason: str, order_id: UUID | None = None
    ) -> ReorderDecision:
        return ReorderDecision(
            event_id=event.event_id,
            product_id=event.product_id,
            location_id=event.location_id,
            outcome=outcome,
            purchase_order_id=order_id,
            reason=reason,
            decided_at=now,
        )

    already = await uow.orders.open_for(event.product_id, event.location_id)
    if already is not None:
        return decided(
            ReorderOutcome.ALREADY_ORDERED,
            f"purchase order {already.purchase_order_id} is still {already.status.value}",
            already.purchase_order_id,
        )
    items = await uow.supply.for_product(event.product_id)
    vendors = await uow.vendors.get_many([item.vendor_id for item in items])
    offers = [Offer(vendor=vendors[i.vendor_id], item=i) for i in items if i.vendor_id in vendors]
    choice = choose_vendor(offers, event.reorder_quantity, event.needed_within_days)
    if isinstance(choice, NoVendor):
        return decided(ReorderOutcome.NO_VENDOR, choice.reason)
    product = await uow.products.get(event.product_id)
    order, created = PurchaseOrder.place(
        purchase_order_id=new_id(),
        vendor_id=choice.vendor.vendor_id,
        vendor_name=choice.vendor.name,
        lead_time_days=choice.vendor.lead_time_days,
        product_id=event.product_id,
        sku=product.sku if product is not None else event.sku,
        vendor_sku=choice.item.vendor_sku,
        location_id=event.location_id,
        quantity=choice.quantity,
        unit_cost=choice.item.unit_cost,
        origin=OrderOrigin.AUTOMATIC,
        origin_event_id=event.event_id,
        note=choice.note,
        now=now,
    )
    try:
        await uow.orders.add(order)
    except OpenOrderExists:  # a parallel reorder got there first
        return decided(
            ReorderOutcome.ALREADY_ORDERED, "another reorder opened an order at the same time"
        )
    uow.record(created)
    reason = f"ordered {order.quantity} from {order.vendor_name}"
    return decided(
        ReorderOutcome.ORDERED,
        f"{reason}; {choice.note}" if choice.note else reason,
        order.purchase_order_id,
    )
