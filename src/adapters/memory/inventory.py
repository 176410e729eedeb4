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
from petpro_core.inventory.domain.errors import SkuAlreadyUsed
from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.domain.reservations import Reservation
from petpro_core.inventory.domain.stock import StockChange, StockItem, StockMovement
from petpro_core.inventory.ports import (
    DuplicateReservation,
    ProductRepository,
    ReservationRepository,
    StaleReservation,
    StockRepository,
)
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
    # (consumer, event id) → when it was handled
    inbox: dict[tuple[str, UUID], datetime] = field(default_factory=dict)

    def clone(self) -> InventoryState:
        return InventoryState(
            products=dict(self.products),
            product_by_sku=dict(self.product_by_sku),
            stock=dict(self.stock),
            stock_by_key=dict(self.stock_by_key),
            movements=dict(self.movements),
            reservations=dict(self.reservations),
            inbox=dict(self.inbox),
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

    def _bind(self, working: InventoryState) -> None:
        self.inbox = InMemoryInbox(working.inbox)
        self.products = InMemoryProductRepository(working)
        self.stock = InMemoryStockRepository(working)
        self.reservations = InMemoryReservationRepository(working)


def in_memory_inventory_store() -> InMemoryStore[InventoryState]:
    return InMemoryStore(state=InventoryState())
