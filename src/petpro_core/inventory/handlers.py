"""Application services of the inventory context: one handler per command.

Permission checks live here, so every runtime enforces the same rules. Stock changes go
through `StockRepository.apply`, which checks 0 <= reserved <= on_hand atomically against
the stored numbers: a handler's earlier read is only for its error messages, never what
decides, so concurrent reservations cannot oversell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from petpro_core.inventory.commands import (
    UNCHANGED,
    AdjustStock,
    CreateCategory,
    CreateProduct,
    CreateWarehouse,
    ExpireReservations,
    FulfilReservation,
    GetProduct,
    GetReservation,
    GetStock,
    GetStockLedger,
    ListCategories,
    ListLocations,
    ListProducts,
    ListStock,
    ReceiveStock,
    ReleaseReservation,
    ReserveProducts,
    SetReorderPolicy,
    UpdateCategory,
    UpdateProduct,
)
from petpro_core.inventory.domain.categories import Category, check_no_cycle, descendants
from petpro_core.inventory.domain.errors import (
    CategoryNotFound,
    InsufficientStock,
    LocationNotFound,
    ProductNotFound,
    ReservationNotFound,
    ReservationNotHeld,
    StaleProduct,
    StockNotFound,
)
from petpro_core.inventory.domain.locations import Location, LocationKind
from petpro_core.inventory.domain.products import Product, ProductFilter
from petpro_core.inventory.domain.reservations import (
    Reservation,
    ReservationResult,
    ReservationStatus,
)
from petpro_core.inventory.domain.stock import (
    ReorderPolicy,
    StockChange,
    StockItem,
    StockMovement,
)
from petpro_core.inventory.low_stock import reassess_low, stock_events
from petpro_core.inventory.ports import (
    DuplicateReservation,
    InventoryUnitOfWork,
    InventoryUnitOfWorkFactory,
    StaleCategory,
    StaleReservation,
)
from petpro_core.shared.actors import ADMIN_ROLE, OPERATOR_ACTOR, Actor
from petpro_core.shared.clock import Clock, ensure_aware
from petpro_core.shared.errors import Conflict, InvalidInput, PermissionDenied
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.pagination import Page

STOCK_MANAGER_ROLES = frozenset({ADMIN_ROLE, "clinic_staff"})
EXPIRED_REASON = "expired"
MAX_EXPIRE_BATCH = 1000


@dataclass(frozen=True, kw_only=True)
class InventoryDependencies:
    uow: InventoryUnitOfWorkFactory
    clock: Clock


@dataclass(frozen=True, kw_only=True)
class StockLedger:
    """A stock item and the movements that explain it, oldest first."""

    item: StockItem
    movements: tuple[StockMovement, ...]


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only an admin may manage the product catalogue")


def _require_stock_manager(actor: Actor) -> None:
    if not actor.roles & STOCK_MANAGER_ROLES:
        raise PermissionDenied("only an admin or clinic staff may manage stock")


async def _require_manager_at(
    uow: InventoryUnitOfWork, actor: Actor, location_id: UUID
) -> Location | None:
    """The location, when the actor may manage stock there. Unknown locations are
    LocationNotFound, except for the console operator, who may stock a clinic the inventory
    has not heard of yet (clinic events arrive eventually): None then."""
    _require_stock_manager(actor)
    location = await uow.locations.get(location_id)
    if location is None:
        if actor == OPERATOR_ACTOR:
            return None
        raise LocationNotFound("no such stock location")
    if not location.managed_by(actor):
        raise PermissionDenied("clinic staff manage stock only at their own clinics")
    return location


def _aware(moment: datetime, field: str) -> datetime:
    try:
        return ensure_aware(moment)
    except ValueError:
        raise InvalidInput(f"{field} must be timezone-aware", field=field) from None


class InventoryHandlers:
    def __init__(self, deps: InventoryDependencies) -> None:
        self._deps = deps

    def register(self, bus: MessageBus) -> None:
        handlers: dict[type[Any], Any] = {
            CreateCategory: self.create_category,
            UpdateCategory: self.update_category,
            ListCategories: self.list_categories,
            CreateWarehouse: self.create_warehouse,
            ListLocations: self.list_locations,
            CreateProduct: self.create_product,
            UpdateProduct: self.update_product,
            ListProducts: self.list_products,
            GetProduct: self.get_product,
            ReceiveStock: self.receive_stock,
            AdjustStock: self.adjust_stock,
            SetReorderPolicy: self.set_reorder_policy,
            GetStock: self.get_stock,
            GetStockLedger: self.get_stock_ledger,
            ListStock: self.list_stock,
            ReserveProducts: self.reserve_products,
            ReleaseReservation: self.release_reservation,
            FulfilReservation: self.fulfil_reservation,
            ExpireReservations: self.expire_reservations,
            GetReservation: self.get_reservation,
        }
        for command_type, handler in handlers.items():
            bus.register_command(command_type, handler)

    # -- categories ------------------------------------------------------------------------

    async def create_category(self, cmd: CreateCategory) -> Category:
        _require_admin(cmd.actor)
        now = self._deps.clock.now()
        category = Category(
            category_id=new_id(),
            name=cmd.name,
            parent_id=cmd.parent_id,
            created_at=now,
            updated_at=now,
        )
        async with self._deps.uow() as uow:
            if cmd.parent_id is not None and await uow.categories.get(cmd.parent_id) is None:
                raise CategoryNotFound("no such parent category")
            await uow.categories.add(category)  # the store enforces sibling-unique names
            await uow.commit()
        return category

    async def update_category(self, cmd: UpdateCategory) -> Category:
        _require_admin(cmd.actor)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            category = await uow.categories.get(cmd.category_id)
            if category is None:
                raise CategoryNotFound("no such category")
            parent_id = category.parent_id if cmd.parent_id is UNCHANGED else cmd.parent_id
            if parent_id != category.parent_id and parent_id is not None:
                everything = await uow.categories.list_all()
                parents = {c.category_id: c.parent_id for c in everything}
                if parent_id not in parents:
                    raise CategoryNotFound("no such parent category")
                check_no_cycle(category.category_id, parent_id, parents)
            changed = category.changed(
                name=category.name if cmd.name is None else cmd.name,
                parent_id=parent_id,
                now=now,
            )
            try:
                await uow.categories.save(changed)
            except StaleCategory:
                raise Conflict("the category was changed meanwhile; try again") from None
            await uow.commit()
        return changed

    async def list_categories(self, cmd: ListCategories) -> list[Category]:
        async with self._deps.uow() as uow:
            return await uow.categories.list_all()

    # -- locations -------------------------------------------------------------------------

    async def create_warehouse(self, cmd: CreateWarehouse) -> Location:
        if not cmd.actor.is_admin:
            raise PermissionDenied("only an admin may create a warehouse")
        location = Location(
            location_id=new_id(),
            kind=LocationKind.WAREHOUSE,
            name=cmd.name,
            updated_at=self._deps.clock.now(),
        )
        async with self._deps.uow() as uow:
            await uow.locations.add(location)
            await uow.commit()
        return location

    async def list_locations(self, cmd: ListLocations) -> list[Location]:
        _require_stock_manager(cmd.actor)
        async with self._deps.uow() as uow:
            return await uow.locations.list_all()

    # -- products --------------------------------------------------------------------------

    async def create_product(self, cmd: CreateProduct) -> Product:
        _require_admin(cmd.actor)
        product, created = Product.create(
            product_id=new_id(),
            sku=cmd.sku,
            name=cmd.name,
            unit=cmd.unit,
            price=cmd.price,
            category_id=cmd.category_id,
            species=cmd.species,
            now=self._deps.clock.now(),
        )
        async with self._deps.uow() as uow:
            await _require_category(uow, cmd.category_id)
            await uow.products.add(product)  # the store enforces SKU uniqueness
            uow.record(created)
            await uow.commit()
        return product

    async def update_product(self, cmd: UpdateProduct) -> Product:
        _require_admin(cmd.actor)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            product = await _product(uow, cmd.product_id)
            if cmd.expected_version is not None and cmd.expected_version != product.version:
                raise StaleProduct(
                    f"the product is at version {product.version}, not {cmd.expected_version}",
                    version=product.version,
                )
            category_id = product.category_id if cmd.category_id is UNCHANGED else cmd.category_id
            if category_id != product.category_id:
                await _require_category(uow, category_id)
            updated, event = product.updated(
                name=product.name if cmd.name is None else cmd.name,
                unit=product.unit if cmd.unit is None else cmd.unit,
                price=product.price if cmd.price is None else cmd.price,
                category_id=category_id,
                species=product.species if cmd.species is None else cmd.species,
                active=product.active if cmd.active is None else cmd.active,
                now=now,
            )
            await uow.products.save(updated)  # StaleProduct if another change won
            uow.record(event)
            await uow.commit()
        return updated

    async def list_products(self, cmd: ListProducts) -> Page[Product]:
        async with self._deps.uow() as uow:
            category_ids = None
            if cmd.category_id is not None:
                everything = await uow.categories.list_all()
                if all(c.category_id != cmd.category_id for c in everything):
                    raise CategoryNotFound("no such category")
                category_ids = descendants(cmd.category_id, everything)
            where = ProductFilter(
                category_ids=category_ids, species=cmd.species, active=cmd.active, text=cmd.text
            )
            return await uow.products.find(where, cmd.page)

    async def get_product(self, cmd: GetProduct) -> Product:
        async with self._deps.uow() as uow:
            product = await uow.products.get(cmd.product_id)
        if product is None:
            raise ProductNotFound("no such product")
        return product

    # -- stock -----------------------------------------------------------------------------

    async def receive_stock(self, cmd: ReceiveStock) -> StockItem:
        change = StockChange.receipt(cmd.quantity, cmd.reference)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            await _require_manager_at(uow, cmd.actor, cmd.location_id)
            product = await _product(uow, cmd.product_id)
            item = await uow.stock.ensure(_empty_item(cmd.product_id, cmd.location_id, now))
            after = await uow.stock.apply(item.stock_item_id, change, movement_id=new_id(), at=now)
            if after is None:  # pragma: no cover - a receipt keeps the rule
                raise RuntimeError("a receipt was refused by the stock store")
            uow.record(*await stock_events(uow, after, product, change))
            await uow.commit()
        return after

    async def adjust_stock(self, cmd: AdjustStock) -> StockItem:
        change = StockChange.adjustment(cmd.delta, cmd.reason)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            await _require_manager_at(uow, cmd.actor, cmd.location_id)
            product = await _product(uow, cmd.product_id)
            if cmd.delta > 0:
                item = await uow.stock.ensure(_empty_item(cmd.product_id, cmd.location_id, now))
            else:
                found = await uow.stock.get(cmd.product_id, cmd.location_id)
                if found is None:
                    raise InsufficientStock(f"there is no {product.sku} at this location")
                item = found
            after = await uow.stock.apply(item.stock_item_id, change, movement_id=new_id(), at=now)
            if after is None:
                current = await uow.stock.get(cmd.product_id, cmd.location_id) or item
                raise InsufficientStock(
                    f"cannot take {-cmd.delta} {product.sku}: {current.on_hand} on hand, "
                    f"{current.reserved} of them reserved",
                    on_hand=current.on_hand,
                    reserved=current.reserved,
                )
            uow.record(*await stock_events(uow, after, product, change))
            await uow.commit()
        return after

    async def set_reorder_policy(self, cmd: SetReorderPolicy) -> StockItem:
        policy = ReorderPolicy(
            threshold=cmd.threshold,
            reorder_quantity=cmd.reorder_quantity,
            needed_within_days=cmd.needed_within_days,
        )
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            await _require_manager_at(uow, cmd.actor, cmd.location_id)
            product = await _product(uow, cmd.product_id)
            item = await uow.stock.ensure(_empty_item(cmd.product_id, cmd.location_id, now))
            after = await uow.stock.set_policy(item.stock_item_id, policy, at=now)
            low = await reassess_low(uow, after, product)
            if low is not None:
                uow.record(low)
            await uow.commit()
            return await uow.stock.get(cmd.product_id, cmd.location_id) or after

    async def get_stock(self, cmd: GetStock) -> StockItem:
        async with self._deps.uow() as uow:
            await _require_manager_at(uow, cmd.actor, cmd.location_id)
            item = await uow.stock.get(cmd.product_id, cmd.location_id)
        if item is None:
            raise StockNotFound("this product has no stock at this location")
        return item

    async def get_stock_ledger(self, cmd: GetStockLedger) -> StockLedger:
        async with self._deps.uow() as uow:
            await _require_manager_at(uow, cmd.actor, cmd.location_id)
            item = await uow.stock.get(cmd.product_id, cmd.location_id)
            if item is None:
                raise StockNotFound("this product has no stock at this location")
            movements = await uow.stock.movements(item.stock_item_id)
        return StockLedger(item=item, movements=tuple(movements))

    async def list_stock(self, cmd: ListStock) -> list[StockItem]:
        async with self._deps.uow() as uow:
            await _require_manager_at(uow, cmd.actor, cmd.location_id)
            return await uow.stock.list_at(cmd.location_id)

    # -- reservations ----------------------------------------------------------------------

    async def reserve_products(self, cmd: ReserveProducts) -> ReservationResult:
        now = self._deps.clock.now()
        expires_at = _aware(cmd.expires_at, "expires_at")
        # Built first: it validates the request before any stock is touched.
        held, reserved_event = Reservation.hold(
            reservation_id=cmd.reservation_id,
            location_id=cmd.location_id,
            reference=cmd.reference,
            lines=cmd.lines,
            expires_at=expires_at,
            now=now,
        )
        async with self._deps.uow() as uow:
            existing = await uow.reservations.get(cmd.reservation_id)
            if existing is not None:
                return existing.result  # a repeat: the first outcome, nothing changes
            if expires_at <= now:
                raise InvalidInput("expires_at must be in the future", field="expires_at")
            failure, line_events = await self._reserve_lines(uow, held)
            if failure is None:
                reservation: Reservation = held
                events: list[Any] = [*line_events, reserved_event]
            else:
                await uow.rollback()  # all or nothing: undo the lines reserved so far
                reservation, failed_event = Reservation.fail(
                    reservation_id=held.reservation_id,
                    location_id=held.location_id,
                    reference=held.reference,
                    lines=held.lines,
                    expires_at=held.expires_at,
                    reason=failure,
                    now=now,
                )
                events = [failed_event]
            try:
                await uow.reservations.add(reservation)
            except DuplicateReservation:
                # A concurrent repeat committed first: its outcome is the answer.
                await uow.rollback()
                stored = await uow.reservations.get(cmd.reservation_id)
                if stored is None:  # pragma: no cover - the duplicate was committed
                    raise
                return stored.result
            uow.record(*events)
            await uow.commit()
        return reservation.result

    async def _reserve_lines(
        self, uow: InventoryUnitOfWork, reservation: Reservation
    ) -> tuple[str | None, list[Event]]:
        """Reserve each line (in product-id order); the reason of the first line that
        cannot be reserved, or None when all were."""
        products = await uow.products.get_many([line.product_id for line in reservation.lines])
        events: list[Event] = []
        for line in reservation.lines:
            product = products.get(line.product_id)
            if product is None:
                return f"unknown product {line.product_id}", []
            if not product.active:
                return f"{product.sku} is not available", []
            item = await uow.stock.get(line.product_id, reservation.location_id)
            if item is None:
                return f"{product.sku} is not stocked at this location", []
            change = StockChange.reservation(
                line.quantity, reservation.reservation_id, reservation.reference
            )
            after = await uow.stock.apply(
                item.stock_item_id, change, movement_id=new_id(), at=reservation.created_at
            )
            if after is None:
                current = await uow.stock.get(line.product_id, reservation.location_id) or item
                return (
                    f"not enough {product.sku}: {line.quantity} requested, "
                    f"{current.available} available"
                ), []
            events.extend(await stock_events(uow, after, product, change))
        return None, events

    async def release_reservation(self, cmd: ReleaseReservation) -> bool:
        return await self._release(cmd.reservation_id, cmd.reason, due_at=None)

    async def expire_reservations(self, cmd: ExpireReservations) -> int:
        now = _aware(cmd.now, "now")
        if not 1 <= cmd.limit <= MAX_EXPIRE_BATCH:
            raise InvalidInput(f"limit must be 1 to {MAX_EXPIRE_BATCH}", field="limit")
        async with self._deps.uow() as uow:
            due = await uow.reservations.due(now, cmd.limit)
        released = 0
        for reservation_id in due:  # one transaction each: one failure spoils no other
            released += await self._release(reservation_id, EXPIRED_REASON, due_at=now)
        return released

    async def _release(self, reservation_id: UUID, reason: str, *, due_at: datetime | None) -> bool:
        """Release a held reservation (expire it when `due_at` is given and it is due by
        then); False when there was nothing to do."""
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            reservation = await uow.reservations.get(reservation_id)
            if reservation is None or not reservation.held:
                return False
            if due_at is not None and not reservation.is_due(due_at):
                return False
            released, released_event = reservation.release(reason, now, expired=due_at is not None)
            try:
                # The status first: of two concurrent releases only one gets past here.
                await uow.reservations.save(released)
            except StaleReservation:
                await uow.rollback()
                return False
            events = await self._change_lines(
                uow,
                released,
                lambda quantity: StockChange.release(
                    quantity, released.reservation_id, released.reference, reason
                ),
                now,
            )
            uow.record(*events, released_event)
            await uow.commit()
        return True

    async def fulfil_reservation(self, cmd: FulfilReservation) -> Reservation:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            reservation = await uow.reservations.get(cmd.reservation_id)
            if reservation is None:
                raise ReservationNotFound("no such reservation")
            if reservation.status is ReservationStatus.FULFILLED:
                return reservation
            if not reservation.held:
                raise ReservationNotHeld(f"the reservation is {reservation.status.value}")
            fulfilled = reservation.fulfil(now)
            try:
                await uow.reservations.save(fulfilled)
            except StaleReservation:
                await uow.rollback()
                raise ReservationNotHeld("the reservation was changed concurrently") from None
            events = await self._change_lines(
                uow,
                fulfilled,
                lambda quantity: StockChange.sale_of_reserved(
                    quantity, fulfilled.reservation_id, fulfilled.reference
                ),
                now,
            )
            uow.record(*events)
            await uow.commit()
        return fulfilled

    async def _change_lines(
        self,
        uow: InventoryUnitOfWork,
        reservation: Reservation,
        change_of: Callable[[int], StockChange],
        now: datetime,
    ) -> list[Event]:
        """Apply a change to the reserved stock of every line, in product-id order."""
        products = await uow.products.get_many([line.product_id for line in reservation.lines])
        events: list[Event] = []
        for line in reservation.lines:
            product = products[line.product_id]
            item = await uow.stock.get(line.product_id, reservation.location_id)
            change = change_of(line.quantity)
            after = (
                None
                if item is None
                else await uow.stock.apply(item.stock_item_id, change, movement_id=new_id(), at=now)
            )
            if after is None:  # pragma: no cover - the reservation holds these units
                raise RuntimeError(
                    f"reservation {reservation.reservation_id}: the stock of {product.sku} "
                    "does not hold its reserved units"
                )
            events.extend(await stock_events(uow, after, product, change))
        return events

    async def get_reservation(self, cmd: GetReservation) -> Reservation:
        async with self._deps.uow() as uow:
            reservation = await uow.reservations.get(cmd.reservation_id)
        if reservation is None:
            raise ReservationNotFound("no such reservation")
        return reservation


async def _product(uow: InventoryUnitOfWork, product_id: UUID) -> Product:
    product = await uow.products.get(product_id)
    if product is None:
        raise ProductNotFound("no such product")
    return product


def _empty_item(product_id: UUID, location_id: UUID, now: datetime) -> StockItem:
    return StockItem(
        stock_item_id=new_id(), product_id=product_id, location_id=location_id, updated_at=now
    )


async def _require_category(uow: InventoryUnitOfWork, category_id: UUID | None) -> None:
    if category_id is not None and await uow.categories.get(category_id) is None:
        raise CategoryNotFound("no such category")
