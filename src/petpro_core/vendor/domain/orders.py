"""A purchase order: one product, for one location, from one vendor.

Life cycle: created → confirmed → shipped (one shipment or several) → partially_delivered
(more may come) → delivered; or cancelled at any point before everything arrived. Every
transition makes a new version and records its event; deliveries are counted cumulatively
(`quantity_delivered`), and a delivery repeated with the same id changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from petpro_core.contracts.vendor import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    ShipmentCreated,
)
from petpro_core.shared.money import Money
from petpro_core.vendor.domain.errors import InvalidTransition, OverDelivery


class OrderStatus(StrEnum):
    CREATED = "created"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    PARTIALLY_DELIVERED = "partially_delivered"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


# An open order still expects goods: at most one per product and location.
OPEN_STATUSES = frozenset(
    {
        OrderStatus.CREATED,
        OrderStatus.CONFIRMED,
        OrderStatus.SHIPPED,
        OrderStatus.PARTIALLY_DELIVERED,
    }
)


class OrderOrigin(StrEnum):
    AUTOMATIC = "automatic"  # a reorder on stock.low (origin_event_id names it)
    MANUAL = "manual"


@dataclass(frozen=True, kw_only=True)
class Shipment:
    shipment_id: UUID
    carrier: str
    tracking_number: str
    expected_on: date
    quantity: int
    shipped_at: datetime


@dataclass(frozen=True, kw_only=True)
class Delivery:
    delivery_id: UUID
    quantity: int
    delivered_at: datetime


@dataclass(frozen=True, kw_only=True)
class PurchaseOrder:
    purchase_order_id: UUID
    vendor_id: UUID
    vendor_name: str
    product_id: UUID
    sku: str
    vendor_sku: str
    location_id: UUID
    quantity: int
    unit_cost: Money
    status: OrderStatus
    expected_on: date
    origin: OrderOrigin
    origin_event_id: UUID | None
    note: str | None  # why this vendor (e.g. none could deliver in time)
    created_at: datetime
    updated_at: datetime
    shipments: tuple[Shipment, ...] = ()
    deliveries: tuple[Delivery, ...] = ()
    quantity_delivered: int = 0
    cancel_reason: str | None = None
    version: int = 1

    @classmethod
    def place(
        cls,
        *,
        purchase_order_id: UUID,
        vendor_id: UUID,
        vendor_name: str,
        lead_time_days: int,
        product_id: UUID,
        sku: str,
        vendor_sku: str,
        location_id: UUID,
        quantity: int,
        unit_cost: Money,
        origin: OrderOrigin,
        origin_event_id: UUID | None,
        note: str | None,
        now: datetime,
    ) -> tuple[PurchaseOrder, OrderCreated]:
        order = cls(
            purchase_order_id=purchase_order_id,
            vendor_id=vendor_id,
            vendor_name=vendor_name,
            product_id=product_id,
            sku=sku,
            vendor_sku=vendor_sku,
            location_id=location_id,
            quantity=quantity,
            unit_cost=unit_cost,
            status=OrderStatus.CREATED,
            expected_on=now.date() + timedelta(days=lead_time_days),
            origin=origin,
            origin_event_id=origin_event_id,
            note=note,
            created_at=now,
            updated_at=now,
        )
        return order, OrderCreated(
            occurred_at=now,
            **order._ids(),
            vendor_name=vendor_name,
            quantity=quantity,
            unit_cost=unit_cost,
            total_cost=order.total_cost,
            expected_on=order.expected_on,
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def total_cost(self) -> Money:
        return Money(self.unit_cost.amount * self.quantity, self.unit_cost.currency)

    @property
    def quantity_shipped(self) -> int:
        return sum(shipment.quantity for shipment in self.shipments)

    @property
    def outstanding(self) -> int:
        return self.quantity - self.quantity_delivered

    def confirm(
        self, now: datetime, expected_on: date | None = None
    ) -> tuple[PurchaseOrder, OrderConfirmed]:
        self._require({OrderStatus.CREATED}, "confirm")
        if expected_on is not None and expected_on < now.date():
            raise InvalidTransition("the expected date is in the past", field="expected_on")
        changed = self._next(
            now, status=OrderStatus.CONFIRMED, expected_on=expected_on or self.expected_on
        )
        return changed, OrderConfirmed(
            occurred_at=now,
            **changed._ids(),
            quantity=changed.quantity,
            expected_on=changed.expected_on,
        )

    def ship(
        self,
        now: datetime,
        *,
        shipment_id: UUID,
        carrier: str,
        tracking_number: str,
        expected_on: date,
        quantity: int | None,
    ) -> tuple[PurchaseOrder, ShipmentCreated]:
        if self.status is OrderStatus.CREATED:
            raise InvalidTransition("the order is not confirmed yet: confirm it before shipping")
        self._require(
            {OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.PARTIALLY_DELIVERED}, "ship"
        )
        unshipped = self.quantity - self.quantity_shipped
        if unshipped <= 0:
            raise InvalidTransition("every unit of the order has been shipped already")
        quantity = unshipped if quantity is None else quantity
        if quantity > unshipped:
            raise OverDelivery(
                f"only {unshipped} unit(s) of the order are left to ship", field="quantity"
            )
        shipment = Shipment(
            shipment_id=shipment_id,
            carrier=carrier,
            tracking_number=tracking_number,
            expected_on=expected_on,
            quantity=quantity,
            shipped_at=now,
        )
        status = (
            OrderStatus.PARTIALLY_DELIVERED
            if self.status is OrderStatus.PARTIALLY_DELIVERED
            else OrderStatus.SHIPPED
        )
        changed = self._next(now, status=status, shipments=(*self.shipments, shipment))
        return changed, ShipmentCreated(
            occurred_at=now,
            **changed._ids(),
            shipment_id=shipment_id,
            quantity=quantity,
            carrier=carrier,
            tracking_number=tracking_number,
            expected_delivery_on=expected_on,
        )

    def delivery(self, delivery_id: UUID) -> Delivery | None:
        return next((d for d in self.deliveries if d.delivery_id == delivery_id), None)

    def deliver(
        self, now: datetime, *, delivery_id: UUID, quantity: int
    ) -> tuple[PurchaseOrder, OrderDelivered | None]:
        """Record a delivery of `quantity` units; (self, None) when this delivery id was
        recorded before (a repeat)."""
        if self.delivery(delivery_id) is not None:
            return self, None
        if self.status in (OrderStatus.CREATED, OrderStatus.CONFIRMED):
            raise InvalidTransition("the order has not been shipped yet: ship it before delivery")
        self._require({OrderStatus.SHIPPED, OrderStatus.PARTIALLY_DELIVERED}, "deliver")
        if quantity > self.outstanding:
            raise OverDelivery(
                f"only {self.outstanding} unit(s) of the order are outstanding; "
                f"{quantity} is too many",
                field="quantity",
            )
        delivered = self.quantity_delivered + quantity
        status = (
            OrderStatus.DELIVERED if delivered == self.quantity else OrderStatus.PARTIALLY_DELIVERED
        )
        entry = Delivery(delivery_id=delivery_id, quantity=quantity, delivered_at=now)
        changed = self._next(
            now,
            status=status,
            quantity_delivered=delivered,
            deliveries=(*self.deliveries, entry),
        )
        return changed, OrderDelivered(
            occurred_at=now,
            **changed._ids(),
            quantity_ordered=changed.quantity,
            quantity_delivered=delivered,
            total_cost=Money(changed.unit_cost.amount * delivered, changed.unit_cost.currency),
            partial=delivered < changed.quantity,
            delivery_id=delivery_id,
            quantity_in_delivery=quantity,
        )

    def cancel(self, now: datetime, reason: str) -> tuple[PurchaseOrder, OrderCancelled]:
        if self.status is OrderStatus.DELIVERED:
            raise InvalidTransition("a fully delivered order cannot be cancelled")
        self._require(OPEN_STATUSES, "cancel")
        changed = self._next(now, status=OrderStatus.CANCELLED, cancel_reason=reason)
        return changed, OrderCancelled(
            occurred_at=now,
            **changed._ids(),
            quantity_ordered=changed.quantity,
            quantity_delivered=changed.quantity_delivered,
            reason=reason,
        )

    def _require(self, allowed: set[OrderStatus] | frozenset[OrderStatus], action: str) -> None:
        if self.status not in allowed:
            raise InvalidTransition(f"cannot {action} an order that is {self.status.value}")

    def _next(self, now: datetime, **changes: Any) -> PurchaseOrder:
        return replace(self, **changes, updated_at=now, version=self.version + 1)

    def _ids(self) -> dict[str, Any]:
        return {
            "aggregate_version": self.version,
            "purchase_order_id": self.purchase_order_id,
            "vendor_id": self.vendor_id,
            "product_id": self.product_id,
            "location_id": self.location_id,
        }
