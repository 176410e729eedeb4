"""The inventory core on memory, through the bus: products, stock and its ledger, and
all-or-nothing reservations (idempotent, releasable once, expiring)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from adapters.memory.inventory import (
    InMemoryInventoryUnitOfWork,
    InventoryState,
    in_memory_inventory_store,
)
from adapters.memory.unit_of_work import InMemoryStore
from petpro_core.contracts.inventory import (
    ProductCreated,
    ProductsReleased,
    ProductsReservationFailed,
    ProductsReserved,
    ReservationLine,
    StockChanged,
)
from petpro_core.inventory.commands import (
    AdjustStock,
    CreateProduct,
    ExpireReservations,
    FulfilReservation,
    GetReservation,
    GetStock,
    ListStock,
    ReceiveStock,
    ReleaseReservation,
    ReservationResult,
    ReserveProducts,
)
from petpro_core.inventory.domain.errors import (
    InsufficientStock,
    ProductNotFound,
    ReservationNotHeld,
    SkuAlreadyUsed,
    StockNotFound,
)
from petpro_core.inventory.domain.locations import Location, LocationKind
from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.domain.reservations import Reservation, ReservationStatus
from petpro_core.inventory.domain.stock import MovementKind, StockItem
from petpro_core.inventory.handlers import InventoryDependencies, InventoryHandlers
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.errors import InvalidInput, PermissionDenied
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money

ADMIN = Actor(user_id=new_id(), roles=frozenset({"admin"}))
STAFF = Actor(user_id=new_id(), roles=frozenset({"clinic_staff"}))
OWNER = Actor(user_id=new_id(), roles=frozenset({"pet_owner"}))
CLINIC = UUID("00000000-0000-4000-8000-00000000c111")
WAREHOUSE = UUID("00000000-0000-4000-8000-00000000a001")


class Inventory:
    def __init__(self) -> None:
        self.store: InMemoryStore[InventoryState] = in_memory_inventory_store()
        self.clock = FixedClock()
        self.bus = MessageBus()
        InventoryHandlers(
            InventoryDependencies(
                uow=lambda: InMemoryInventoryUnitOfWork(self.store), clock=self.clock
            )
        ).register(self.bus)
        # The clinic (STAFF on its staff) and the warehouse are known stock locations.
        self.store.state.locations.update(
            {
                CLINIC: Location(
                    location_id=CLINIC,
                    kind=LocationKind.CLINIC,
                    name="Clinic",
                    staff=frozenset({STAFF.user_id}),
                    updated_at=self.clock.now(),
                ),
                WAREHOUSE: Location(
                    location_id=WAREHOUSE,
                    kind=LocationKind.WAREHOUSE,
                    name="Warehouse",
                    updated_at=self.clock.now(),
                ),
            }
        )

    async def product(self, sku: str, *, stock: int = 0, at: UUID = CLINIC) -> Product:
        product: Product = await self.bus.execute(
            CreateProduct(
                actor=ADMIN,
                sku=sku,
                name=f"Product {sku}",
                unit="box",
                price=Money.of("9.90", "EUR"),
            )
        )
        if stock:
            await self.receive(product, stock, at=at)
        return product

    async def receive(self, product: Product, quantity: int, *, at: UUID = CLINIC) -> StockItem:
        item: StockItem = await self.bus.execute(
            ReceiveStock(
                actor=STAFF if at == CLINIC else ADMIN,  # clinic staff work at the clinic
                product_id=product.product_id,
                location_id=at,
                quantity=quantity,
                reference="delivery 1",
            )
        )
        return item

    async def stock(self, product: Product, at: UUID = CLINIC) -> StockItem:
        item: StockItem = await self.bus.execute(
            GetStock(
                actor=STAFF if at == CLINIC else ADMIN,
                product_id=product.product_id,
                location_id=at,
            )
        )
        return item

    async def reserve(
        self,
        *lines: tuple[Product, int],
        reservation_id: UUID | None = None,
        at: UUID = CLINIC,
        minutes: int = 15,
    ) -> tuple[UUID, ReservationResult]:
        reservation_id = reservation_id or new_id()
        result: ReservationResult = await self.bus.execute(
            ReserveProducts(
                reservation_id=reservation_id,
                location_id=at,
                lines=tuple(ReservationLine(product_id=p.product_id, quantity=q) for p, q in lines),
                expires_at=self.clock.now() + timedelta(minutes=minutes),
                reference=f"booking:{reservation_id}",
            )
        )
        return reservation_id, result

    async def reservation(self, reservation_id: UUID) -> Reservation:
        reservation: Reservation = await self.bus.execute(
            GetReservation(reservation_id=reservation_id)
        )
        return reservation

    def events(self, *types: type[Event]) -> list[Any]:
        return [e for e in self.store.outbox if not types or isinstance(e, types)]

    def mark(self) -> int:
        return len(self.store.outbox)

    def since(self, mark: int) -> list[Event]:
        return self.store.outbox[mark:]

    async def assert_ledger_explains(self, product: Product, at: UUID = CLINIC) -> None:
        item = await self.stock(product, at)
        async with InMemoryInventoryUnitOfWork(self.store) as uow:
            ledger = await uow.stock.movements(item.stock_item_id)
        assert sum(m.on_hand_delta for m in ledger) == item.on_hand
        assert sum(m.reserved_delta for m in ledger) == item.reserved
        assert [m.stock_version for m in ledger] == list(range(1, item.version + 1))


@pytest.fixture
def inventory() -> Inventory:
    return Inventory()


# -- products and stock ---------------------------------------------------------------------


async def test_an_admin_creates_products_with_unique_skus(inventory: Inventory) -> None:
    product = await inventory.product("flea-10")

    assert product.sku == "FLEA-10"
    [created] = inventory.events(ProductCreated)
    assert (created.product_id, created.sku, created.aggregate_version) == (
        product.product_id,
        "FLEA-10",
        1,
    )
    with pytest.raises(SkuAlreadyUsed):
        await inventory.product("Flea-10")
    with pytest.raises(PermissionDenied):
        await inventory.bus.execute(
            CreateProduct(
                actor=STAFF, sku="X1", name="X", unit="box", price=Money.of("1.00", "EUR")
            )
        )
    with pytest.raises(InvalidInput):
        await inventory.product("no spaces")


async def test_receiving_stock_is_a_receipt_movement_with_a_versioned_event(
    inventory: Inventory,
) -> None:
    product = await inventory.product("P1")

    first = await inventory.receive(product, 5)
    second = await inventory.receive(product, 3)

    assert (second.on_hand, second.reserved, second.available, second.version) == (8, 0, 8, 2)
    assert second.stock_item_id == first.stock_item_id
    changed = inventory.events(StockChanged)
    assert [(e.aggregate_version, e.on_hand, e.reason) for e in changed] == [
        (1, 5, "received"),
        (2, 8, "received"),
    ]
    assert {e.aggregate_id for e in changed} == {first.stock_item_id}
    assert changed[0].sku == "P1" and changed[0].location_id == CLINIC
    await inventory.assert_ledger_explains(product)


async def test_only_admins_and_clinic_staff_manage_stock(inventory: Inventory) -> None:
    product = await inventory.product("P1")
    with pytest.raises(PermissionDenied):
        await inventory.bus.execute(
            ReceiveStock(actor=OWNER, product_id=product.product_id, location_id=CLINIC, quantity=1)
        )
    with pytest.raises(PermissionDenied):
        await inventory.bus.execute(ListStock(actor=OWNER, location_id=CLINIC))
    with pytest.raises(ProductNotFound):
        await inventory.bus.execute(
            ReceiveStock(actor=STAFF, product_id=new_id(), location_id=CLINIC, quantity=1)
        )
    with pytest.raises(StockNotFound):
        await inventory.stock(product)


async def test_stock_is_kept_per_location(inventory: Inventory) -> None:
    product = await inventory.product("P1", stock=4)
    await inventory.receive(product, 100, at=WAREHOUSE)
    other = await inventory.product("P2", stock=1)

    at_clinic = await inventory.bus.execute(ListStock(actor=STAFF, location_id=CLINIC))

    assert [(i.product_id, i.on_hand) for i in at_clinic] == sorted(
        [(product.product_id, 4), (other.product_id, 1)]
    )
    assert (await inventory.stock(product, WAREHOUSE)).on_hand == 100


async def test_adjustments_never_go_below_zero_nor_below_reserved(inventory: Inventory) -> None:
    product = await inventory.product("P1", stock=5)
    _, result = await inventory.reserve((product, 3))
    assert result.reserved
    mark = inventory.mark()

    with pytest.raises(InsufficientStock):
        await inventory.bus.execute(
            AdjustStock(
                actor=STAFF,
                product_id=product.product_id,
                location_id=CLINIC,
                delta=-3,
                reason="broken",
            )
        )
    with pytest.raises(InsufficientStock):
        await inventory.bus.execute(
            AdjustStock(
                actor=ADMIN,
                product_id=product.product_id,
                location_id=WAREHOUSE,
                delta=-1,
                reason="lost",
            )
        )
    assert inventory.since(mark) == []
    assert (await inventory.stock(product)).on_hand == 5

    adjusted = await inventory.bus.execute(
        AdjustStock(
            actor=STAFF,
            product_id=product.product_id,
            location_id=CLINIC,
            delta=-2,
            reason="broken",
        )
    )
    assert (adjusted.on_hand, adjusted.reserved, adjusted.available) == (3, 3, 0)
    [event] = inventory.since(mark)
    assert isinstance(event, StockChanged) and event.reason == "adjustment"
    with pytest.raises(InvalidInput):
        await inventory.bus.execute(
            AdjustStock(
                actor=STAFF, product_id=product.product_id, location_id=CLINIC, delta=1, reason=" "
            )
        )
    await inventory.assert_ledger_explains(product)


# -- reservations ---------------------------------------------------------------------------


async def test_a_reservation_reserves_every_line(inventory: Inventory) -> None:
    a = await inventory.product("A", stock=5)
    b = await inventory.product("B", stock=2)
    mark = inventory.mark()

    reservation_id, result = await inventory.reserve((a, 2), (b, 2))

    assert result == ReservationResult(reserved=True)
    assert ((await inventory.stock(a)).available, (await inventory.stock(b)).available) == (3, 0)
    events = inventory.since(mark)
    assert [type(e) for e in events] == [StockChanged, StockChanged, ProductsReserved]
    assert [(e.reserved, e.aggregate_version, e.reason) for e in events[:2]] == [  # type: ignore[attr-defined]
        (2, 2, "reservation"),
        (2, 2, "reservation"),
    ]
    reserved = events[2]
    assert isinstance(reserved, ProductsReserved)
    assert reserved.reservation_id == reservation_id and reserved.aggregate_version == 1
    assert {(line.product_id, line.quantity) for line in reserved.lines} == {
        (a.product_id, 2),
        (b.product_id, 2),
    }
    stored = await inventory.reservation(reservation_id)
    assert stored.status is ReservationStatus.HELD
    await inventory.assert_ledger_explains(a)


async def test_a_short_line_reserves_nothing(inventory: Inventory) -> None:
    # The short product comes later in lock (product id) order: the first line is reserved
    # before the second fails, and must be undone.
    plenty, short = sorted(
        [await inventory.product("A"), await inventory.product("B")], key=lambda p: p.product_id
    )
    await inventory.receive(plenty, 5)
    await inventory.receive(short, 1)
    mark = inventory.mark()

    reservation_id, result = await inventory.reserve((short, 2), (plenty, 2))

    assert result == ReservationResult(
        reserved=False, reason=f"not enough {short.sku}: 2 requested, 1 available"
    )
    for product in (plenty, short):
        item = await inventory.stock(product)
        assert (item.reserved, item.version) == (0, 1)
    [failed] = inventory.since(mark)
    assert isinstance(failed, ProductsReservationFailed)
    assert failed.reason == result.reason and failed.reservation_id == reservation_id
    assert (await inventory.reservation(reservation_id)).status is ReservationStatus.FAILED
    await inventory.assert_ledger_explains(plenty)


async def test_unknown_or_unstocked_products_fail_the_reservation(inventory: Inventory) -> None:
    stocked_elsewhere = await inventory.product("W", stock=10, at=WAREHOUSE)
    _, result = await inventory.reserve((stocked_elsewhere, 1))
    assert not result.reserved and "not stocked" in (result.reason or "")

    ghost = Product(
        product_id=new_id(),
        sku="GHOST",
        name="Ghost",
        unit="box",
        price=Money.of("1.00", "EUR"),
        created_at=inventory.clock.now(),
        updated_at=inventory.clock.now(),
    )
    _, result = await inventory.reserve((ghost, 1))
    assert not result.reserved and "unknown product" in (result.reason or "")


async def test_exactly_the_available_stock_can_be_reserved(inventory: Inventory) -> None:
    product = await inventory.product("P", stock=3)

    _, too_many = await inventory.reserve((product, 4))
    _, exactly = await inventory.reserve((product, 3))
    _, one_more = await inventory.reserve((product, 1))

    assert (too_many.reserved, exactly.reserved, one_more.reserved) == (False, True, False)
    assert too_many.reason == "not enough P: 4 requested, 3 available"
    item = await inventory.stock(product)
    assert (item.on_hand, item.reserved, item.available) == (3, 3, 0)


async def test_a_repeat_answers_the_first_outcome_and_changes_nothing(
    inventory: Inventory,
) -> None:
    product = await inventory.product("P", stock=3)
    reserved_id, first = await inventory.reserve((product, 2))
    failed_id, failure = await inventory.reserve((product, 5))
    await inventory.receive(product, 10)  # now a fresh request for 5 would succeed
    mark, version = inventory.mark(), (await inventory.stock(product)).version

    _, again = await inventory.reserve((product, 2), reservation_id=reserved_id)
    _, failed_again = await inventory.reserve((product, 5), reservation_id=failed_id)

    assert (again, failed_again) == (first, failure)
    assert inventory.since(mark) == []
    item = await inventory.stock(product)
    assert (item.reserved, item.version) == (2, version)


async def test_concurrent_reservations_never_oversell(inventory: Inventory) -> None:
    product = await inventory.product("P", stock=5)

    results = await asyncio.gather(*(inventory.reserve((product, 1)) for _ in range(12)))

    assert sum(result.reserved for _, result in results) == 5
    item = await inventory.stock(product)
    assert (item.on_hand, item.reserved, item.available) == (5, 5, 0)
    await inventory.assert_ledger_explains(product)


async def test_releasing_is_idempotent(inventory: Inventory) -> None:
    product = await inventory.product("P", stock=3)
    reservation_id, _ = await inventory.reserve((product, 2))
    mark = inventory.mark()

    assert await inventory.bus.execute(
        ReleaseReservation(reservation_id=reservation_id, reason="booking cancelled")
    )
    assert not await inventory.bus.execute(
        ReleaseReservation(reservation_id=reservation_id, reason="booking cancelled")
    )
    assert not await inventory.bus.execute(
        ReleaseReservation(reservation_id=new_id(), reason="never reserved")
    )

    changed, released = inventory.since(mark)
    assert isinstance(changed, StockChanged) and changed.reason == "release"
    assert (changed.reserved, changed.available, changed.aggregate_version) == (0, 3, 3)
    assert isinstance(released, ProductsReleased)
    assert (released.aggregate_version, released.reason) == (2, "booking cancelled")
    stored = await inventory.reservation(reservation_id)
    assert (stored.status, stored.version) == (ReservationStatus.RELEASED, 2)
    # The answer to a repeated request is still its first outcome.
    _, repeat = await inventory.reserve((product, 2), reservation_id=reservation_id)
    assert repeat.reserved and (await inventory.stock(product)).reserved == 0
    await inventory.assert_ledger_explains(product)


async def test_a_failed_reservation_has_nothing_to_release(inventory: Inventory) -> None:
    product = await inventory.product("P", stock=1)
    reservation_id, result = await inventory.reserve((product, 2))
    assert not result.reserved
    mark = inventory.mark()

    assert not await inventory.bus.execute(
        ReleaseReservation(reservation_id=reservation_id, reason="saga compensates")
    )
    assert inventory.since(mark) == []


async def test_reservations_past_their_expiry_are_released(inventory: Inventory) -> None:
    product = await inventory.product("P", stock=5)
    soon, _ = await inventory.reserve((product, 2), minutes=10)
    later, _ = await inventory.reserve((product, 1), minutes=30)
    released_early, _ = await inventory.reserve((product, 1), minutes=5)
    await inventory.bus.execute(ReleaseReservation(reservation_id=released_early, reason="x"))
    inventory.clock.advance(timedelta(minutes=10))
    mark = inventory.mark()

    expired = await inventory.bus.execute(ExpireReservations(now=inventory.clock.now()))

    assert expired == 1
    assert (await inventory.reservation(soon)).status is ReservationStatus.EXPIRED
    assert (await inventory.reservation(later)).status is ReservationStatus.HELD
    assert (await inventory.stock(product)).reserved == 1
    released = [e for e in inventory.since(mark) if isinstance(e, ProductsReleased)]
    assert [(e.reservation_id, e.reason) for e in released] == [(soon, "expired")]
    assert await inventory.bus.execute(ExpireReservations(now=inventory.clock.now())) == 0


async def test_expiry_works_in_batches(inventory: Inventory) -> None:
    product = await inventory.product("P", stock=5)
    for _ in range(5):
        await inventory.reserve((product, 1), minutes=1)
    inventory.clock.advance(timedelta(minutes=1))
    now = inventory.clock.now()

    assert await inventory.bus.execute(ExpireReservations(now=now, limit=2)) == 2
    assert await inventory.bus.execute(ExpireReservations(now=now, limit=10)) == 3
    assert (await inventory.stock(product)).reserved == 0


async def test_fulfilling_a_reservation_sells_the_reserved_units(inventory: Inventory) -> None:
    product = await inventory.product("P", stock=5)
    reservation_id, _ = await inventory.reserve((product, 2))

    fulfilled = await inventory.bus.execute(FulfilReservation(reservation_id=reservation_id))
    again = await inventory.bus.execute(FulfilReservation(reservation_id=reservation_id))

    assert fulfilled.status is ReservationStatus.FULFILLED and again == fulfilled
    item = await inventory.stock(product)
    assert (item.on_hand, item.reserved, item.available) == (3, 0, 3)
    assert inventory.events(StockChanged)[-1].reason == "sale"
    assert not await inventory.bus.execute(
        ReleaseReservation(reservation_id=reservation_id, reason="too late")
    )
    released_id, _ = await inventory.reserve((product, 1))
    await inventory.bus.execute(ReleaseReservation(reservation_id=released_id, reason="x"))
    with pytest.raises(ReservationNotHeld):
        await inventory.bus.execute(FulfilReservation(reservation_id=released_id))
    async with InMemoryInventoryUnitOfWork(inventory.store) as uow:
        ledger = await uow.stock.movements(item.stock_item_id)
    assert [m.kind for m in ledger] == [
        MovementKind.RECEIPT,
        MovementKind.RESERVATION,
        MovementKind.SALE,
        MovementKind.RESERVATION,
        MovementKind.RELEASE,
    ]
    await inventory.assert_ledger_explains(product)


async def test_malformed_requests_are_refused(inventory: Inventory) -> None:
    product = await inventory.product("P", stock=5)
    line = ReservationLine(product_id=product.product_id, quantity=1)
    request: dict[str, Any] = {
        "reservation_id": new_id(),
        "location_id": CLINIC,
        "lines": (line,),
        "expires_at": inventory.clock.now() + timedelta(minutes=5),
        "reference": "booking:1",
    }
    for changed in (
        {"lines": ()},
        {"lines": (line, line)},
        {"expires_at": inventory.clock.now()},
        {"expires_at": inventory.clock.now().replace(tzinfo=None)},
        {"reference": "  "},
    ):
        with pytest.raises(InvalidInput):
            await inventory.bus.execute(ReserveProducts(**{**request, **changed}))
    assert (await inventory.stock(product)).reserved == 0
