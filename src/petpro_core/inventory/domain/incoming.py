"""Incoming purchase orders: what the inventory knows of a vendor's order for one product
at one location, kept from the vendor's events so stock on order can be counted and
deliveries received exactly once.

Deliveries are cumulative (`order.delivered` says how many units arrived on the order so
far), so whatever order the events come in, the units received are
`max(0, delivered - received)` and every unit is received once. An order counts towards
the location's stock on order while it is open: ordered minus received.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from petpro_core.shared.clock import ensure_aware


@dataclass(frozen=True, kw_only=True)
class IncomingOrder:
    purchase_order_id: UUID
    product_id: UUID
    location_id: UUID
    quantity_ordered: int
    quantity_received: int = 0
    open: bool = True
    # The highest aggregate version of the purchase order seen so far.
    version: int
    expected_on: date | None = None
    updated_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "updated_at", ensure_aware(self.updated_at))
        if self.quantity_ordered < 1:
            raise ValueError("an order is for at least one unit")
        if not 0 <= self.quantity_received <= self.quantity_ordered:
            raise ValueError("0 <= quantity_received <= quantity_ordered")

    @property
    def outstanding(self) -> int:
        """Its part of the stock on order: units ordered and not received while open."""
        return self.quantity_ordered - self.quantity_received if self.open else 0

    def to_receive(self, quantity_delivered: int) -> int:
        """The units of a cumulative delivery count not received yet."""
        return max(0, min(quantity_delivered, self.quantity_ordered) - self.quantity_received)

    def received(self, quantity: int, *, close: bool, version: int, now: datetime) -> IncomingOrder:
        return replace(
            self,
            quantity_received=self.quantity_received + quantity,
            open=self.open and not close,
            version=max(self.version, version),
            updated_at=now,
        )

    def expected(self, on: date, *, version: int, now: datetime) -> IncomingOrder:
        return replace(self, expected_on=on, version=max(self.version, version), updated_at=now)
