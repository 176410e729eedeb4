"""What the vendor context needs from outside, named by role."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from petpro_core.shared.pagination import PageRequest
from petpro_core.shared.subscriptions import InboxUnitOfWork
from petpro_core.vendor.domain.catalogue import CatalogueProduct, SupplyItem
from petpro_core.vendor.domain.orders import OrderStatus, PurchaseOrder
from petpro_core.vendor.domain.status import ReorderDecision, StockEvent, StockStatus
from petpro_core.vendor.domain.vendors import Vendor

__all__ = [
    "OrderFilter",
    "ProductCatalogue",
    "PurchaseOrderRepository",
    "ReorderDecisionRepository",
    "StockEventJournal",
    "StockStatusRepository",
    "SupplyCatalogue",
    "UserDirectory",
    "VendorRepository",
    "VendorUnitOfWork",
    "VendorUnitOfWorkFactory",
]


class VendorRepository(Protocol):
    async def get(self, vendor_id: UUID) -> Vendor | None: ...

    async def get_many(self, vendor_ids: Sequence[UUID]) -> dict[UUID, Vendor]: ...

    async def add(self, vendor: Vendor) -> None: ...

    async def save(self, vendor: Vendor) -> None:
        """Store a changed vendor whose version is one more than the stored one, else
        ConcurrentVendorUpdate."""
        ...

    async def list(
        self, page: PageRequest, *, member: UUID | None = None
    ) -> tuple[Sequence[Vendor], int]:
        """Vendors by name (then id), only those `member` acts for when given; and how
        many there are in all."""
        ...

    async def of_member(self, user_id: UUID) -> builtins.list[Vendor]:
        """The vendors the user acts for, by name (then id)."""
        ...


class ProductCatalogue(Protocol):
    """Inventory's products as the vendor context knows them."""

    async def get(self, product_id: UUID) -> CatalogueProduct | None: ...

    async def get_many(self, product_ids: Sequence[UUID]) -> dict[UUID, CatalogueProduct]: ...

    async def apply(self, product: CatalogueProduct) -> bool:
        """Store the product if it is newer than the stored one (by version); answer whether
        it was stored."""
        ...


class SupplyCatalogue(Protocol):
    async def get(self, item_id: UUID) -> SupplyItem | None: ...

    async def add(self, item: SupplyItem) -> None:
        """SupplyItemTaken when the vendor already lists the product or the vendor SKU
        (checked under concurrency)."""
        ...

    async def save(self, item: SupplyItem) -> None:
        """Version-guarded like VendorRepository.save; SupplyItemTaken as in `add`."""
        ...

    async def of_vendor(self, vendor_id: UUID, *, include_inactive: bool) -> list[SupplyItem]:
        """The vendor's items by vendor SKU."""
        ...

    async def for_product(self, product_id: UUID) -> list[SupplyItem]:
        """Every vendor's item for the product (active or not), by vendor id."""
        ...


@dataclass(frozen=True, kw_only=True)
class OrderFilter:
    vendor_ids: tuple[UUID, ...] | None = None  # None: any vendor
    status: OrderStatus | None = None
    product_id: UUID | None = None
    location_id: UUID | None = None


class PurchaseOrderRepository(Protocol):
    async def get(self, purchase_order_id: UUID) -> PurchaseOrder | None: ...

    async def add(self, order: PurchaseOrder) -> None:
        """Insert a new order; OpenOrderExists when it is open and another open order has
        its product and location (enforced by the store, also under concurrency)."""
        ...

    async def save(self, order: PurchaseOrder) -> None:
        """Version-guarded: the stored version must be `order.version - 1`, else
        ConcurrentVendorUpdate."""
        ...

    async def open_for(self, product_id: UUID, location_id: UUID) -> PurchaseOrder | None: ...

    async def open_for_products(
        self, product_ids: Sequence[UUID]
    ) -> builtins.list[PurchaseOrder]: ...

    async def list(
        self, filter: OrderFilter, page: PageRequest
    ) -> tuple[Sequence[PurchaseOrder], int]:
        """Orders matching the filter, newest first (then by id), and how many match."""
        ...


class StockStatusRepository(Protocol):
    async def get(self, product_id: UUID, location_id: UUID) -> StockStatus | None: ...

    async def put(self, row: StockStatus) -> None:
        """Insert or replace the row of its product and location."""
        ...

    async def of_products(self, product_ids: Sequence[UUID]) -> builtins.list[StockStatus]:
        """Rows of the products, by product id then location id."""
        ...

    async def all(self) -> builtins.list[StockStatus]:
        """Every row, by product id then location id."""
        ...

    async def clear(self) -> int:
        """Delete every row (before a rebuild); answer how many."""
        ...


class StockEventJournal(Protocol):
    """The stock events the status view was built from, compacted: per stock item and event
    name only the newest (by aggregate version) is kept, which is all a rebuild needs."""

    async def keep(self, event: StockEvent) -> None: ...

    async def events(self) -> builtins.list[StockEvent]: ...


class ReorderDecisionRepository(Protocol):
    async def get(self, event_id: UUID) -> ReorderDecision | None: ...

    async def add(self, decision: ReorderDecision) -> None:
        """Record the decision of a stock.low event (a repeat of its id is ignored)."""
        ...

    async def latest_for(
        self, keys: Sequence[tuple[UUID, UUID]]
    ) -> dict[tuple[UUID, UUID], ReorderDecision]:
        """The newest decision per (product id, location id) among `keys`."""
        ...


class VendorUnitOfWork(InboxUnitOfWork, Protocol):
    vendors: VendorRepository
    products: ProductCatalogue
    supply: SupplyCatalogue
    orders: PurchaseOrderRepository
    status: StockStatusRepository
    journal: StockEventJournal
    decisions: ReorderDecisionRepository


VendorUnitOfWorkFactory = Callable[[], VendorUnitOfWork]


class UserDirectory(Protocol):
    """Who users are, from the identity owner (auth): only holders of the vendor role act
    for a vendor."""

    async def roles_of(self, user_id: UUID) -> frozenset[str] | None:
        """The user's role names, or None when there is no such user."""
        ...
