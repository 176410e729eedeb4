"""Contract of the inventory ports (products, stock and its ledger, reservations, the unit of
work) and of the handlers on them, run against every adapter: memory, SQLite, PostgreSQL.

The in-memory adapter is the reference; the SQL one checks the stock rule in a conditional
update. Both must answer the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from adapters.memory.inventory import InMemoryInventoryUnitOfWork, in_memory_inventory_store
from adapters.sql.database import SqlDatabase
from adapters.sql.inventory.unit_of_work import SqlInventoryUnitOfWork
from petpro_core.contracts.inventory import ReservationLine
from petpro_core.inventory.commands import (
    CreateProduct,
    CreateWarehouse,
    ExpireReservations,
    GetStock,
    ReceiveStock,
    ReleaseReservation,
    ReservationResult,
    ReserveProducts,
)
from petpro_core.inventory.domain.errors import SkuAlreadyUsed
from petpro_core.inventory.domain.locations import Location, LocationKind
from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.domain.reservations import Reservation, ReservationStatus
from petpro_core.inventory.domain.stock import MovementKind, StockChange, StockItem
from petpro_core.inventory.handlers import InventoryDependencies, InventoryHandlers
from petpro_core.inventory.ports import (
    DuplicateReservation,
    InventoryUnitOfWork,
    StaleReservation,
)
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money

T0 = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
CLINIC = UUID("00000000-0000-4000-8000-00000000c111")
ADMIN = Actor(user_id=new_id(), roles=frozenset({"admin"}))

UnitOfWorkFactory = Callable[[], InventoryUnitOfWork]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uow(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    """A zero-arg factory of fresh units of work on one store (memory, SQLite, PostgreSQL)."""
    if request.param == "memory":
        store = in_memory_inventory_store()
        return lambda: InMemoryInventoryUnitOfWork(store)
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    database: SqlDatabase = request.getfixturevalue(fixture)
    return lambda: SqlInventoryUnitOfWork(database)


def a_product(sku: str = "FLEA-10", **fields: object) -> Product:
    defaults: dict[str, object] = {
        "product_id": new_id(),
        "name": "Flea drops ✓",
        "unit": "box of 3",
        "price": Money.of("19.95", "EUR"),
        "category_id": new_id(),
        "species": ("dog", "cat"),
        "created_at": T0,
        "updated_at": T0,
    }
    return Product(sku=sku, **{**defaults, **fields})  # type: ignore[arg-type]


def an_empty_item(product: Product, location_id: UUID = CLINIC) -> StockItem:
    return StockItem(
        stock_item_id=new_id(),
        product_id=product.product_id,
        location_id=location_id,
        updated_at=T0,
    )


async def stocked(uow: UnitOfWorkFactory, on_hand: int, sku: str = "P1") -> StockItem:
    product = a_product(sku)
    async with uow() as unit:
        await unit.products.add(product)
        item = await unit.stock.ensure(an_empty_item(product))
        after = await unit.stock.apply(
            item.stock_item_id, StockChange.receipt(on_hand, "d1"), movement_id=new_id(), at=T0
        )
        await unit.commit()
    assert after is not None
    return after


def a_reservation(
    *lines: tuple[UUID, int], status: ReservationStatus = ReservationStatus.HELD, **fields: object
) -> Reservation:
    defaults: dict[str, object] = {
        "reservation_id": new_id(),
        "location_id": CLINIC,
        "reference": "booking:1",
        "expires_at": T0 + timedelta(minutes=15),
        "created_at": T0,
        "updated_at": T0,
    }
    if status is ReservationStatus.FAILED:
        defaults["failure_reason"] = "not enough P1"
    return Reservation(
        lines=tuple(ReservationLine(product_id=p, quantity=q) for p, q in lines),
        status=status,
        **{**defaults, **fields},  # type: ignore[arg-type]
    )


# --- products --------------------------------------------------------------------------------


async def test_products_round_trip_and_skus_are_unique(uow: UnitOfWorkFactory) -> None:
    product = a_product()
    plain = a_product("JPY-1", price=Money.of("500", "JPY"), category_id=None, species=())
    async with uow() as unit:
        await unit.products.add(product)
        await unit.products.add(plain)
        with pytest.raises(SkuAlreadyUsed):
            await unit.products.add(a_product("flea-10"))
        await unit.commit()  # the refused insert spoils nothing else

    async with uow() as unit:
        assert await unit.products.get(product.product_id) == product
        assert await unit.products.get_by_sku("FLEA-10") == product
        assert await unit.products.get_by_sku("NOPE") is None
        missing = new_id()
        many = await unit.products.get_many([product.product_id, plain.product_id, missing])
        assert many == {product.product_id: product, plain.product_id: plain}
        assert await unit.products.get_many([]) == {}


# --- stock and its ledger ----------------------------------------------------------------------


async def test_ensure_creates_an_empty_item_once(uow: UnitOfWorkFactory) -> None:
    product = a_product()
    first, second = an_empty_item(product), an_empty_item(product)
    async with uow() as unit:
        await unit.products.add(product)
        assert await unit.stock.get(product.product_id, CLINIC) is None
        created = await unit.stock.ensure(first)
        again = await unit.stock.ensure(second)
        await unit.commit()

    assert created == again == first
    assert (created.on_hand, created.reserved, created.version) == (0, 0, 0)
    async with uow() as unit:
        assert await unit.stock.get(product.product_id, CLINIC) == first
        assert await unit.stock.movements(first.stock_item_id) == []


async def test_changes_apply_only_within_the_rule(uow: UnitOfWorkFactory) -> None:
    item = await stocked(uow, 5)
    reservation_id = new_id()
    at = T0 + timedelta(seconds=1)
    async with uow() as unit:

        async def apply(change: StockChange) -> StockItem | None:
            return await unit.stock.apply(item.stock_item_id, change, movement_id=new_id(), at=at)

        reserved = await apply(StockChange.reservation(3, reservation_id, "booking:1"))
        assert reserved is not None
        assert (reserved.on_hand, reserved.reserved, reserved.version) == (5, 3, 2)
        assert reserved.updated_at == at
        # Each refused change leaves the numbers (and the version) as they were.
        assert await apply(StockChange.reservation(3, new_id(), "booking:2")) is None
        assert await apply(StockChange.adjustment(-3, "broken")) is None
        assert await apply(StockChange.release(4, reservation_id, "booking:1", "x")) is None
        assert await apply(StockChange.sale_of_reserved(4, reservation_id, "x")) is None
        assert (
            await unit.stock.apply(
                new_id(), StockChange.receipt(1, None), movement_id=new_id(), at=at
            )
            is None
        )
        exactly = await apply(StockChange.reservation(2, new_id(), "booking:3"))
        assert exactly is not None and (exactly.available, exactly.version) == (0, 3)
        await unit.commit()

    async with uow() as unit:
        stored = await unit.stock.get(item.product_id, CLINIC)
        ledger = await unit.stock.movements(item.stock_item_id)
    assert stored == exactly
    assert [(m.kind, m.on_hand_delta, m.reserved_delta, m.stock_version) for m in ledger] == [
        (MovementKind.RECEIPT, 5, 0, 1),
        (MovementKind.RESERVATION, 0, 3, 2),
        (MovementKind.RESERVATION, 0, 2, 3),
    ]
    second = ledger[1]
    assert (second.reservation_id, second.reference, second.reason) == (
        reservation_id,
        "booking:1",
        None,
    )
    assert (second.product_id, second.location_id, second.occurred_at) == (
        item.product_id,
        CLINIC,
        at,
    )


async def test_every_kind_of_movement_round_trips(uow: UnitOfWorkFactory) -> None:
    item = await stocked(uow, 10)
    reservation_id = new_id()
    changes = [
        StockChange.adjustment(-1, "dropped a box"),
        StockChange.reservation(4, reservation_id, "order:7"),
        StockChange.release(1, reservation_id, "order:7", "line removed"),
        StockChange.sale_of_reserved(3, reservation_id, "order:7"),
        StockChange(kind=MovementKind.RETURN, on_hand_delta=2, reserved_delta=0, reference="r"),
    ]
    async with uow() as unit:
        for change in changes:
            assert (
                await unit.stock.apply(item.stock_item_id, change, movement_id=new_id(), at=T0)
                is not None
            )
        await unit.commit()

    async with uow() as unit:
        stored = await unit.stock.get(item.product_id, CLINIC)
        ledger = await unit.stock.movements(item.stock_item_id)
    assert stored is not None
    assert (stored.on_hand, stored.reserved, stored.version) == (8, 0, 6)
    assert [m.kind for m in ledger[1:]] == [c.kind for c in changes]
    assert ledger[1].reason == "dropped a box" and ledger[3].reason == "line removed"
    assert sum(m.on_hand_delta for m in ledger) == stored.on_hand
    assert sum(m.reserved_delta for m in ledger) == stored.reserved


async def test_changes_not_committed_are_discarded(uow: UnitOfWorkFactory) -> None:
    item = await stocked(uow, 5)
    async with uow() as unit:
        await unit.stock.apply(
            item.stock_item_id, StockChange.adjustment(3, "found"), movement_id=new_id(), at=T0
        )
        await unit.rollback()
        # The unit of work goes on after a rollback, from the committed state.
        assert await unit.stock.get(item.product_id, CLINIC) == item
    async with uow() as unit:
        await unit.stock.apply(
            item.stock_item_id, StockChange.adjustment(3, "found"), movement_id=new_id(), at=T0
        )  # and leaving without commit drops it too
    async with uow() as unit:
        assert await unit.stock.get(item.product_id, CLINIC) == item
        assert len(await unit.stock.movements(item.stock_item_id)) == 1


async def test_stock_at_a_location_is_listed_by_product(uow: UnitOfWorkFactory) -> None:
    products = [a_product(f"P{i}") for i in range(4)]
    elsewhere = new_id()
    async with uow() as unit:
        for product in products:
            await unit.products.add(product)
            await unit.stock.ensure(an_empty_item(product))
        await unit.stock.ensure(an_empty_item(products[0], elsewhere))
        await unit.commit()

    async with uow() as unit:
        listed = await unit.stock.list_at(CLINIC)
        assert [i.product_id for i in listed] == sorted(p.product_id for p in products)
        assert [i.location_id for i in await unit.stock.list_at(elsewhere)] == [elsewhere]
        assert await unit.stock.list_at(new_id()) == []


# --- reservations --------------------------------------------------------------------------


async def test_reservations_round_trip_with_sorted_lines(uow: UnitOfWorkFactory) -> None:
    low, high = UUID(int=1), UUID(int=2**127)
    held = a_reservation((high, 2), (low, 1))
    failed = a_reservation((low, 9), status=ReservationStatus.FAILED)
    async with uow() as unit:
        await unit.reservations.add(held)
        await unit.reservations.add(failed)
        with pytest.raises(DuplicateReservation):
            await unit.reservations.add(replace(held, reference="booking:other"))
        await unit.commit()

    async with uow() as unit:
        assert await unit.reservations.get(held.reservation_id) == held
        assert await unit.reservations.get(failed.reservation_id) == failed
        assert await unit.reservations.get(new_id()) is None
    assert [line.product_id for line in held.lines] == [low, high]


async def test_saving_checks_the_version(uow: UnitOfWorkFactory) -> None:
    held = a_reservation((new_id(), 1))
    async with uow() as unit:
        await unit.reservations.add(held)
        await unit.commit()
    released, _ = held.release("cancelled", T0 + timedelta(minutes=1))

    async with uow() as unit:
        await unit.reservations.save(released)
        with pytest.raises(StaleReservation):
            await unit.reservations.save(released)  # a second writer of version 2
        with pytest.raises(StaleReservation):
            await unit.reservations.save(replace(released, reservation_id=new_id()))
        await unit.commit()

    async with uow() as unit:
        assert await unit.reservations.get(held.reservation_id) == released


async def test_due_lists_held_reservations_past_expiry_soonest_first(
    uow: UnitOfWorkFactory,
) -> None:
    def expiring(minutes: int, **fields: Any) -> Reservation:
        return a_reservation((new_id(), 1), expires_at=T0 + timedelta(minutes=minutes), **fields)

    late, early, middle, future = expiring(9), expiring(1), expiring(5), expiring(60)
    failed = expiring(0, status=ReservationStatus.FAILED)
    async with uow() as unit:
        for reservation in (late, early, middle, future, failed):
            await unit.reservations.add(reservation)
        released, _ = expiring(2).release("x", T0)
        await unit.reservations.add(replace(released, version=1))
        await unit.commit()

    now = T0 + timedelta(minutes=9)
    async with uow() as unit:
        assert await unit.reservations.due(now, 10) == [
            early.reservation_id,
            middle.reservation_id,
            late.reservation_id,
        ]
        assert await unit.reservations.due(now, 2) == [early.reservation_id, middle.reservation_id]
        assert await unit.reservations.due(T0, 10) == []


# --- the handlers on each store -------------------------------------------------------------


def _bus(uow: UnitOfWorkFactory, clock: FixedClock) -> MessageBus:
    bus = MessageBus()
    InventoryHandlers(InventoryDependencies(uow=uow, clock=clock)).register(bus)
    return bus


async def test_reservations_through_the_handlers(uow: UnitOfWorkFactory) -> None:
    clock = FixedClock(T0)
    bus = _bus(uow, clock)
    await bus.execute(CreateWarehouse(actor=ADMIN, name="Depot"))
    async with uow() as unit:  # the clinic, as its clinic.created event makes it known
        await unit.locations.put_clinic(
            Location(location_id=CLINIC, kind=LocationKind.CLINIC, name="Clinic", updated_at=T0)
        )
        await unit.commit()
    # B (the short one) comes later in lock order: A's line is reserved, then undone.
    a, b = sorted(
        [
            await bus.execute(
                CreateProduct(
                    actor=ADMIN, sku=sku, name=sku, unit="u", price=Money.of("1.00", "EUR")
                )
            )
            for sku in ("A", "B")
        ],
        key=lambda product: product.product_id,
    )
    for product, quantity in ((a, 5), (b, 1)):
        await bus.execute(
            ReceiveStock(
                actor=ADMIN, product_id=product.product_id, location_id=CLINIC, quantity=quantity
            )
        )

    async def reserve(reservation_id: UUID, quantity_of_b: int) -> ReservationResult:
        result: ReservationResult = await bus.execute(
            ReserveProducts(
                reservation_id=reservation_id,
                location_id=CLINIC,
                lines=(
                    ReservationLine(product_id=a.product_id, quantity=2),
                    ReservationLine(product_id=b.product_id, quantity=quantity_of_b),
                ),
                expires_at=T0 + timedelta(minutes=15),
                reference=f"booking:{reservation_id}",
            )
        )
        return result

    async def available() -> tuple[int, int]:
        items = [
            await bus.execute(GetStock(actor=ADMIN, product_id=p.product_id, location_id=CLINIC))
            for p in (a, b)
        ]
        return items[0].available, items[1].available

    short, held = new_id(), new_id()
    assert not (await reserve(short, 2)).reserved
    assert await available() == (5, 1)
    assert await reserve(held, 1) == ReservationResult(reserved=True)
    assert await available() == (3, 0)
    assert await reserve(held, 1) == ReservationResult(reserved=True)  # a repeat
    assert not (await reserve(short, 1)).reserved  # the first outcome, though B would do now
    assert await available() == (3, 0)

    assert await bus.execute(ReleaseReservation(reservation_id=held, reason="cancelled"))
    assert not await bus.execute(ReleaseReservation(reservation_id=held, reason="cancelled"))
    assert await available() == (5, 1)

    expiring = new_id()
    assert (await reserve(expiring, 1)).reserved
    clock.advance(timedelta(minutes=15))
    assert await bus.execute(ExpireReservations(now=clock.now())) == 1
    assert await available() == (5, 1)
    async with uow() as unit:
        stored = await unit.reservations.get(expiring)
    assert stored is not None and stored.status is ReservationStatus.EXPIRED


# --- the catalogue: product updates and lists, categories, locations ------------------------


async def test_products_are_saved_by_version_and_found_by_filters(uow: UnitOfWorkFactory) -> None:
    from petpro_core.inventory.domain.errors import StaleProduct
    from petpro_core.inventory.domain.products import ProductFilter
    from petpro_core.shared.pagination import PageRequest

    food, toys = new_id(), new_id()
    cat = a_product("KIBBLE-CAT", name="Cat kibble", species=("cat",), category_id=food)
    dog = a_product("KIBBLE-DOG", name="Dog 100%_kibble", species=("dog",), category_id=food)
    anyone = a_product("WATER-BOWL", name="Bowl", species=(), category_id=toys)
    async with uow() as unit:
        for product in (dog, anyone, cat):
            await unit.products.add(product)
        changed, _ = cat.updated(
            name="Cat kibble XL",
            unit="bag",
            price=Money.of("30.00", "EUR"),
            category_id=toys,
            species=("cat", "kitten"),
            active=False,
            now=T0 + timedelta(minutes=1),
        )
        await unit.products.save(changed)
        with pytest.raises(StaleProduct):
            await unit.products.save(changed)  # its version is no longer one ahead
        await unit.commit()

    async with uow() as unit:
        assert await unit.products.get(cat.product_id) == changed

        async def skus(page: PageRequest | None = None, **where: Any) -> tuple[list[str], int]:
            found = await unit.products.find(ProductFilter(**where), page or PageRequest())
            return [p.sku for p in found.items], found.total

        assert await skus() == (["KIBBLE-CAT", "KIBBLE-DOG", "WATER-BOWL"], 3)
        assert await skus(category_ids=frozenset({toys})) == (["KIBBLE-CAT", "WATER-BOWL"], 2)
        assert await skus(category_ids=frozenset()) == ([], 0)
        assert await skus(species="dog") == (["KIBBLE-DOG", "WATER-BOWL"], 2)
        assert await skus(species="kitten", active=False) == (["KIBBLE-CAT"], 1)
        assert await skus(active=True) == (["KIBBLE-DOG", "WATER-BOWL"], 2)
        assert await skus(text="kibble") == (["KIBBLE-CAT", "KIBBLE-DOG"], 2)
        assert await skus(text="%_k") == (["KIBBLE-DOG"], 1)  # wildcards are literal
        assert await skus(text="bowl") == (["WATER-BOWL"], 1)
        assert await skus(PageRequest(limit=1, offset=1)) == (["KIBBLE-DOG"], 3)


async def test_category_names_are_unique_among_siblings(uow: UnitOfWorkFactory) -> None:
    from petpro_core.inventory.domain.categories import Category
    from petpro_core.inventory.domain.errors import CategoryNameTaken
    from petpro_core.inventory.ports import StaleCategory

    food = Category(category_id=new_id(), name="Food", created_at=T0, updated_at=T0)
    dry = Category(
        category_id=new_id(), name="Dry", parent_id=food.category_id, created_at=T0, updated_at=T0
    )
    top_dry = Category(category_id=new_id(), name="dry", created_at=T0, updated_at=T0)
    async with uow() as unit:
        await unit.categories.add(food)
        await unit.categories.add(dry)
        await unit.categories.add(top_dry)
        with pytest.raises(CategoryNameTaken):
            await unit.categories.add(
                Category(
                    category_id=new_id(),
                    name="DRY",
                    parent_id=food.category_id,
                    created_at=T0,
                    updated_at=T0,
                )
            )
        with pytest.raises(CategoryNameTaken):  # moving the top "dry" next to "Dry"
            await unit.categories.save(
                top_dry.changed(name="dry", parent_id=food.category_id, now=T0)
            )
        renamed = dry.changed(name="Dry food", parent_id=food.category_id, now=T0)
        await unit.categories.save(renamed)
        with pytest.raises(StaleCategory):
            await unit.categories.save(renamed)
        await unit.commit()  # the refused changes spoil nothing else

    async with uow() as unit:
        assert await unit.categories.get(dry.category_id) == renamed
        assert await unit.categories.get(new_id()) is None
        assert await unit.categories.list_all() == [top_dry, renamed, food]


async def test_clinic_locations_only_move_forward(uow: UnitOfWorkFactory) -> None:
    from petpro_core.inventory.domain.locations import Location, LocationKind

    staff = new_id()

    def clinic(version: int, *members: UUID) -> Location:
        return Location(
            location_id=CLINIC,
            kind=LocationKind.CLINIC,
            name=f"Clinic v{version}",
            staff=frozenset(members),
            version=version,
            updated_at=T0 + timedelta(minutes=version),
        )

    warehouse = Location(
        location_id=new_id(), kind=LocationKind.WAREHOUSE, name="A depot", updated_at=T0
    )
    async with uow() as unit:
        assert await unit.locations.put_clinic(clinic(2, staff))
        assert not await unit.locations.put_clinic(clinic(1))
        assert not await unit.locations.put_clinic(clinic(2))
        await unit.locations.add(warehouse)
        await unit.commit()
    async with uow() as unit:
        assert await unit.locations.get(CLINIC) == clinic(2, staff)
        assert await unit.locations.put_clinic(clinic(3))
        await unit.commit()
    async with uow() as unit:
        assert await unit.locations.list_all() == [warehouse, clinic(3)]
        assert await unit.locations.get(new_id()) is None


# --- reorder policy, on order, the low flag, incoming orders ----------------------------------


async def test_the_low_flag_flips_once_per_crossing(uow: UnitOfWorkFactory) -> None:
    from petpro_core.inventory.domain.stock import ReorderPolicy

    item = await stocked(uow, 5)
    at = T0 + timedelta(minutes=1)
    async with uow() as unit:
        assert await unit.stock.mark_low(item.stock_item_id) is None  # no policy: never low
        policy = ReorderPolicy(threshold=4, reorder_quantity=10, needed_within_days=2)
        with_policy = await unit.stock.set_policy(item.stock_item_id, policy, at=at)
        assert (with_policy.policy, with_policy.is_low, with_policy.updated_at) == (
            policy,
            False,
            at,
        )
        assert await unit.stock.mark_low(item.stock_item_id) is None  # 5 > 4: not low
        taken = await unit.stock.apply(
            item.stock_item_id, StockChange.adjustment(-1, "broken"), movement_id=new_id(), at=at
        )
        assert taken is not None and taken.is_low and not taken.low_reported
        flipped = await unit.stock.mark_low(item.stock_item_id)
        assert flipped is not None and flipped.low_reported and flipped.available == 4
        assert await unit.stock.mark_low(item.stock_item_id) is None  # once
        assert not await unit.stock.clear_low(item.stock_item_id)  # still low
        on_order = await unit.stock.add_on_order(item.stock_item_id, 3, at=at)
        assert (on_order.on_order, on_order.is_low, on_order.low_reported) == (3, False, True)
        assert await unit.stock.clear_low(item.stock_item_id)
        assert not await unit.stock.clear_low(item.stock_item_id)
        back = await unit.stock.add_on_order(item.stock_item_id, -3, at=at)
        assert back.is_low and not back.low_reported
        await unit.commit()

    async with uow() as unit:
        stored = await unit.stock.get(item.product_id, CLINIC)
        assert stored == back
        again = await unit.stock.mark_low(item.stock_item_id)  # a new crossing
        assert again is not None and again.low_reported
        # The policy and the flag are listed with the item.
        [listed] = await unit.stock.list_at(CLINIC)
        assert listed == again


async def test_incoming_orders_are_inserted_once_and_listed_open(uow: UnitOfWorkFactory) -> None:
    from datetime import date

    from petpro_core.inventory.domain.incoming import IncomingOrder

    item = await stocked(uow, 1)
    first = IncomingOrder(
        purchase_order_id=new_id(),
        product_id=item.product_id,
        location_id=CLINIC,
        quantity_ordered=10,
        version=1,
        expected_on=date(2026, 3, 9),
        updated_at=T0,
    )
    second = replace(first, purchase_order_id=new_id(), expected_on=date(2026, 3, 5))
    async with uow() as unit:
        assert await unit.incoming_orders.add(first)
        assert not await unit.incoming_orders.add(replace(first, quantity_ordered=99))
        assert await unit.incoming_orders.add(second)
        await unit.commit()
    received = first.received(4, close=False, version=4, now=T0 + timedelta(hours=1))
    closed = second.received(10, close=True, version=5, now=T0 + timedelta(hours=2))
    async with uow() as unit:
        assert await unit.incoming_orders.get(first.purchase_order_id) == first
        await unit.incoming_orders.save(received)
        assert await unit.incoming_orders.open_for(item.product_id, CLINIC) == [second, received]
        await unit.incoming_orders.save(closed)
        await unit.commit()
    async with uow() as unit:
        assert await unit.incoming_orders.get(second.purchase_order_id) == closed
        assert await unit.incoming_orders.open_for(item.product_id, CLINIC) == [received]
        assert received.outstanding == 6 and closed.outstanding == 0
        assert await unit.incoming_orders.get(new_id()) is None
