"""Events published by the inventory context: the product catalogue and stock levels.

Stock is kept per product and location (a clinic or a warehouse); each such stock item is its
own aggregate, so its events are ordered by `aggregate_version` independently of others. Stock
events name the product (sku, name) as well as its id so notifications need no lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
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
    """Available stock fell to or below the reorder threshold, counting what is on order: it
    is published once per crossing, when available + on_order falls to or below the
    threshold. `on_order` counts units ordered and not yet received, so a vendor does not
    order twice. `needed_within_days` is the longest lead time the location accepts (None:
    any)."""

    NAME = "stock.low"

    available: int
    threshold: int
    reorder_quantity: int
    on_order: int
    needed_within_days: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require_at_least(self.threshold, 0, "threshold")
        if self.available > self.threshold:
            raise ValueError("stock is low only at or below the threshold")
        require_at_least(self.reorder_quantity, 1, "reorder_quantity")
        require_at_least(self.on_order, 0, "on_order")
        if self.needed_within_days is not None:
            require_at_least(self.needed_within_days, 1, "needed_within_days")


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


CANCELLING_ORDER_PARTIES = frozenset({"customer", "staff", "system"})


@dataclass(frozen=True, kw_only=True)
class CustomerOrderLine:
    product_id: UUID
    sku: str
    quantity: int
    unit_price: Money

    def __post_init__(self) -> None:
        require_text(self.sku, "sku")
        require_at_least(self.quantity, 1, "quantity")
        if self.unit_price.amount < 0:
            raise ValueError("unit_price must not be negative")


@dataclass(frozen=True, kw_only=True)
class CustomerOrderEvent(Event):
    """A customer's order of products for pick-up at a location (a clinic), as it stands
    after the event. `total` is the sum of the lines' unit price times quantity."""

    AGGREGATE = "customer_order"

    customer_order_id: UUID
    customer_id: UUID
    location_id: UUID
    lines: tuple[CustomerOrderLine, ...]
    total: Money

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.lines:
            raise ValueError("an order has at least one line")
        if len({line.product_id for line in self.lines}) != len(self.lines):
            raise ValueError("one line per product")
        currency = self.total.currency
        if any(line.unit_price.currency != currency for line in self.lines):
            raise ValueError("every line is priced in the order's currency")
        expected = sum((line.unit_price.amount * line.quantity for line in self.lines), Decimal(0))
        if self.total.amount != expected:
            raise ValueError("total must be the sum of the lines")

    @property
    def aggregate_id(self) -> UUID:
        return self.customer_order_id


@dataclass(frozen=True, kw_only=True)
class CustomerOrderPlaced(CustomerOrderEvent):
    """Paid, with every line reserved at the location until `pick_up_by`."""

    NAME = "customer_order.placed"

    payment_reference: str
    pick_up_by: datetime

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text(self.payment_reference, "payment_reference")
        object.__setattr__(self, "pick_up_by", ensure_aware(self.pick_up_by))


@dataclass(frozen=True, kw_only=True)
class CustomerOrderFulfilled(CustomerOrderEvent):
    """The customer collected the goods: the reserved units left the stock (a sale)."""

    NAME = "customer_order.fulfilled"


@dataclass(frozen=True, kw_only=True)
class CustomerOrderCancelled(CustomerOrderEvent):
    """Cancelled before pick-up by the customer, the staff or the system (not collected in
    time); the reservation is released and `refund` (the whole amount paid) returned."""

    NAME = "customer_order.cancelled"

    cancelled_by: str
    reason: str
    refund: Money

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.cancelled_by not in CANCELLING_ORDER_PARTIES:
            raise ValueError(f"cancelled_by must be one of {sorted(CANCELLING_ORDER_PARTIES)}")
        require_text(self.reason, "reason")
        if self.refund.currency != self.total.currency or not (
            0 <= self.refund.amount <= self.total.amount
        ):
            raise ValueError("refund is between nothing and the total, in its currency")


INVENTORY_EVENTS: tuple[type[Event], ...] = (
    ProductCreated,
    ProductUpdated,
    StockChanged,
    StockLow,
    StockReceived,
    ProductsReserved,
    ProductsReservationFailed,
    ProductsReleased,
    CustomerOrderPlaced,
    CustomerOrderFulfilled,
    CustomerOrderCancelled,
)
