"""Events published by the inventory context: the product catalogue and stock levels.

Stock is kept per product and location (a clinic or a warehouse); each such stock item is its
own aggregate, so its events are ordered by `aggregate_version` independently of others. Stock
events name the product (sku, name) as well as its id so notifications need no lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from petpro_core.contracts.checks import require_at_least, require_text
from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.events import Event
from petpro_core.shared.money import Money


@dataclass(frozen=True, kw_only=True)
class ProductSnapshot(Event):
    """Common shape of product.created and product.updated. `unit` is how stock is counted
    (e.g. "box of 30"); `species` lists the animals it is for (empty: any)."""

    AGGREGATE = "product"

    product_id: UUID
    sku: str
    name: str
    unit: str
    price: Money
    category_id: UUID | None
    species: tuple[str, ...]
    active: bool

    def __post_init__(self) -> None:
        super().__post_init__()
        for text, field in ((self.sku, "sku"), (self.name, "name"), (self.unit, "unit")):
            require_text(text, field)
        if self.price.amount < 0:
            raise ValueError("price must not be negative")

    @property
    def aggregate_id(self) -> UUID:
        return self.product_id


@dataclass(frozen=True, kw_only=True)
class ProductCreated(ProductSnapshot):
    NAME = "product.created"


@dataclass(frozen=True, kw_only=True)
class ProductUpdated(ProductSnapshot):
    NAME = "product.updated"


@dataclass(frozen=True, kw_only=True)
class StockItemEvent(Event):
    """What every stock event says about where it happened."""

    AGGREGATE = "stock_item"

    stock_item_id: UUID
    product_id: UUID
    sku: str
    product_name: str
    location_id: UUID

    @property
    def aggregate_id(self) -> UUID:
        return self.stock_item_id


@dataclass(frozen=True, kw_only=True)
class StockChanged(StockItemEvent):
    """The stock level after a change. `reason` says why: e.g. sale, reservation, release,
    received, adjustment."""

    NAME = "product.stock_changed"

    on_hand: int
    reserved: int
    available: int
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        require_at_least(self.on_hand, 0, "on_hand")
        require_at_least(self.reserved, 0, "reserved")
        if self.available != self.on_hand - self.reserved:
            raise ValueError("available is on_hand minus reserved")
        require_text(self.reason, "reason")


@dataclass(frozen=True, kw_only=True)
class StockLow(StockItemEvent):
    """Available stock fell to or below the reorder threshold. `on_order` counts units already
    ordered and not yet received, so a vendor does not order twice."""

    NAME = "stock.low"

    available: int
    threshold: int
    reorder_quantity: int
    on_order: int

    def __post_init__(self) -> None:
        super().__post_init__()
        require_at_least(self.threshold, 0, "threshold")
        if self.available > self.threshold:
            raise ValueError("stock is low only at or below the threshold")
        require_at_least(self.reorder_quantity, 1, "reorder_quantity")
        require_at_least(self.on_order, 0, "on_order")


@dataclass(frozen=True, kw_only=True)
class StockReceived(StockItemEvent):
    """Units arrived at a location; `purchase_order_id` is None for stock not bought through
    a purchase order (a return, a transfer). `on_hand` and `available` are after receipt."""

    NAME = "stock.received"

    quantity: int
    purchase_order_id: UUID | None
    on_hand: int
    available: int

    def __post_init__(self) -> None:
        super().__post_init__()
        require_at_least(self.quantity, 1, "quantity")
        require_at_least(self.on_hand, self.quantity, "on_hand")
        if self.available > self.on_hand:
            raise ValueError("available cannot exceed on_hand")


@dataclass(frozen=True, kw_only=True)
class ReservationLine:
    product_id: UUID
    quantity: int

    def __post_init__(self) -> None:
        require_at_least(self.quantity, 1, "quantity")


@dataclass(frozen=True, kw_only=True)
class ReservationEvent(Event):
    """A reservation of products at a location for someone's purpose: `reference` names it
    (e.g. `booking:<id>`, `order:<id>`)."""

    AGGREGATE = "reservation"

    reservation_id: UUID
    location_id: UUID
    reference: str
    lines: tuple[ReservationLine, ...]

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text(self.reference, "reference")
        if not self.lines:
            raise ValueError("a reservation has at least one line")
        if len({line.product_id for line in self.lines}) != len(self.lines):
            raise ValueError("one line per product")

    @property
    def aggregate_id(self) -> UUID:
        return self.reservation_id


@dataclass(frozen=True, kw_only=True)
class ProductsReserved(ReservationEvent):
    """Every line is reserved until `expires_at`, unless released or fulfilled first."""

    NAME = "products.reserved"

    expires_at: datetime

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "expires_at", ensure_aware(self.expires_at))


@dataclass(frozen=True, kw_only=True)
class ProductsReservationFailed(ReservationEvent):
    """Nothing was reserved; `reason` says why (e.g. which product is short)."""

    NAME = "products.reservation_failed"

    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text(self.reason, "reason")


@dataclass(frozen=True, kw_only=True)
class ProductsReleased(ReservationEvent):
    """The reserved quantities are available again (released, or expired)."""

    NAME = "products.released"

    reason: str


INVENTORY_EVENTS: tuple[type[Event], ...] = (
    ProductCreated,
    ProductUpdated,
    StockChanged,
    StockLow,
    StockReceived,
    ProductsReserved,
    ProductsReservationFailed,
    ProductsReleased,
)
