"""What the inventory context needs from outside, named by role."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.domain.reservations import Reservation
from petpro_core.inventory.domain.stock import StockChange, StockItem, StockMovement
from petpro_core.shared.subscriptions import InboxUnitOfWork

__all__ = [
    "DuplicateReservation",
    "InventoryUnitOfWork",
    "InventoryUnitOfWorkFactory",
    "ProductRepository",
    "ReservationRepository",
    "StaleReservation",
    "StockRepository",
]


class ProductRepository(Protocol):
    async def add(self, product: Product) -> None:
        """Insert a new product; SkuAlreadyUsed if another product has its SKU (the check
        holds under concurrency)."""
        ...

    async def get(self, product_id: UUID) -> Product | None: ...

    async def get_by_sku(self, sku: str) -> Product | None:
        """`sku` as normalised (upper-case)."""
        ...

    async def get_many(self, product_ids: Sequence[UUID]) -> dict[UUID, Product]:
        """The products among `product_ids` that exist, by id."""
        ...


class StockRepository(Protocol):
    async def get(self, product_id: UUID, location_id: UUID) -> StockItem | None: ...

    async def ensure(self, item: StockItem) -> StockItem:
        """The stored item of `item`'s product and location; `item` (an empty one, version
        0) is inserted first when there is none. Safe when two callers race."""
        ...

    async def list_at(self, location_id: UUID) -> list[StockItem]:
        """Every stock item at the location, by product id."""
        ...

    async def apply(
        self, stock_item_id: UUID, change: StockChange, *, movement_id: UUID, at: datetime
    ) -> StockItem | None:
        """Apply the change atomically, only if it keeps 0 <= reserved <= on_hand against
        the stored numbers (whatever other transactions committed meanwhile), bump the
        version, and append its movement to the ledger; answer the item after it. None when
        the change would break the rule (or the item does not exist): nothing changed.

        Within one transaction, apply changes to several items in product-id order, so
        concurrent transactions never wait on each other in a cycle."""
        ...

    async def movements(self, stock_item_id: UUID) -> list[StockMovement]:
        """The item's ledger, oldest first (by stock version)."""
        ...


class DuplicateReservation(Exception):
    """Raised by `add` when the reservation id is taken (a concurrent repeat got there
    first). Handlers roll back and answer the stored outcome."""


class StaleReservation(Exception):
    """Raised by `save` when the stored version is not `reservation.version - 1`: another
    transaction released, expired or fulfilled it first."""


class ReservationRepository(Protocol):
    async def get(self, reservation_id: UUID) -> Reservation | None: ...

    async def add(self, reservation: Reservation) -> None:
        """Insert a new reservation (held or failed); DuplicateReservation if the id exists."""
        ...

    async def save(self, reservation: Reservation) -> None:
        """Store a changed reservation whose version is one more than the stored one (else
        StaleReservation): two transactions never both release one reservation."""
        ...

    async def due(self, now: datetime, limit: int) -> list[UUID]:
        """Held reservations whose expiry is at or before `now`, soonest expiry first."""
        ...


class InventoryUnitOfWork(InboxUnitOfWork, Protocol):
    products: ProductRepository
    stock: StockRepository
    reservations: ReservationRepository


InventoryUnitOfWorkFactory = Callable[[], InventoryUnitOfWork]
