"""In-memory adapters of the vendor context: vendors, the product and supply catalogues,
purchase orders, the inventory status view with its journal, reorder decisions, the inbox
and the unit of work.

Units of work on one store run one at a time, so "one open order per product and
location", checked in `add`, holds as the SQL partial unique index makes it hold.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from adapters.memory.inbox import InMemoryInbox
from adapters.memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from petpro_core.shared.pagination import PageRequest
from petpro_core.shared.subscriptions import Inbox
from petpro_core.vendor.domain.catalogue import CatalogueProduct, SupplyItem
from petpro_core.vendor.domain.errors import (
    ConcurrentVendorUpdate,
    OpenOrderExists,
    SupplyItemTaken,
)
from petpro_core.vendor.domain.orders import PurchaseOrder
from petpro_core.vendor.domain.status import ReorderDecision, StockEvent, StockStatus
from petpro_core.vendor.domain.vendors import Vendor
from petpro_core.vendor.ports import (
    OrderFilter,
    ProductCatalogue,
    PurchaseOrderRepository,
    ReorderDecisionRepository,
    StockEventJournal,
    StockStatusRepository,
    SupplyCatalogue,
    VendorRepository,
)

Key = tuple[UUID, UUID]


@dataclass
class VendorState:
    vendors: dict[UUID, Vendor] = field(default_factory=dict)
    products: dict[UUID, CatalogueProduct] = field(default_factory=dict)
    supply: dict[UUID, SupplyItem] = field(default_factory=dict)
    orders: dict[UUID, PurchaseOrder] = field(default_factory=dict)
    status: dict[Key, StockStatus] = field(default_factory=dict)
    # (stock item id, event name) → the newest such event
    journal: dict[tuple[UUID, str], StockEvent] = field(default_factory=dict)
    decisions: dict[UUID, ReorderDecision] = field(default_factory=dict)
    inbox: dict[tuple[str, UUID], datetime] = field(default_factory=dict)

    def clone(self) -> VendorState:
        return VendorState(
            vendors=dict(self.vendors),
            products=dict(self.products),
            supply=dict(self.supply),
            orders=dict(self.orders),
            status=dict(self.status),
            journal=dict(self.journal),
            decisions=dict(self.decisions),
            inbox=dict(self.inbox),
        )


def _stale(what: str) -> ConcurrentVendorUpdate:
    return ConcurrentVendorUpdate(f"the {what} was changed by someone else; retry")


class InMemoryVendorRepository:
    def __init__(self, state: VendorState) -> None:
        self._vendors = state.vendors

    async def get(self, vendor_id: UUID) -> Vendor | None:
        return self._vendors.get(vendor_id)

    async def get_many(self, vendor_ids: Sequence[UUID]) -> dict[UUID, Vendor]:
        return {v: self._vendors[v] for v in vendor_ids if v in self._vendors}

    async def add(self, vendor: Vendor) -> None:
        if vendor.vendor_id in self._vendors:
            raise _stale("vendor")
        self._vendors[vendor.vendor_id] = vendor

    async def save(self, vendor: Vendor) -> None:
        stored = self._vendors.get(vendor.vendor_id)
        if stored is None or stored.version != vendor.version - 1:
            raise _stale("vendor")
        self._vendors[vendor.vendor_id] = vendor

    def _ordered(self) -> builtins.list[Vendor]:
        return sorted(self._vendors.values(), key=lambda v: (v.name, v.vendor_id))

    async def list(
        self, page: PageRequest, *, member: UUID | None = None
    ) -> tuple[Sequence[Vendor], int]:
        found = [v for v in self._ordered() if member is None or v.is_member(member)]
        return found[page.offset : page.offset + page.limit], len(found)

    async def of_member(self, user_id: UUID) -> builtins.list[Vendor]:
        return [v for v in self._ordered() if v.is_member(user_id)]


class InMemoryProductCatalogue:
    def __init__(self, state: VendorState) -> None:
        self._products = state.products

    async def get(self, product_id: UUID) -> CatalogueProduct | None:
        return self._products.get(product_id)

    async def get_many(self, product_ids: Sequence[UUID]) -> dict[UUID, CatalogueProduct]:
        return {p: self._products[p] for p in product_ids if p in self._products}

    async def apply(self, product: CatalogueProduct) -> bool:
        if not product.supersedes(self._products.get(product.product_id)):
            return False
        self._products[product.product_id] = product
        return True


class InMemorySupplyCatalogue:
    def __init__(self, state: VendorState) -> None:
        self._items = state.supply

    async def get(self, item_id: UUID) -> SupplyItem | None:
        return self._items.get(item_id)

    def _check_unique(self, item: SupplyItem) -> None:
        for other in self._items.values():
            if other.item_id == item.item_id or other.vendor_id != item.vendor_id:
                continue
            if other.product_id == item.product_id:
                raise SupplyItemTaken("the vendor already lists this product")
            if other.vendor_sku == item.vendor_sku:
                raise SupplyItemTaken("the vendor already uses this vendor SKU")

    async def add(self, item: SupplyItem) -> None:
        if item.item_id in self._items:
            raise _stale("supply item")
        self._check_unique(item)
        self._items[item.item_id] = item

    async def save(self, item: SupplyItem) -> None:
        stored = self._items.get(item.item_id)
        if stored is None or stored.version != item.version - 1:
            raise _stale("supply item")
        self._check_unique(item)
        self._items[item.item_id] = item

    async def of_vendor(self, vendor_id: UUID, *, include_inactive: bool) -> list[SupplyItem]:
        found = [
            i
            for i in self._items.values()
            if i.vendor_id == vendor_id and (include_inactive or i.active)
        ]
        return sorted(found, key=lambda i: (i.vendor_sku, i.item_id))

    async def for_product(self, product_id: UUID) -> list[SupplyItem]:
        found = [i for i in self._items.values() if i.product_id == product_id]
        return sorted(found, key=lambda i: i.vendor_id)


class InMemoryPurchaseOrderRepository:
    def __init__(self, state: VendorState) -> None:
        self._orders = state.orders

    async def get(self, purchase_order_id: UUID) -> PurchaseOrder | None:
        return self._orders.get(purchase_order_id)

    async def add(self, order: PurchaseOrder) -> None:
        if order.purchase_order_id in self._orders:
            raise _stale("purchase order")
        if order.is_open and await self.open_for(order.product_id, order.location_id):
            raise OpenOrderExists("an open purchase order exists for this product and location")
        self._orders[order.purchase_order_id] = order

    async def save(self, order: PurchaseOrder) -> None:
        stored = self._orders.get(order.purchase_order_id)
        if stored is None or stored.version != order.version - 1:
            raise _stale("purchase order")
        self._orders[order.purchase_order_id] = order

    async def open_for(self, product_id: UUID, location_id: UUID) -> PurchaseOrder | None:
        return next(
            (
                o
                for o in self._orders.values()
                if o.is_open and o.product_id == product_id and o.location_id == location_id
            ),
            None,
        )

    async def open_for_products(self, product_ids: Sequence[UUID]) -> builtins.list[PurchaseOrder]:
        wanted = set(product_ids)
        return [o for o in self._orders.values() if o.is_open and o.product_id in wanted]

    async def list(
        self, filter: OrderFilter, page: PageRequest
    ) -> tuple[Sequence[PurchaseOrder], int]:
        found = [
            o
            for o in self._orders.values()
            if (filter.vendor_ids is None or o.vendor_id in filter.vendor_ids)
            and (filter.status is None or o.status is filter.status)
            and (filter.product_id is None or o.product_id == filter.product_id)
            and (filter.location_id is None or o.location_id == filter.location_id)
        ]
        found.sort(key=lambda o: (o.created_at, o.purchase_order_id), reverse=True)
        return found[page.offset : page.offset + page.limit], len(found)


class InMemoryStockStatusRepository:
    def __init__(self, state: VendorState) -> None:
        self._rows = state.status

    async def get(self, product_id: UUID, location_id: UUID) -> StockStatus | None:
        return self._rows.get((product_id, location_id))

    async def put(self, row: StockStatus) -> None:
        self._rows[(row.product_id, row.location_id)] = row

    async def of_products(self, product_ids: Sequence[UUID]) -> builtins.list[StockStatus]:
        wanted = set(product_ids)
        return [row for key, row in sorted(self._rows.items()) if key[0] in wanted]

    async def all(self) -> builtins.list[StockStatus]:
        return [row for _, row in sorted(self._rows.items())]

    async def clear(self) -> int:
        count = len(self._rows)
        self._rows.clear()
        return count


class InMemoryStockEventJournal:
    def __init__(self, state: VendorState) -> None:
        self._events = state.journal

    async def keep(self, event: StockEvent) -> None:
        key = (event.stock_item_id, event.NAME)
        stored = self._events.get(key)
        if stored is None or event.aggregate_version > stored.aggregate_version:
            self._events[key] = event

    async def events(self) -> builtins.list[StockEvent]:
        return [event for _, event in sorted(self._events.items())]


class InMemoryReorderDecisionRepository:
    def __init__(self, state: VendorState) -> None:
        self._decisions = state.decisions

    async def get(self, event_id: UUID) -> ReorderDecision | None:
        return self._decisions.get(event_id)

    async def add(self, decision: ReorderDecision) -> None:
        self._decisions.setdefault(decision.event_id, decision)

    async def latest_for(self, keys: Sequence[Key]) -> dict[Key, ReorderDecision]:
        wanted = set(keys)
        latest: dict[Key, ReorderDecision] = {}
        for decision in self._decisions.values():
            key = (decision.product_id, decision.location_id)
            if key not in wanted:
                continue
            current = latest.get(key)
            if current is None or (decision.decided_at, decision.event_id) > (
                current.decided_at,
                current.event_id,
            ):
                latest[key] = decision
        return latest


class InMemoryVendorUnitOfWork(InMemoryUnitOfWork[VendorState]):
    inbox: Inbox
    vendors: VendorRepository
    products: ProductCatalogue
    supply: SupplyCatalogue
    orders: PurchaseOrderRepository
    status: StockStatusRepository
    journal: StockEventJournal
    decisions: ReorderDecisionRepository

    def _bind(self, working: VendorState) -> None:
        self.inbox = InMemoryInbox(working.inbox)
        self.vendors = InMemoryVendorRepository(working)
        self.products = InMemoryProductCatalogue(working)
        self.supply = InMemorySupplyCatalogue(working)
        self.orders = InMemoryPurchaseOrderRepository(working)
        self.status = InMemoryStockStatusRepository(working)
        self.journal = InMemoryStockEventJournal(working)
        self.decisions = InMemoryReorderDecisionRepository(working)


def in_memory_vendor_store() -> InMemoryStore[VendorState]:
    return InMemoryStore(state=VendorState())
