"""What the inventory does with other contexts' events: clinics become stock locations;
purchase orders count as stock on order until their units are received.

Handlers run inside the consumer's unit of work and never commit: the consumer commits a
batch with its inbox rows. Duplicates and reordering change nothing: a clinic's location
only moves forward by aggregate version, and deliveries are cumulative, so each unit of a
purchase order is received once (`IncomingOrder.to_receive`), whichever of its events
arrives first.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from petpro_core.contracts.clinic import ClinicSnapshot
from petpro_core.contracts.vendor import (
    OrderCancelled,
    OrderCreated,
    OrderDelivered,
    PurchaseOrderEvent,
    ShipmentCreated,
)
from petpro_core.inventory.domain.errors import ProductNotFound
from petpro_core.inventory.domain.incoming import IncomingOrder
from petpro_core.inventory.domain.locations import Location, LocationKind
from petpro_core.inventory.domain.stock import (
    StockChange,
    StockItem,
    stock_changed,
    stock_received,
)
from petpro_core.inventory.low_stock import reassess_low
from petpro_core.inventory.ports import InventoryUnitOfWork
from petpro_core.shared.ids import new_id


def purchase_order_reference(purchase_order_id: UUID) -> str:
    """The reference of a purchase order's receipt movements."""
    return f"po:{purchase_order_id}"


async def project_clinic(event: ClinicSnapshot, uow: InventoryUnitOfWork) -> None:
    await uow.locations.put_clinic(
        Location(
            location_id=event.clinic_id,
            kind=LocationKind.CLINIC,
            name=event.name,
            staff=frozenset(member.user_id for member in event.staff),
            version=event.aggregate_version,
            updated_at=event.occurred_at,
        )
    )


def _new_order(
    event: PurchaseOrderEvent, quantity_ordered: int, expected_on: date | None
) -> IncomingOrder:
    return IncomingOrder(
        purchase_order_id=event.purchase_order_id,
        product_id=event.product_id,
        location_id=event.location_id,
        quantity_ordered=quantity_ordered,
        version=event.aggregate_version,
        expected_on=expected_on,
        updated_at=event.occurred_at,
    )


async def _stock_item(uow: InventoryUnitOfWork, order: IncomingOrder, at: datetime) -> StockItem:
    if await uow.products.get(order.product_id) is None:
        raise ProductNotFound(f"purchase order {order.purchase_order_id}: unknown product")
    return await uow.stock.ensure(
        StockItem(
            stock_item_id=new_id(),
            product_id=order.product_id,
            location_id=order.location_id,
            updated_at=at,
        )
    )


async def _open(
    uow: InventoryUnitOfWork, event: PurchaseOrderEvent, quantity_ordered: int
) -> tuple[IncomingOrder, bool]:
    """The order's record, locked, and whether this event created it (the first the
    inventory sees of the order: not yet counted on order)."""
    order = await uow.incoming_orders.get(event.purchase_order_id)
    if order is not None:
        return order, False
    expected_on = event.expected_on if isinstance(event, OrderCreated) else None
    created = await uow.incoming_orders.add(_new_order(event, quantity_ordered, expected_on))
    stored = await uow.incoming_orders.get(event.purchase_order_id)
    if stored is None:  # pragma: no cover - inserted or found just now
        raise RuntimeError("the incoming order vanished")
    return stored, created


async def _settle(
    uow: InventoryUnitOfWork, item: StockItem, on_order_delta: int, at: datetime
) -> None:
    """Count the change of units on order, then re-assess low stock once, on the final
    numbers (a receipt moves units from on order to available: no crossing on its own)."""
    if on_order_delta:
        item = await uow.stock.add_on_order(item.stock_item_id, on_order_delta, at=at)
    product = await uow.products.get(item.product_id)
    assert product is not None
    low = await reassess_low(uow, item, product)
    if low is not None:
        uow.record(low)


async def on_order_created(event: OrderCreated, uow: InventoryUnitOfWork) -> None:
    order, created = await _open(uow, event, event.quantity)
    if not created:
        return  # a repeat, or late after a delivery that created it: nothing changes
    item = await _stock_item(uow, order, event.occurred_at)
    await _settle(uow, item, order.outstanding, event.occurred_at)


async def on_shipment_created(event: ShipmentCreated, uow: InventoryUnitOfWork) -> None:
    order = await uow.incoming_orders.get(event.purchase_order_id)
    if order is None or not order.open or event.aggregate_version < order.version:
        return  # unknown yet (its order.created comes later), closed, or older news
    expected = order.expected(
        event.expected_delivery_on, version=event.aggregate_version, now=event.occurred_at
    )
    await uow.incoming_orders.save(expected)


async def _receive(
    uow: InventoryUnitOfWork,
    event: PurchaseOrderEvent,
    *,
    quantity_ordered: int,
    quantity_delivered: int,
    close: bool,
) -> None:
    order, created = await _open(uow, event, quantity_ordered)
    counted = 0 if created else order.outstanding  # what it counts on order so far
    quantity = order.to_receive(quantity_delivered)
    if not created and quantity == 0 and (not close or not order.open):
        return  # nothing new
    now = event.occurred_at
    updated = order.received(quantity, close=close, version=event.aggregate_version, now=now)
    await uow.incoming_orders.save(updated)
    item = await _stock_item(uow, order, now)
    if quantity:
        product = await uow.products.get(order.product_id)
        assert product is not None
        change = StockChange.receipt(quantity, purchase_order_reference(order.purchase_order_id))
        after = await uow.stock.apply(item.stock_item_id, change, movement_id=new_id(), at=now)
        if after is None:  # pragma: no cover - a receipt keeps the rule
            raise RuntimeError("a receipt was refused by the stock store")
        uow.record(
            stock_changed(after, sku=product.sku, product_name=product.name, kind=change.kind),
            stock_received(
                after,
                sku=product.sku,
                product_name=product.name,
                quantity=quantity,
                purchase_order_id=order.purchase_order_id,
            ),
        )
        item = after
    await _settle(uow, item, updated.outstanding - counted, now)


async def on_order_delivered(event: OrderDelivered, uow: InventoryUnitOfWork) -> None:
    await _receive(
        uow,
        event,
        quantity_ordered=event.quantity_ordered,
        quantity_delivered=event.quantity_delivered,
        close=not event.partial,
    )


async def on_order_cancelled(event: OrderCancelled, uow: InventoryUnitOfWork) -> None:
    await _receive(
        uow,
        event,
        quantity_ordered=event.quantity_ordered,
        quantity_delivered=event.quantity_delivered,
        close=True,
    )
