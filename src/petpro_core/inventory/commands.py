"""Messages the inventory context accepts. Queries are commands that change nothing.

Commands a person gives carry the acting `Actor` (admin or clinic staff manage stock).
Reserving, releasing, fulfilling and expiring are internal: other contexts call them
through ports (the booking saga's ProductReservations), never a user directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Final
from uuid import UUID

from petpro_core.contracts.inventory import ReservationLine
from petpro_core.inventory.domain.reservations import ReservationResult
from petpro_core.shared.actors import Actor
from petpro_core.shared.messagebus import Command
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import PageRequest

__all__ = [
    "UNCHANGED",
    "AdjustStock",
    "CreateCategory",
    "CreateProduct",
    "CreateWarehouse",
    "ExpireReservations",
    "FulfilReservation",
    "GetProduct",
    "GetReservation",
    "GetStock",
    "GetStockLedger",
    "ListCategories",
    "ListLocations",
    "ListProducts",
    "ListStock",
    "ReceiveStock",
    "ReleaseReservation",
    "ReservationLine",
    "ReservationResult",
    "ReserveProducts",
    "SetReorderPolicy",
    "Unchanged",
    "UpdateCategory",
    "UpdateProduct",
]


class Unchanged(Enum):
    """The value of an optional field an update leaves as it is (None may mean "clear")."""

    UNCHANGED = "unchanged"


UNCHANGED: Final = Unchanged.UNCHANGED


# -- categories ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateCategory(Command):
    """Admin only. The name is unique among its siblings (case-insensitive). Answers the
    Category."""

    actor: Actor
    name: str
    parent_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class UpdateCategory(Command):
    """Admin only: rename and/or move (parent None: to the top). Never under itself."""

    actor: Actor
    category_id: UUID
    name: str | None = None
    parent_id: UUID | Unchanged | None = UNCHANGED


@dataclass(frozen=True, kw_only=True)
class ListCategories(Command):
    """Every category (flat, with parent ids), by name."""


# -- locations -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateWarehouse(Command):
    """Admin only. Answers the Location."""

    actor: Actor
    name: str


@dataclass(frozen=True, kw_only=True)
class ListLocations(Command):
    """Every stock location (clinics and warehouses), by name; admins and clinic staff."""

    actor: Actor


# -- products and stock (a person acts) ------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateProduct(Command):
    """Admin only; the SKU is unique (case-insensitive). Answers the Product."""

    actor: Actor
    sku: str
    name: str
    unit: str
    price: Money
    category_id: UUID | None = None
    species: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class UpdateProduct(Command):
    """Admin only. Fields left None (category: UNCHANGED) stay; `expected_version`, when
    given, must be the stored version (StaleProduct otherwise). Publishes product.updated.
    Answers the Product."""

    actor: Actor
    product_id: UUID
    expected_version: int | None = None
    name: str | None = None
    unit: str | None = None
    price: Money | None = None
    category_id: UUID | Unchanged | None = UNCHANGED
    species: tuple[str, ...] | None = None
    active: bool | None = None


@dataclass(frozen=True, kw_only=True)
class ListProducts(Command):
    """Products by SKU, any signed-in user. `category_id` includes its descendants;
    `species` matches products for it or for any species; `text` searches name and SKU.
    Answers a Page of Products."""

    category_id: UUID | None = None
    species: str | None = None
    active: bool | None = None
    text: str | None = None
    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True, kw_only=True)
class SetReorderPolicy(Command):
    """When the product is low at the location (available + on order <= threshold) and
    how much to reorder then. Answers the StockItem (publishes stock.low if it is low)."""

    actor: Actor
    product_id: UUID
    location_id: UUID
    threshold: int
    reorder_quantity: int
    needed_within_days: int | None = None


@dataclass(frozen=True, kw_only=True)
class GetStockLedger(Command):
    """A StockLedger: the StockItem and its movements, oldest first."""

    actor: Actor
    product_id: UUID
    location_id: UUID


@dataclass(frozen=True, kw_only=True)
class ReceiveStock(Command):
    """Units arrived at a location (a receipt movement). Answers the StockItem."""

    actor: Actor
    product_id: UUID
    location_id: UUID
    quantity: int
    reference: str | None = None  # e.g. a delivery note


@dataclass(frozen=True, kw_only=True)
class AdjustStock(Command):
    """Correct the count by `delta` (non-zero), with a reason. Never below zero, never below
    what is reserved (InsufficientStock). Answers the StockItem."""

    actor: Actor
    product_id: UUID
    location_id: UUID
    delta: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class GetProduct(Command):
    product_id: UUID


@dataclass(frozen=True, kw_only=True)
class GetStock(Command):
    """One product's StockItem at one location (StockNotFound if never stocked there)."""

    actor: Actor
    product_id: UUID
    location_id: UUID


@dataclass(frozen=True, kw_only=True)
class ListStock(Command):
    """Every StockItem at a location, by product id."""

    actor: Actor
    location_id: UUID


# -- reservations (internal: called by other contexts through ports) ---------------------------


@dataclass(frozen=True, kw_only=True)
class ReserveProducts(Command):
    """Reserve every line at the location until `expires_at`, or none. Answers a
    ReservationResult; the same reservation id again answers the first result and changes
    nothing. Publishes products.reserved or products.reservation_failed."""

    reservation_id: UUID
    location_id: UUID
    lines: tuple[ReservationLine, ...]
    expires_at: datetime
    reference: str  # whose purpose, e.g. `booking:<id>`


@dataclass(frozen=True, kw_only=True)
class ReleaseReservation(Command):
    """Make a held reservation's units available again. Idempotent: an unknown, released,
    expired, fulfilled or failed reservation is left alone. Answers whether it released."""

    reservation_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class FulfilReservation(Command):
    """The reserved units leave (a sale movement per line). Fulfilling a fulfilled
    reservation does nothing; a released, expired or failed one is ReservationNotHeld."""

    reservation_id: UUID


@dataclass(frozen=True, kw_only=True)
class ExpireReservations(Command):
    """Release up to `limit` held reservations whose expiry is at or before `now`; answers
    how many it released."""

    now: datetime
    limit: int = 100


@dataclass(frozen=True, kw_only=True)
class GetReservation(Command):
    reservation_id: UUID
