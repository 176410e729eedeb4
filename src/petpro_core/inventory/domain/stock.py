"""Stock per product and location, and the ledger of movements that explains it.

A stock item counts one product at one location (the central warehouse or a clinic): what
is on hand, and how much of it is reserved; available = on hand - reserved. Every change is
a movement in the ledger, so the sums of the ledger's deltas are the item's numbers and its
version is the number of movements. The rule every store enforces atomically, whatever
runs concurrently: 0 ≤ reserved ≤ on hand.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from petpro_core.contracts.inventory import StockChanged, StockLow, StockReceived
from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.errors import InvalidInput

MAX_REASON_LENGTH = 500
MAX_REFERENCE_LENGTH = 200


class MovementKind(StrEnum):
    RECEIPT = "receipt"  # units arrived (a delivery, a transfer in)
    ADJUSTMENT = "adjustment"  # a count corrected, with a reason (breakage, stocktake)
    SALE = "sale"  # units left with a customer (a fulfilled reservation, a sale)
    RETURN = "return"  # units came back from a customer
    RESERVATION = "reservation"  # units set aside for a reservation
    RELEASE = "release"  # set-aside units are available again

    @property
    def event_reason(self) -> str:
        """The `reason` of the product.stock_changed event this movement publishes."""
        return "received" if self is MovementKind.RECEIPT else self.value


def _optional_text(value: str | None, field: str, max_length: int) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    if not 1 <= len(cleaned) <= max_length:
        raise InvalidInput(f"{field} must be 1 to {max_length} characters", field=field)
    return cleaned


def _positive(quantity: int, field: str = "quantity") -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidInput(f"{field} must be a whole number of at least 1", field=field)
    return quantity


@dataclass(frozen=True, kw_only=True)
class StockChange:
    """A movement before it is applied: what it does to on hand and to reserved, and why."""

    kind: MovementKind
    on_hand_delta: int
    reserved_delta: int
    reason: str | None = None
    reference: str | None = None  # whose purpose: a delivery note, `booking:<id>`, …
    reservation_id: UUID | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "reason", _optional_text(self.reason, "reason", MAX_REASON_LENGTH))
        set_(self, "reference", _optional_text(self.reference, "reference", MAX_REFERENCE_LENGTH))
        on_hand, reserved = self.on_hand_delta, self.reserved_delta
        shapes = {
            MovementKind.RECEIPT: on_hand > 0 and reserved == 0,
            MovementKind.RETURN: on_hand > 0 and reserved == 0,
            MovementKind.ADJUSTMENT: on_hand != 0 and reserved == 0 and self.reason is not None,
            MovementKind.SALE: on_hand < 0 and on_hand <= reserved <= 0,
            MovementKind.RESERVATION: on_hand == 0 and reserved > 0,
            MovementKind.RELEASE: on_hand == 0 and reserved < 0,
        }
        if not shapes[self.kind]:
            raise ValueError(f"not a valid {self.kind.value} movement: {self}")

    @classmethod
    def receipt(cls, quantity: int, reference: str | None) -> StockChange:
        return cls(
            kind=MovementKind.RECEIPT,
            on_hand_delta=_positive(quantity),
            reserved_delta=0,
            reference=reference,
        )

    @classmethod
    def adjustment(cls, delta: int, reason: str) -> StockChange:
        if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
            raise InvalidInput("delta must be a non-zero whole number", field="delta")
        if not reason.strip():
            raise InvalidInput("an adjustment needs a reason", field="reason")
        return cls(
            kind=MovementKind.ADJUSTMENT, on_hand_delta=delta, reserved_delta=0, reason=reason
        )

    @classmethod
    def reservation(cls, quantity: int, reservation_id: UUID, reference: str) -> StockChange:
        return cls(
            kind=MovementKind.RESERVATION,
            on_hand_delta=0,
            reserved_delta=_positive(quantity),
            reference=reference,
            reservation_id=reservation_id,
        )

    @classmethod
    def release(
        cls, quantity: int, reservation_id: UUID, reference: str, reason: str
    ) -> StockChange:
        return cls(
            kind=MovementKind.RELEASE,
            on_hand_delta=0,
            reserved_delta=-_positive(quantity),
            reason=reason,
            reference=reference,
            reservation_id=reservation_id,
        )

    @classmethod
    def sale_of_reserved(cls, quantity: int, reservation_id: UUID, reference: str) -> StockChange:
        """Reserved units leave: both on hand and reserved go down."""
        quantity = _positive(quantity)
        return cls(
            kind=MovementKind.SALE,
            on_hand_delta=-quantity,
            reserved_delta=-quantity,
            reference=reference,
            reservation_id=reservation_id,
        )


@dataclass(frozen=True, kw_only=True)
class ReorderPolicy:
    """When a stock item is low (available + on order <= threshold), how much to reorder,
    and the longest lead time the location accepts (None: any)."""

    threshold: int
    reorder_quantity: int
    needed_within_days: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int):
            raise InvalidInput("threshold must be a whole number", field="threshold")
        if self.threshold < 0:
            raise InvalidInput("threshold must not be negative", field="threshold")
        _positive(self.reorder_quantity, "reorder_quantity")
        if self.needed_within_days is not None:
            _positive(self.needed_within_days, "needed_within_days")


@dataclass(frozen=True, kw_only=True)
class StockItem:
    stock_item_id: UUID
    product_id: UUID
    location_id: UUID
    on_hand: int = 0
    reserved: int = 0
    # The number of movements applied: 0 for an item nothing has happened to yet; the
    # aggregate_version of its product.stock_changed events.
    version: int = 0
    updated_at: datetime
    # The reorder policy (None: never low) and what is on open purchase orders.
    policy: ReorderPolicy | None = None
    on_order: int = 0
    # Whether stock.low was published for the current crossing (flipped atomically by the
    # store, so one crossing publishes once whatever runs concurrently).
    low_reported: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "updated_at", ensure_aware(self.updated_at))
        if not 0 <= self.reserved <= self.on_hand:
            raise ValueError("stock needs 0 <= reserved <= on_hand")
        if self.version < 0:
            raise ValueError("a stock item's version is not negative")
        if self.on_order < 0:
            raise ValueError("on_order is not negative")

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def threshold(self) -> int | None:
        return None if self.policy is None else self.policy.threshold

    @property
    def is_low(self) -> bool:
        """Available plus what is on order is at or below the reorder threshold."""
        return self.policy is not None and self.available + self.on_order <= self.policy.threshold

    def allows(self, change: StockChange) -> bool:
        """Whether the change keeps 0 <= reserved <= on_hand (the stores' atomic guard)."""
        reserved = self.reserved + change.reserved_delta
        return 0 <= reserved <= self.on_hand + change.on_hand_delta

    def applied(self, change: StockChange, at: datetime) -> StockItem:
        """The item after the change; ValueError if the change breaks the rule."""
        if not self.allows(change):
            raise ValueError(f"{change.kind.value} would break 0 <= reserved <= on_hand")
        return replace(
            self,
            on_hand=self.on_hand + change.on_hand_delta,
            reserved=self.reserved + change.reserved_delta,
            version=self.version + 1,
            updated_at=at,
        )


@dataclass(frozen=True, kw_only=True)
class StockMovement:
    """One line of the ledger: the change, and the stock item version it produced."""

    movement_id: UUID
    stock_item_id: UUID
    product_id: UUID
    location_id: UUID
    kind: MovementKind
    on_hand_delta: int
    reserved_delta: int
    reason: str | None
    reference: str | None
    reservation_id: UUID | None
    stock_version: int
    occurred_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", MovementKind(self.kind))
        object.__setattr__(self, "occurred_at", ensure_aware(self.occurred_at))

    @classmethod
    def of(cls, change: StockChange, after: StockItem, movement_id: UUID) -> StockMovement:
        """The ledger line of `change`, which left the item as `after`."""
        return cls(
            movement_id=movement_id,
            stock_item_id=after.stock_item_id,
            product_id=after.product_id,
            location_id=after.location_id,
            kind=change.kind,
            on_hand_delta=change.on_hand_delta,
            reserved_delta=change.reserved_delta,
            reason=change.reason,
            reference=change.reference,
            reservation_id=change.reservation_id,
            stock_version=after.version,
            occurred_at=after.updated_at,
        )


def stock_changed(
    item: StockItem, *, sku: str, product_name: str, kind: MovementKind
) -> StockChanged:
    """The product.stock_changed event of a stock item just changed by a `kind` movement."""
    return StockChanged(
        occurred_at=item.updated_at,
        aggregate_version=item.version,
        stock_item_id=item.stock_item_id,
        product_id=item.product_id,
        sku=sku,
        product_name=product_name,
        location_id=item.location_id,
        on_hand=item.on_hand,
        reserved=item.reserved,
        available=item.available,
        reason=kind.event_reason,
    )


def stock_low(item: StockItem, *, sku: str, product_name: str) -> StockLow:
    """The stock.low event of an item that just crossed into low (it has a policy). An item
    nothing has moved yet (version 0: a policy set on an empty shelf) reports version 1,
    the first an event can carry; consumers order stock.low among its own kind."""
    if item.policy is None:
        raise ValueError("an item without a reorder policy is never low")
    return StockLow(
        occurred_at=item.updated_at,
        aggregate_version=max(item.version, 1),
        stock_item_id=item.stock_item_id,
        product_id=item.product_id,
        sku=sku,
        product_name=product_name,
        location_id=item.location_id,
        available=item.available,
        threshold=item.policy.threshold,
        reorder_quantity=item.policy.reorder_quantity,
        on_order=item.on_order,
        needed_within_days=item.policy.needed_within_days,
    )


def stock_received(
    item: StockItem,
    *,
    sku: str,
    product_name: str,
    quantity: int,
    purchase_order_id: UUID | None,
) -> StockReceived:
    """The stock.received event of `quantity` units just received into `item`."""
    return StockReceived(
        occurred_at=item.updated_at,
        aggregate_version=item.version,
        stock_item_id=item.stock_item_id,
        product_id=item.product_id,
        sku=sku,
        product_name=product_name,
        location_id=item.location_id,
        quantity=quantity,
        purchase_order_id=purchase_order_id,
        on_hand=item.on_hand,
        available=item.available,
    )
