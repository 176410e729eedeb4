"""Events published by the vendor context: purchase orders from order to delivery.

A purchase order buys one product for one location; its events are ordered by the order's
`aggregate_version`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from petpro_core.contracts.checks import require_at_least, require_text
from petpro_core.shared.events import Event
from petpro_core.shared.money import Money


@dataclass(frozen=True, kw_only=True)
class PurchaseOrderEvent(Event):
    AGGREGATE = "purchase_order"

    purchase_order_id: UUID
    vendor_id: UUID
    product_id: UUID
    location_id: UUID

    @property
    def aggregate_id(self) -> UUID:
        return self.purchase_order_id


@dataclass(frozen=True, kw_only=True)
class OrderCreated(PurchaseOrderEvent):
    """`total_cost` is `unit_cost` times `quantity`, carried so finance need not compute it."""

    NAME = "order.created"

    vendor_name: str
    quantity: int
    unit_cost: Money
    total_cost: Money
    expected_on: date

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text(self.vendor_name, "vendor_name")
        require_at_least(self.quantity, 1, "quantity")
        if self.unit_cost.amount < 0:
            raise ValueError("unit_cost must not be negative")
        if self.total_cost != Money(self.unit_cost.amount * self.quantity, self.unit_cost.currency):
            raise ValueError("total_cost must be unit_cost times quantity")


@dataclass(frozen=True, kw_only=True)
class ShipmentCreated(PurchaseOrderEvent):
    """The vendor shipped (part of) an order."""

    NAME = "shipment.created"

    shipment_id: UUID
    quantity: int
    carrier: str
    tracking_number: str
    expected_delivery_on: date

    def __post_init__(self) -> None:
        super().__post_init__()
        require_at_least(self.quantity, 1, "quantity")
        require_text(self.carrier, "carrier")
        require_text(self.tracking_number, "tracking_number")


@dataclass(frozen=True, kw_only=True)
class OrderDelivered(PurchaseOrderEvent):
    """Goods arrived. `partial` is true when fewer units came than were ordered; `total_cost`
    is what is owed for the units delivered."""

    NAME = "order.delivered"

    quantity_ordered: int
    quantity_delivered: int
    total_cost: Money
    partial: bool

    def __post_init__(self) -> None:
        super().__post_init__()
        require_at_least(self.quantity_ordered, 1, "quantity_ordered")
        require_at_least(self.quantity_delivered, 1, "quantity_delivered")
        if self.quantity_delivered > self.quantity_ordered:
            raise ValueError("quantity_delivered cannot exceed quantity_ordered")
        if self.partial != (self.quantity_delivered < self.quantity_ordered):
            raise ValueError("partial means fewer units were delivered than ordered")
        if self.total_cost.amount < 0:
            raise ValueError("total_cost must not be negative")


VENDOR_EVENTS: tuple[type[Event], ...] = (OrderCreated, ShipmentCreated, OrderDelivered)
