"""Contract of the CustomerOrderRepository port (and of the customer-order handlers on it),
run against every adapter: memory, SQLite, PostgreSQL. The in-memory adapter is the
reference; the SQL one also refuses impossible rows with CHECK constraints."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from adapters.memory.inventory import InMemoryInventoryUnitOfWork, in_memory_inventory_store
from adapters.payments.fake_gateway import FakePaymentGateway
from adapters.sql.database import SqlDatabase
from adapters.sql.inventory.customer_order_tables import customer_order_lines, customer_orders
from adapters.sql.inventory.unit_of_work import SqlInventoryUnitOfWork
from petpro_core.inventory.commands import CreateProduct, ReceiveStock
from petpro_core.inventory.customer_order_commands import (
    AdvancePendingCustomerOrders,
    CancelCustomerOrder,
    ExpireUncollectedOrders,
    FulfilCustomerOrder,
    PlaceCustomerOrder,
    RequestedLine,
)
from petpro_core.inventory.customer_orders import (
    CustomerOrderDependencies,
    CustomerOrderHandlers,
)
from petpro_core.inventory.domain.customer_orders import (
    CancellingParty,
    CustomerOrder,
    CustomerOrderStatus,
    FailureKind,
    OrderLine,
    OutOfStock,
    PaymentState,
)
from petpro_core.inventory.domain.locations import Location, LocationKind
from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.domain.stock import MovementKind
from petpro_core.inventory.handlers import InventoryDependencies, InventoryHandlers
from petpro_core.inventory.ports import (
    DuplicateCustomerOrder,
    InventoryUnitOfWork,
    StaleCustomerOrder,
)
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import PageRequest

T0 = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
CLINIC = UUID("00000000-0000-4000-8000-00000000c111")
OTHER_CLINIC = UUID("00000000-0000-4000-8000-00000000c222")
ADMIN = Actor(user_id=new_id(), roles=frozenset({"admin"}))
OWNER = Actor(user_id=new_id(), roles=frozenset({"pet_owner"}))
STAFF = Actor(user_id=new_id(), roles=frozenset({"clinic_staff"}))

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


def a_line(sku: str = "FOOD", quantity: int = 2, price: str = "12.50") -> OrderLine:
    return OrderLine(
        product_id=new_id(),
        sku=sku,
        name=f"Product {sku} ✓",
        quantity=quantity,
        unit_price=Money.of(price, "EUR"),
    )


def an_order(*lines: OrderLine, **fields: object) -> CustomerOrder:
    order = CustomerOrder.pending(
        customer_order_id=new_id(),
        customer_id=OWNER.user_id,
        location_id=CLINIC,
        lines=lines or (a_line(), a_line("DROPS", 1, "3.20")),
        payment_token="tok_visa",
        pick_up_by=T0 + timedelta(days=7),
        payment_deadline=T0 + timedelta(minutes=15),
        now=T0,
    )
    return replace(order, **fields)  # type: ignore[arg-type]


# --- the repository ----------------------------------------------------------------------------


async def test_orders_round_trip_through_their_life(uow: UnitOfWorkFactory) -> None:
    order = an_order()
    async with uow() as unit:
        await unit.customer_orders.add(order)
        await unit.commit()
    async with uow() as unit:
        assert await unit.customer_orders.get(order.customer_order_id) == order
        assert await unit.customer_orders.get(new_id()) is None

    placed, _ = order.charged(T0 + timedelta(seconds=1), "ch_1_37.20_EUR")
    cancelled, _ = placed.cancel(T0 + timedelta(hours=1), CancellingParty.STAFF, "no longer ✓")
    refunded = cancelled.refunded(T0 + timedelta(hours=2), "re_1")
    for following in (placed, cancelled, refunded):
        async with uow() as unit:
            await unit.customer_orders.save(following)
            await unit.commit()
        async with uow() as unit:
            assert await unit.customer_orders.get(order.customer_order_id) == following
    assert refunded.refund == Money.of("28.20", "EUR")


async def test_every_failed_and_retried_shape_round_trips(uow: UnitOfWorkFactory) -> None:
    shapes = [
        an_order().out_of_stock("not enough FOOD"),
        an_order().declined(T0, "card declined"),
        an_order().gave_up(T0).charge_resolved(T0, "ch_2_1_EUR"),
        an_order().retry_later(T0, T0 + timedelta(seconds=4)),
    ]
    async with uow() as unit:
        for shape in shapes:
            await unit.customer_orders.add(shape)
        await unit.commit()
    async with uow() as unit:
        for shape in shapes:
            assert await unit.customer_orders.get(shape.customer_order_id) == shape


async def test_ids_are_unique_and_saves_are_optimistic(uow: UnitOfWorkFactory) -> None:
    order = an_order()
    async with uow() as unit:
        await unit.customer_orders.add(order)
        await unit.commit()
    async with uow() as unit:
        with pytest.raises(DuplicateCustomerOrder):
            await unit.customer_orders.add(replace(order, customer_id=new_id()))
    placed, _ = order.charged(T0, "ch_1")
    declined = order.declined(T0, "card declined")
    async with uow() as unit:
        await unit.customer_orders.save(placed)
        await unit.commit()
    async with uow() as unit:  # built from the same version: the second one loses
        with pytest.raises(StaleCustomerOrder):
            await unit.customer_orders.save(declined)
        with pytest.raises(StaleCustomerOrder):
            await unit.customer_orders.save(an_order().charged(T0, "ch_x")[0])  # unknown id
    async with uow() as unit:
        assert await unit.customer_orders.get(order.customer_order_id) == placed


async def test_lists_are_per_customer_or_location_newest_first(uow: UnitOfWorkFactory) -> None:
    orders = [
        an_order(created_at=T0 + timedelta(minutes=i), updated_at=T0 + timedelta(minutes=i))
        for i in range(3)
    ]
    elsewhere = an_order(location_id=OTHER_CLINIC, customer_id=new_id())
    failed = an_order(created_at=T0 + timedelta(hours=1)).out_of_stock("short")
    async with uow() as unit:
        for order in [*orders, elsewhere, failed]:
            await unit.customer_orders.add(order)
        await unit.commit()
    async with uow() as unit:
        mine = await unit.customer_orders.list_for_customer(
            OWNER.user_id, PageRequest(limit=2, offset=1)
        )
        here = await unit.customer_orders.list_at(CLINIC, PageRequest())
        failed_here = await unit.customer_orders.list_at(
            CLINIC, PageRequest(), CustomerOrderStatus.FAILED
        )
    assert mine.total == 4
    assert [o.customer_order_id for o in mine.items] == [
        orders[2].customer_order_id,
        orders[1].customer_order_id,
    ]
    assert mine.items[0] == orders[2]  # with its lines
    assert [o.customer_order_id for o in here.items] == [
        failed.customer_order_id,
        *(o.customer_order_id for o in reversed(orders)),
    ]
    assert [o.customer_order_id for o in failed_here.items] == [failed.customer_order_id]


async def test_recovery_and_expiry_find_what_is_due(uow: UnitOfWorkFactory) -> None:
    pending = an_order()  # charging, no next attempt: due
    backing_off = an_order().retry_later(T0, T0 + timedelta(minutes=1))
    placed, _ = an_order().charged(T0, "ch_1")
    late, _ = an_order(pick_up_by=T0 + timedelta(days=1)).charged(T0, "ch_2")
    refunding = placed.cancel(T0, CancellingParty.CUSTOMER, "x")[0]
    refunding = replace(refunding, customer_order_id=new_id(), reservation_id=new_id())
    settled = an_order().out_of_stock("short")
    async with uow() as unit:
        for order in (pending, backing_off, placed, late, refunding, settled):
            await unit.customer_orders.add(order)
        await unit.commit()
    async with uow() as unit:
        due = await unit.customer_orders.payment_due(T0, 10)
        later = await unit.customer_orders.payment_due(T0 + timedelta(minutes=1), 10)
        one = await unit.customer_orders.payment_due(T0 + timedelta(minutes=1), 1)
        uncollected = await unit.customer_orders.uncollected(T0 + timedelta(days=1), 10)
        none_yet = await unit.customer_orders.uncollected(T0, 10)
    assert set(due) == {pending.customer_order_id, refunding.customer_order_id}
    assert set(later) == {*due, backing_off.customer_order_id}
    assert len(one) == 1
    assert uncollected == [late.customer_order_id]
    assert none_yet == []


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> SqlDatabase:
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    db: SqlDatabase = request.getfixturevalue(fixture)
    return db


async def test_the_database_refuses_impossible_orders(database: SqlDatabase) -> None:
    db = database
    order = an_order()
    good = {
        "customer_order_id": order.customer_order_id,
        "customer_id": order.customer_id,
        "location_id": order.location_id,
        "status": "pending_payment",
        "payment": "charging",
        "total_amount": order.total.amount,
        "currency": "EUR",
        "reservation_id": new_id(),
        "pick_up_by": T0,
        "payment_deadline": T0,
        "payment_token": "tok_visa",
        "payment_attempts": 0,
        "created_at": T0,
        "updated_at": T0,
        "version": 1,
    }
    bad_rows: list[dict[str, Any]] = [
        {"status": "shipped"},
        {"payment": "maybe"},
        {"status": "placed"},  # placed but still charging
        {"status": "failed", "payment": "none"},  # failed without a failure kind
        {"status": "cancelled", "payment": "refunding"},  # cancelled by nobody
        {"failure_kind": "out_of_stock"},  # a failure kind on a pending order
        {"version": 0},
    ]
    for changes in bad_rows:
        async with db.engine.connect() as connection:
            row = {**good, **changes, "customer_order_id": new_id(), "reservation_id": new_id()}
            with pytest.raises(IntegrityError):
                await connection.execute(insert(customer_orders).values(row))
    async with db.engine.connect() as connection:
        await connection.execute(insert(customer_orders).values(good))
        with pytest.raises(IntegrityError):
            await connection.execute(
                insert(customer_order_lines).values(
                    customer_order_id=order.customer_order_id,
                    product_id=new_id(),
                    sku="FOOD",
                    name="Food",
                    quantity=0,
                    unit_price_amount=Decimal(1),
                )
            )


# --- the handlers on each store -----------------------------------------------------------------


class Shop:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow
        self.clock = FixedClock(T0)
        self.payments = FakePaymentGateway()
        self.bus = MessageBus()
        InventoryHandlers(InventoryDependencies(uow=uow, clock=self.clock)).register(self.bus)
        CustomerOrderHandlers(
            CustomerOrderDependencies(uow=uow, payments=self.payments, clock=self.clock)
        ).register(self.bus)

    async def setup(self, stock: int) -> Product:
        async with self.uow() as unit:
            await unit.locations.put_clinic(
                Location(
                    location_id=CLINIC,
                    kind=LocationKind.CLINIC,
                    name="Clinic",
                    staff=frozenset({STAFF.user_id}),
                    updated_at=T0,
                )
            )
            await unit.commit()
        product: Product = await self.bus.execute(
            CreateProduct(
                actor=ADMIN, sku="FOOD", name="Food", unit="bag", price=Money.of("12.50", "EUR")
            )
        )
        await self.bus.execute(
            ReceiveStock(
                actor=ADMIN, product_id=product.product_id, location_id=CLINIC, quantity=stock
            )
        )
        return product

    async def place(self, product: Product, quantity: int, token: str = "tok_visa") -> UUID:
        order_id = new_id()
        with contextlib.suppress(OutOfStock):  # a failed order is kept: look at it
            await self.bus.execute(
                PlaceCustomerOrder(
                    actor=OWNER,
                    customer_order_id=order_id,
                    location_id=CLINIC,
                    lines=(RequestedLine(product_id=product.product_id, quantity=quantity),),
                    payment_token=token,
                )
            )
        return order_id

    async def order(self, order_id: UUID) -> CustomerOrder:
        async with self.uow() as unit:
            order = await unit.customer_orders.get(order_id)
        assert order is not None
        return order

    async def stock(self, product: Product) -> tuple[int, int]:
        async with self.uow() as unit:
            item = await unit.stock.get(product.product_id, CLINIC)
        assert item is not None
        return item.on_hand, item.reserved


async def test_the_shop_on_each_store(uow: UnitOfWorkFactory) -> None:
    shop = Shop(uow)
    food = await shop.setup(stock=10)

    collected = await shop.place(food, 3)
    cancelled = await shop.place(food, 2)
    short = await shop.place(food, 6)
    uncollected = await shop.place(food, 1)
    pending = await shop.place(food, 1, token="tok_timeout_after_charge")
    assert await shop.stock(food) == (10, 7)
    assert (await shop.order(short)).failure_kind is FailureKind.OUT_OF_STOCK

    await shop.bus.execute(FulfilCustomerOrder(actor=STAFF, customer_order_id=collected))
    await shop.bus.execute(CancelCustomerOrder(actor=OWNER, customer_order_id=cancelled))
    assert await shop.stock(food) == (7, 2)
    async with uow() as unit:
        item = await unit.stock.get(food.product_id, CLINIC)
        assert item is not None
        ledger = await unit.stock.movements(item.stock_item_id)
    assert [m.reference for m in ledger if m.kind is MovementKind.SALE] == [f"order:{collected}"]

    shop.clock.advance(timedelta(seconds=10))
    assert await shop.bus.execute(AdvancePendingCustomerOrders(now=shop.clock.now())) == 1
    assert (await shop.order(pending)).status is CustomerOrderStatus.PLACED

    shop.clock.advance(timedelta(days=7))
    expired = await shop.bus.execute(ExpireUncollectedOrders(now=shop.clock.now()))
    assert expired == 2  # `uncollected` and `pending`
    gone = await shop.order(uncollected)
    assert (gone.status, gone.payment) == (CustomerOrderStatus.CANCELLED, PaymentState.REFUNDED)
    assert await shop.stock(food) == (7, 0)
    assert len(shop.payments.charges) == 4
    assert len(shop.payments.refunds) == 3
    assert shop.payments.total_charged() - shop.payments.total_refunded() == Decimal("37.50")
