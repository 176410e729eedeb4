"""The vendor context's catalogues.

- The product catalogue: inventory's products as the vendor context knows them, kept from
  `product.created` / `product.updated` (never backwards by the product's version).
- The supply catalogue: what each vendor sells of those products, at what unit cost, in
  which packs and from which minimum quantity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.money import Money

MAX_QUANTITY = 1_000_000
_VENDOR_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


@dataclass(frozen=True, kw_only=True)
class CatalogueProduct:
    product_id: UUID
    sku: str
    name: str
    unit: str
    active: bool
    version: int

    def supersedes(self, current: CatalogueProduct | None) -> bool:
        return current is None or self.version > current.version


@dataclass(frozen=True, kw_only=True)
class SupplyItem:
    item_id: UUID
    vendor_id: UUID
    product_id: UUID
    vendor_sku: str
    unit_cost: Money
    minimum_order: int
    pack_size: int
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int = 1

    def order_quantity(self, wanted: int) -> int:
        """`wanted` rounded up to whole packs, and to at least the minimum order (itself
        rounded up to whole packs)."""
        return order_quantity(wanted, pack_size=self.pack_size, minimum_order=self.minimum_order)

    def cost_of(self, quantity: int) -> Money:
        return Money(self.unit_cost.amount * quantity, self.unit_cost.currency)

    def change(self, now: datetime, **changes: Any) -> SupplyItem:
        if all(getattr(self, name) == value for name, value in changes.items()):
            return self
        return replace(self, **changes, updated_at=now, version=self.version + 1)


def order_quantity(wanted: int, *, pack_size: int, minimum_order: int) -> int:
    def whole_packs(quantity: int) -> int:
        return -(-quantity // pack_size) * pack_size

    quantity = whole_packs(max(wanted, 1))
    if quantity < minimum_order:
        quantity = whole_packs(minimum_order)
    return quantity


def parse_vendor_sku(raw: object) -> str:
    if not isinstance(raw, str) or not _VENDOR_SKU.match(raw.strip()):
        raise InvalidInput(
            "vendor_sku is 1 to 64 letters, digits, '.', '_', '/' or '-'", field="vendor_sku"
        )
    return raw.strip().upper()


def parse_count(raw: object, field: str, *, minimum: int = 1) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not minimum <= raw <= MAX_QUANTITY:
        raise InvalidInput(f"{field} is a whole number, {minimum} to {MAX_QUANTITY}", field=field)
    return raw


@dataclass(frozen=True, kw_only=True)
class CostInput:
    """A unit cost as given from outside: checked into Money by the handlers."""

    amount: Decimal | str | int
    currency: str


def parse_cost(raw: object) -> Money:
    if isinstance(raw, CostInput):
        try:
            raw = Money.of(raw.amount, raw.currency.strip().upper())
        except (ValueError, TypeError, AttributeError) as exc:
            raise InvalidInput(f"unit_cost: {exc}", field="unit_cost") from None
    if not isinstance(raw, Money):
        raise InvalidInput("unit_cost is an amount and a currency", field="unit_cost")
    if raw.amount < 0:
        raise InvalidInput("unit_cost must not be negative", field="unit_cost")
    return raw
