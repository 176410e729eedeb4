"""In-memory adapters of the inventory context: products, stock and its ledger,
reservations, the inbox and the unit of work.

Units of work on one store run one at a time, so the stock rule (0 <= reserved <= on_hand)
checked in `apply` holds as it does in SQL's conditional update.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from adapters.memory.inbox import InMemoryInbox
from adapters.memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from petpro_core.inventory.domain.categories import Category
from petpro_core.inventory.domain.customer_orders import CustomerOrder, CustomerOrderStatus
from petpro_core.inventory.domain.errors import CategoryNameTaken, SkuAlreadyUsed, StaleProduct
from petpro_core.inventory.domain.incoming import IncomingOrder
from petpro_core.inventory.domain.locations import Location
from petpro_core.inventory.domain.products import Product, ProductFilter
from petpro_core.inventory.domain.reservations import Reservation
from petpro_core.inventory.domain.stock import ReorderPolicy, StockChange, StockItem, StockMovement
from petpro_core.inventory.ports import (
    CategoryRepository,
    CustomerOrderRepository,
    DuplicateCustomerOrder,
    DuplicateReservation,
    IncomingOrderRepository,
    LocationRepository,
    ProductRepository,
    ReservationRepository,
    StaleCategory,
    StaleCustomerOrder,
    StaleReservation,
    StockRepository,
)
from petpro_core.shared.pagination import Page, PageRequest
from petpro_core.shared.subscriptions import Inbox


@dataclass
class InventoryState:
    products: dict[UUID, Product] = field(default_factory=dict)
    product_by_sku: dict[str, UUID] = field(default_factory=dict)
    stock: dict[UUID, StockItem] = field(default_factory=dict)
    stock_by_key: dict[tuple[UUID, UUID], UUID] = field(default_factory=dict)
    # stock item id → its ledger, oldest first (tuples: a clone may share them)
    movements: dict[UUID, tuple[StockMovement, ...]] = field(default_factory=dict)
    reservations: dict[UUID, Reservation] = field(default_factory=dict)
    customer_orders: dict[UUID, CustomerOrder] = field(default_factory=dict)
    # (consumer, event id) → when it was handled
    inbox: dict[tuple[str, UUID], datetime] = field(default_factory=dict)
    categories: dict[UUID, Category] = field(default_factory=dict)
    locations: dict[UUID, Location] = field(default_factory=dict)
    incoming_orders: dict[UUID, IncomingOrder] = field(default_factory=dict)

    def clone(self) -> InventoryState:
        return InventoryState(
            products=dict(self.products),
            product_by_sku=dict(self.product_by_sku),
            stock=dict(self.stock),
            stock_by_key=dict(self.stock_by_key),
            movements=dict(self.movements),
            reservations=dict(self.reservations),
            customer_orders=dict(self.customer_orders),
            inbox=dict(self.inbox),
            categories=dict(self.categories),
            locations=dict(self.locations),
            incoming_orders=dict(self.incoming_orders),
        )


class InMemoryProductRepository:
    def __init__(self, state: InventoryState) -> None:
        self._state = state

    async def add(self, product: Product) -> None:
        if product.sku in self._state.product_by_sku:
            raise SkuAlreadyUsed("this SKU is already used by another product")
        if product.product_id in self._state.products:
            raise ValueError(f"product {product.product_id} exists")
        self._state.products[product.product_id] = product
        self._state.product_by_sku[product.sku] = product.product_id

    async def get(self, product_id: UUID) -> Product | None:
        return self._state.products.get(product_id)

    async def get_by_sku(self, sku: str) -> Product | None:
        product_id = self._state.product_by_sku.get(sku)
        return None if product_id is None else self._state.products[product_id]

    async def get_many(self, product_ids: Sequence[UUID]) -> dict[UUID, Product]:
        products = self._state.products
        return {pid: products[pid] for pid in product_ids if pid in products}

    async def save(self, product: Product) -> None:
        stored = self._state.products.get(product.product_id)
        if stored is None or stored.version != product.version - 1:
            raise StaleProduct("the product was changed meanwhile")
        self._state.products[product.product_id] = product

    async def find(self, where: ProductFilter, page: PageRequest) -> Page[Product]:
        found = sorted(
            (p for p in self._state.products.values() if where.matches(p)), key=lambda p: p.sku
        )
        return Page(
            items=found[page.offset : page.offset + page.limit],
            total=len(found),
            limit=page.limit,
            offset=page.offset,
        )


class InMemoryCategoryRepository:
    def __init__(self, state: InventoryState) -> None:
        self._categories = state.categories

    def _check_name(self, category: Category) -> None:
        key = category.sibling_key
        if any(
            other.sibling_key == key and other.category_id != category.category_id
            for other in self._categories.values()
        ):
            raise CategoryNameTaken("a category with this name exists under the same parent")

    async def add(self, category: Category) -> None:
        self._check_name(category)
        if category.category_id in self._categories:
            raise ValueError(f"category {category.category_id} exists")
        self._categories[category.category_id] = category

    async def get(self, category_id: UUID) -> Category | None:
        return self._categories.get(category_id)

    async def save(self, category: Category) -> None:
        stored = self._categories.get(category.category_id)
        if stored is None or stored.version != category.version - 1:
            raise StaleCategory(str(category.category_id))
        self._check_name(category)
        self._categories[category.category_id] = category

    async def list_all(self) -> list[Category]:
        return sorted(self._categories.values(), key=lambda c: (c.name.casefold(), c.category_id))


class InMemoryLocationRepository:
    def __init__(self, state: InventoryState) -> None:
        self._locations = state.locations

    async def get(self, location_id: UUID) -> Location | None:
        return self._locations.get(location_id)

    async def list_all(self) -> list[Location]:
        return sorted(self._locations.values(), key=lambda loc: (loc.name, loc.location_id))

    async def add(self, location: Location) -> None:
        if location.location_id in self._locations:
            raise ValueError(f"location {location.location_id} exists")
        self._locations[location.location_id] = location

    async def put_clinic(self, location: Location) -> bool:
        stored = self._locations.get(location.location_id)
        if stored is not None and not location.supersedes(stored):
            return False
        self._locations[location.location_id] = location
        return True


class InMemoryIncomingOrderRepository:
    def __init__(self, state: InventoryState) -> None:
        self._orders = state.incoming_orders

    async def get(self, purchase_order_id: UUID) -> IncomingOrder | None:
        return self._orders.get(purchase_order_id)

    async def add(self, order: IncomingOrder) -> bool:
        if order.purchase_order_id in self._orders:
            return False
        self._orders[order.purchase_order_id] = order
        return True

    async def save(self, order: IncomingOrder) -> None:
        if order.purchase_order_id not in self._orders:
            raise ValueError(f"no incoming order {order.purchase_order_id}")
        self._orders[order.purchase_order_id] = order

    async def open_for(self, product_id: UUID, location_id: UUID) -> list[IncomingOrder]:
        found = [
            o
            for o in self._orders.values()
            if o.open and o.product_id == product_id and o.location_id == location_id
        ]
        return sorted(found, key=lambda o: (o.expected_on is None, o.expected_on, o.updated_at))


class InMemoryStockRepository:
    def __init__(self, state: InventoryState) -> None:
        self._state = state

    async def get(self, product_id: UUID, location_id: UUID) -> StockItem | None:
        stock_item_id = self._state.stock_by_key.get((product_id, location_id))
        return None if stock_item_id is None else self._state.stock[stock_item_id]

    async def ensure(self, item: StockItem) -> StockItem:
        stored = await self.get(item.product_id, item.location_id)
        if stored is not None:
            return stored
        if item.product_id not in self._state.products:
            raise ValueError(f"no product {item.product_id}")
        empty = replace(item, on_hand=0, reserved=0, version=0)
        self._state.stock[empty.stock_item_id] = empty
        self._state.stock_by_key[(empty.product_id, empty.location_id)] = empty.stock_item_id
        self._state.movements[empty.stock_item_id] = ()
        return empty

    async def list_at(self, location_id: UUID) -> list[StockItem]:
        items = [item for item in self._state.stock.values() if item.location_id == location_id]
        return sorted(items, key=lambda item: item.product_id)

    async def apply(
        self, stock_item_id: UUID, change: StockChange, *, movement_id: UUID, at: datetime
    ) -> StockItem | None:
        item = self._state.stock.get(stock_item_id)
        if item is None or not item.allows(change):
            return None
        after = item.applied(change, at)
        self._state.stock[stock_item_id] = after
        movement = StockMovement.of(change, after, movement_id)
        self._state.movements[stock_item_id] = (*self._state.movements[stock_item_id], movement)
        return after

    async def movements(self, stock_item_id: UUID) -> list[StockMovement]:
        return list(self._state.movements.get(stock_item_id, ()))

    def _item(self, stock_item_id: UUID) -> StockItem:
        item = self._state.stock.get(stock_item_id)
        if item is None:
            raise ValueError(f"no stock item {stock_item_id}")
        return item

    async def set_policy(
        self, stock_item_id: UUID, policy: ReorderPolicy, *, at: datetime
    ) -> StockItem:
        after = replace(self._item(stock_item_id), policy=policy, updated_at=at)
        self._state.stock[stock_item_id] = after
        return after

    async def add_on_order(self, stock_item_id: UUID, delta: int, *, at: datetime) -> StockItem:
        item = self._item(stock_item_id)
        after = replace(item, on_order=item.on_order + delta, updated_at=at)
        self._state.stock[stock_item_id] = after
        return after

    async def mark_low(self, stock_item_id: UUID) -> StockItem | None:
        item = self._state.stock.get(stock_item_id)
        if item is None or item.low_reported or not item.is_low:
            return None
        after = replace(item, low_reported=True)
        self._state.stock[stock_item_id] = after
        return after

    async def clear_low(self, stock_item_id: UUID) -> bool:
        item = self._state.stock.get(stock_item_id)
        if item is None or not item.low_reported or item.is_low:
            return False
        self._state.stock[stock_item_id] = replace(item, low_reported=False)
        return True


class InMemoryReservationRepository:
    def __init__(self, state: InventoryState) -> None:
        self._reservations = state.reservations

    async def get(self, reservation_id: UUID) -> Reservation | None:
        return self._reservations.get(reservation_id)

    async def add(self, reservation: Reservation) -> None:
        if reservation.reservation_id in self._reservations:
            raise DuplicateReservation(str(reservation.reservation_id))
        self._reservations[reservation.reservation_id] = reservation

    async def save(self, reservation: Reservation) -> None:
        stored = self._reservations.get(reservation.reservation_id)
        if stored is None or stored.version != reservation.version - 1:
            raise StaleReservation(str(reservation.reservation_id))
        self._reservations[reservation.reservation_id] = reservation

    async def due(self, now: datetime, limit: int) -> list[UUID]:
        due = [r for r in self._reservations.values() if r.is_due(now)]
        due.sort(key=lambda r: (r.expires_at, r.reservation_id))
        return [r.reservation_id for r in due[:limit]]


class InMemoryInventoryUnitOfWork(InMemoryUnitOfWork[InventoryState]):
    inbox: Inbox
    products: ProductRepository
    stock: StockRepository
    reservations: ReservationRepository
    customer_orders: CustomerOrderRepository
    categories: CategoryRepository
    locations: LocationRepository
    incoming_orders: IncomingOrderRepository

    def _bind(self, working: InventoryState) -> None:
        self.inbox = InMemoryInbox(working.inbox)
        self.products = InMemoryProductRepository(working)
        self.stock = InMemoryStockRepository(working)
        self.reservations = InMemoryReservationRepository(working)
        self.categories = InMemoryCategoryRepository(working)
        self.locations = InMemoryLocationRepository(working)
        self.incoming_orders = InMemoryIncomingOrderRepository(working)
        self.customer_orders = InMemoryCustomerOrderRepository(working)


def in_memory_inventory_store() -> InMemoryStore[InventoryState]:
    return InMemoryStore(state=InventoryState())


class InMemoryCustomerOrderRepository:
    def __init__(self, state: InventoryState) -> None:
        self._orders = state.customer_orders

    async def get(self, customer_order_id: UUID) -> CustomerOrder | None:
        return self._orders.get(customer_order_id)

    async def add(self, order: CustomerOrder) -> None:
        if order.customer_order_id in self._orders:
            raise DuplicateCustomerOrder(str(order.customer_order_id))
        self._orders[order.customer_order_id] = order

    async def save(self, order: CustomerOrder) -> None:
        stored = self._orders.get(order.customer_order_id)
        if stored is None or stored.version != order.version - 1:
            raise StaleCustomerOrder(str(order.customer_order_id))
        self._orders[order.customer_order_id] = order

    def _page(
        self, wanted: list[CustomerOrder], page: PageRequest, status: CustomerOrderStatus | None
    ) -> Page[CustomerOrder]:
        if status is not None:
            wanted = [order for order in wanted if order.status is status]
        wanted.sort(key=lambda o: (o.created_at, o.customer_order_id), reverse=True)
        return Page(
            items=wanted[page.offset : page.offset + page.limit],
            total=len(wanted),
            limit=page.limit,
            offset=page.offset,
        )

    async def list_for_customer(
        self, customer_id: UUID, page: PageRequest, status: CustomerOrderStatus | None = None
    ) -> Page[CustomerOrder]:
        mine = [o for o in self._orders.values() if o.customer_id == customer_id]
        return self._page(mine, page, status)

    async def list_at(
        self, location_id: UUID, page: PageRequest, status: CustomerOrderStatus | None = None
    ) -> Page[CustomerOrder]:
        here = [o for o in self._orders.values() if o.location_id == location_id]
        return self._page(here, page, status)

    async def payment_due(self, now: datetime, limit: int) -> list[UUID]:
        due = [o for o in self._orders.values() if o.payment_due(now)]
        due.sort(key=lambda o: (o.created_at, o.customer_order_id))
        return [o.customer_order_id for o in due[:limit]]

    async def uncollected(self, now: datetime, limit: int) -> list[UUID]:
        due = [o for o in self._orders.values() if o.uncollected(now)]
        due.sort(key=lambda o: (o.pick_up_by, o.customer_order_id))
        return [o.customer_order_id for o in due[:limit]]
