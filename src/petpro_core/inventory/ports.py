"""What the inventory context needs from outside, named by role."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from petpro_core.inventory.domain.categories import Category
from petpro_core.inventory.domain.customer_orders import CustomerOrder, CustomerOrderStatus
from petpro_core.inventory.domain.incoming import IncomingOrder
from petpro_core.inventory.domain.locations import Location
from petpro_core.inventory.domain.products import Product, ProductFilter
from petpro_core.inventory.domain.reservations import Reservation
from petpro_core.inventory.domain.stock import (
    ReorderPolicy,
    StockChange,
    StockItem,
    StockMovement,
)
from petpro_core.shared.pagination import Page, PageRequest
from petpro_core.shared.subscriptions import InboxUnitOfWork

__all__ = [
    "CategoryRepository",
    "CustomerOrderRepository",
    "DuplicateCustomerOrder",
    "DuplicateReservation",
    "IncomingOrderRepository",
    "InventoryUnitOfWork",
    "InventoryUnitOfWorkFactory",
    "LocationRepository",
    "ProductRepository",
    "ReservationRepository",
    "StaleCategory",
    "StaleCustomerOrder",
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

    async def save(self, product: Product) -> None:
        """Store a changed product whose version is one more than the stored one, else
        StaleProduct (another change got there first)."""
        ...

    async def find(self, where: ProductFilter, page: PageRequest) -> Page[Product]:
        """The products matching the filter, by SKU."""
        ...


class CategoryRepository(Protocol):
    async def add(self, category: Category) -> None:
        """Insert; CategoryNameTaken if a sibling has its name (case-insensitive; the check
        holds under concurrency)."""
        ...

    async def get(self, category_id: UUID) -> Category | None: ...

    async def save(self, category: Category) -> None:
        """Store a renamed or moved category (version one more than the stored one, else
        StaleCategory); CategoryNameTaken as for `add`."""
        ...

    async def list_all(self) -> list[Category]:
        """Every category, by name."""
        ...


class LocationRepository(Protocol):
    async def get(self, location_id: UUID) -> Location | None: ...

    async def list_all(self) -> list[Location]:
        """Every location, by name."""
        ...

    async def add(self, location: Location) -> None:
        """Insert a new location (a warehouse)."""
        ...

    async def put_clinic(self, location: Location) -> bool:
        """Insert or replace a clinic's location, only if it is newer (a higher version)
        than the stored one; whether it changed anything."""
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

    async def set_policy(
        self, stock_item_id: UUID, policy: ReorderPolicy, *, at: datetime
    ) -> StockItem:
        """Set the item's reorder policy; the item after it."""
        ...

    async def add_on_order(self, stock_item_id: UUID, delta: int, *, at: datetime) -> StockItem:
        """Change the units on order by `delta` (atomically, on the stored number); the
        item after it."""
        ...

    async def mark_low(self, stock_item_id: UUID) -> StockItem | None:
        """Flip the low flag on, atomically, only if it is off and the stored numbers are
        low (`UPDATE … WHERE low_reported = false AND <low>`): the item when this call
        flipped it (the caller publishes stock.low), None otherwise. Of concurrent callers
        on one crossing exactly one gets the item."""
        ...

    async def clear_low(self, stock_item_id: UUID) -> bool:
        """Flip the low flag off if it is on and the stored numbers are no longer low."""
        ...


class IncomingOrderRepository(Protocol):
    async def get(self, purchase_order_id: UUID) -> IncomingOrder | None:
        """The order, locked until the transaction ends (on stores that lock rows), so
        two events of one order are applied one after the other."""
        ...

    async def add(self, order: IncomingOrder) -> bool:
        """Insert the order unless one with its id exists; whether it inserted."""
        ...

    async def save(self, order: IncomingOrder) -> None: ...

    async def open_for(self, product_id: UUID, location_id: UUID) -> list[IncomingOrder]:
        """The open orders of a product at a location, soonest expected first."""
        ...


class DuplicateReservation(Exception):
    """Raised by `add` when the reservation id is taken (a concurrent repeat got there
    first). Handlers roll back and answer the stored outcome."""


class StaleCategory(Exception):
    """Raised by `CategoryRepository.save` when another change got there first."""


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
    customer_orders: CustomerOrderRepository
    categories: CategoryRepository
    locations: LocationRepository
    incoming_orders: IncomingOrderRepository


InventoryUnitOfWorkFactory = Callable[[], InventoryUnitOfWork]


# --- customer orders (the shop) ------------------------------------------------------------


class DuplicateCustomerOrder(Exception):
    """Raised by `add` when the order id is taken (a concurrent repeat got there first)."""


class StaleCustomerOrder(Exception):
    """Raised by `save` when the stored version is not `order.version - 1`: another
    request changed the order first."""


class CustomerOrderRepository(Protocol):
    async def get(self, customer_order_id: UUID) -> CustomerOrder | None: ...

    async def add(self, order: CustomerOrder) -> None:
        """Insert a new order; DuplicateCustomerOrder if the id exists."""
        ...

    async def save(self, order: CustomerOrder) -> None:
        """Store a changed order whose version is one more than the stored one (else
        StaleCustomerOrder): two requests never both act on one order."""
        ...

    async def list_for_customer(
        self, customer_id: UUID, page: PageRequest, status: CustomerOrderStatus | None = None
    ) -> Page[CustomerOrder]:
        """A customer's orders, newest first (then by id)."""
        ...

    async def list_at(
        self, location_id: UUID, page: PageRequest, status: CustomerOrderStatus | None = None
    ) -> Page[CustomerOrder]:
        """The orders to pick up at a location, newest first (then by id)."""
        ...

    async def payment_due(self, now: datetime, limit: int) -> list[UUID]:
        """Orders whose payment is unsettled (a charge to resolve, a refund owed) and due by
        `now` (no next attempt set, or at or before `now`), oldest first."""
        ...

    async def uncollected(self, now: datetime, limit: int) -> list[UUID]:
        """Placed orders whose pick-up deadline is at or before `now`, soonest first."""
        ...
