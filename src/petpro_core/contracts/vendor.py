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
class OrderConfirmed(PurchaseOrderEvent):
    """The vendor accepted the order and promises it for `expected_on`."""

    NAME = "order.confirmed"

    quantity: int
    expected_on: date

    def __post_init__(self) -> None:
        super().__post_init__()
        require_at_least(self.quantity, 1, "quantity")


@dataclass(frozen=True, kw_only=True)
class OrderDelivered(PurchaseOrderEvent):
    """Goods arrived. The quantities are cumulative, so a consumer converges whatever order
    it sees deliveries in: `quantity_delivered` counts every unit delivered on this order so
    far, `partial` is true while that is fewer than were ordered (more may come), and
    `total_cost` is what is owed for the units delivered so far. `quantity_in_delivery` is
    this delivery's own units."""

    NAME = "order.delivered"

    quantity_ordered: int
    quantity_delivered: int
    total_cost: Money
    partial: bool
    delivery_id: UUID | None = None
    quantity_in_delivery: int | None = None

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
        if self.quantity_in_delivery is not None:
            require_at_least(self.quantity_in_delivery, 1, "quantity_in_delivery")
            if self.quantity_in_delivery > self.quantity_delivered:
                raise ValueError("quantity_in_delivery cannot exceed quantity_delivered")


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(PurchaseOrderEvent):
    """The order is closed before all of it arrived: the `quantity_ordered -
    quantity_delivered` units still outstanding will not come."""

    NAME = "order.cancelled"

    quantity_ordered: int
    quantity_delivered: int
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        require_at_least(self.quantity_ordered, 1, "quantity_ordered")
        require_at_least(self.quantity_delivered, 0, "quantity_delivered")
        if self.quantity_delivered >= self.quantity_ordered:
            raise ValueError("a fully delivered order cannot be cancelled")
        require_text(self.reason, "reason")


VENDOR_EVENTS: tuple[type[Event], ...] = (
    OrderCreated,
    OrderConfirmed,
    ShipmentCreated,
    OrderDelivered,
    OrderCancelled,
)
