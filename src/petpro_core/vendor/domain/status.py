"""The `vendor_inventory_status` read model: stock per product and location as the vendor
context learns it from inventory's events, and the record of each automatic reorder
decision.

A row is kept from `product.stock_changed` and `stock.received` (on hand, reserved,
available) and `stock.low` (threshold, reorder quantity), each applied only when its stock
item's `aggregate_version` is newer than what the row holds for that kind of fact, so the
row never goes backwards and the order events arrive in does not matter: folding the same
events in any order gives the same row (which is what the rebuild relies on).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from petpro_core.contracts.inventory import StockChanged, StockLow, StockReceived

StockEvent = StockChanged | StockLow | StockReceived


@dataclass(frozen=True, kw_only=True)
class StockStatus:
    product_id: UUID
    location_id: UUID
    stock_item_id: UUID
    sku: str
    product_name: str
    on_hand: int = 0
    reserved: int = 0
    available: int = 0
    stock_version: int = 0  # the stock item version the numbers are from (0: none yet)
    threshold: int | None = None
    reorder_quantity: int | None = None
    low_version: int = 0  # the stock item version threshold and reorder quantity are from

    @property
    def needs_reorder(self) -> bool:
        return self.threshold is not None and self.available <= self.threshold


def applied(row: StockStatus | None, event: StockEvent) -> StockStatus | None:
    """The row after the event, or None when the event changes nothing (older than what
    the row holds)."""
    version = event.aggregate_version
    base = row or StockStatus(
        product_id=event.product_id,
        location_id=event.location_id,
        stock_item_id=event.stock_item_id,
        sku=event.sku,
        product_name=event.product_name,
    )
    if isinstance(event, StockLow):
        if version <= base.low_version:
            return None
        changed = replace(
            base,
            threshold=event.threshold,
            reorder_quantity=event.reorder_quantity,
            low_version=version,
        )
        if changed.stock_version == 0:  # no stock numbers yet: what the alert says
            changed = replace(changed, on_hand=event.available, available=event.available)
        return _named(changed, event, newest=version >= base.stock_version)
    if version <= base.stock_version:
        return None
    if isinstance(event, StockChanged):
        reserved = event.reserved
    else:  # stock.received: available = on hand - reserved
        reserved = event.on_hand - event.available
    changed = replace(
        base,
        on_hand=event.on_hand,
        reserved=reserved,
        available=event.available,
        stock_version=version,
    )
    return _named(changed, event, newest=version >= base.low_version)


def _named(row: StockStatus, event: StockEvent, *, newest: bool) -> StockStatus:
    """The SKU and name as the newest stock event tells them."""
    if not newest:
        return row
    return replace(row, sku=event.sku, product_name=event.product_name)


class ReorderOutcome(StrEnum):
    ORDERED = "ordered"
    ALREADY_ORDERED = "already_ordered"
    NO_VENDOR = "no_vendor"


@dataclass(frozen=True, kw_only=True)
class ReorderDecision:
    """What the vendor context did about one stock.low event."""

    event_id: UUID
    product_id: UUID
    location_id: UUID
    outcome: ReorderOutcome
    purchase_order_id: UUID | None
    reason: str
    decided_at: datetime


@dataclass(frozen=True, kw_only=True)
class VendorStockRow:
    """One row of a vendor's inventory status: a product it supplies, at one location."""

    vendor_id: UUID
    vendor_name: str
    product_id: UUID
    sku: str
    product_name: str
    vendor_sku: str
    location_id: UUID
    on_hand: int
    reserved: int
    available: int
    threshold: int | None
    reorder_quantity: int | None
    needs_reorder: bool
    open_purchase_order_id: UUID | None
    open_purchase_order_status: str | None
    last_reorder: ReorderDecision | None
