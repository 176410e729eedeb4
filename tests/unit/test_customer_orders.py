"""The shop's customer orders on memory, through the bus, paid through the fake gateway:
placed, declined, short stock, a gateway that times out or fails for a while (recovery with
the same key: one charge), cancellation (one refund), pick-up (a sale), uncollected orders,
and who may see and act on an order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from adapters.memory.inventory import (
    InMemoryInventoryUnitOfWork,
    InventoryState,
    in_memory_inventory_store,
)
from adapters.memory.unit_of_work import InMemoryStore
from adapters.payments.fake_gateway import FakePaymentGateway
from petpro_core.contracts.inventory import (
    CustomerOrderCancelled,
    CustomerOrderFulfilled,
    CustomerOrderPlaced,
)
from petpro_core.inventory.commands import CreateProduct, ReceiveStock
from petpro_core.inventory.customer_order_commands import (
    AdvancePendingCustomerOrders,
    CancelCustomerOrder,
    ExpireUncollectedOrders,
    FulfilCustomerOrder,
    GetCustomerOrder,
    ListCustomerOrders,
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
    CustomerOrderNotCancellable,
    CustomerOrderNotFound,
    CustomerOrderStatus,
    FailureKind,
    OutOfStock,
    PaymentDeclined,
    PaymentState,
    charge_key,
    refund_key,
)
from petpro_core.inventory.domain.errors import LocationNotFound
from petpro_core.inventory.domain.locations import Location, LocationKind
from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.domain.reservations import ReservationStatus
from petpro_core.inventory.domain.stock import MovementKind, StockItem, StockMovement
from petpro_core.inventory.handlers import InventoryDependencies, InventoryHandlers
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.errors import InvalidInput, PermissionDenied
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADMIN = Actor(user_id=new_id(), roles=frozenset({"admin"}))
OWNER = Actor(user_id=new_id(), roles=frozenset({"pet_owner"}))
OTHER_OWNER = Actor(user_id=new_id(), roles=frozenset({"pet_owner"}))
STAFF = Actor(user_id=new_id(), roles=frozenset({"clinic_staff"}))
OTHER_STAFF = Actor(user_id=new_id(), roles=frozenset({"clinic_staff"}))
CLINIC = UUID("00000000-0000-4000-8000-00000000c111")
OTHER_CLINIC = UUID("00000000-0000-4000-8000-00000000c222")
CARD = "tok_visa"


class Shop:
    def __init__(self) -> None:
        self.store: InMemoryStore[InventoryState] = in_memory_inventory_store()
        self.clock = FixedClock(T0)
        self.payments = FakePaymentGateway()
        self.bus = MessageBus()

        def uow() -> InMemoryInventoryUnitOfWork:
            return InMemoryInventoryUnitOfWork(self.store)

        InventoryHandlers(InventoryDependencies(uow=uow, clock=self.clock)).register(self.bus)
        CustomerOrderHandlers(
            CustomerOrderDependencies(uow=uow, payments=self.payments, clock=self.clock)
        ).register(self.bus)
        self.uow = uow

    async def clinics(self) -> None:
        async with self.uow() as unit:
            for location_id, staff in ((CLINIC, STAFF), (OTHER_CLINIC, OTHER_STAFF)):
                await unit.locations.put_clinic(
                    Location(
                        location_id=location_id,
                        kind=LocationKind.CLINIC,
                        name=f"Clinic {location_id.hex[-4:]}",
                        staff=frozenset({staff.user_id}),
                        updated_at=T0,
                    )
                )
            await unit.commit()

    async def product(self, sku: str, price: str = "9.90", *, stock: int = 10) -> Product:
        product: Product = await self.bus.execute(
            CreateProduct(
                actor=ADMIN,
                sku=sku,
                name=f"Product {sku}",
                unit="box",
                price=Money.of(price, "EUR"),
            )
        )
        if stock:
            await self.bus.execute(
                ReceiveStock(
                    actor=ADMIN,
                    product_id=product.product_id,
                    location_id=CLINIC,
                    quantity=stock,
                    reference="delivery 1",
                )
            )
        return product

    async def place(
        self,
        *lines: tuple[Product, int],
        actor: Actor = OWNER,
        token: str = CARD,
        order_id: UUID | None = None,
        at: UUID = CLINIC,
    ) -> CustomerOrder:
        order: CustomerOrder = await self.bus.execute(
            PlaceCustomerOrder(
                actor=actor,
                customer_order_id=order_id or new_id(),
                location_id=at,
                lines=tuple(RequestedLine(product_id=p.product_id, quantity=q) for p, q in lines),
                payment_token=token,
            )
        )
        return order

    async def order(self, order_id: UUID, actor: Actor = ADMIN) -> CustomerOrder:
        order: CustomerOrder = await self.bus.execute(
            GetCustomerOrder(actor=actor, customer_order_id=order_id)
        )
        return order

    async def recover(self) -> int:
        advanced: int = await self.bus.execute(AdvancePendingCustomerOrders(now=self.clock.now()))
        return advanced

    def stock(self, product: Product, at: UUID = CLINIC) -> StockItem:
        state = self.store.state
        return state.stock[state.stock_by_key[(product.product_id, at)]]

    def ledger(self, product: Product) -> tuple[StockMovement, ...]:
        return self.store.state.movements[self.stock(product).stock_item_id]

    def events(self, *types: type[Event]) -> list[Any]:
        return [e for e in self.store.outbox if isinstance(e, types)]


@pytest.fixture
async def shop() -> Shop:
    shop = Shop()
    await shop.clinics()
    return shop


# --- placing --------------------------------------------------------------------------------


async def test_an_order_is_reserved_charged_and_placed(shop: Shop) -> None:
    food = await shop.product("FOOD", "12.50")
    drops = await shop.product("DROPS", "3.20")

    order = await shop.place((food, 2), (drops, 3))

    assert order.status is CustomerOrderStatus.PLACED
    assert order.payment is PaymentState.CHARGED
    assert order.total == Money.of("34.60", "EUR")
    assert {line.sku: line.unit_price for line in order.lines} == {
        "FOOD": Money.of("12.50", "EUR"),
        "DROPS": Money.of("3.20", "EUR"),
    }
    assert order.pick_up_by == T0 + timedelta(days=7)
    assert order.payment_token is None  # not kept once the charge is known
    assert (shop.stock(food).reserved, shop.stock(drops).reserved) == (2, 3)
    reservation = shop.store.state.reservations[order.reservation_id]
    assert reservation.reference == f"order:{order.customer_order_id}"
    assert reservation.expires_at == order.pick_up_by + timedelta(days=1)
    [charge] = shop.payments.charges
    assert charge.idempotency_key == charge_key(order.customer_order_id)
    assert charge.amount == order.total
    assert order.charge_reference == charge.reference
    [placed] = shop.events(CustomerOrderPlaced)
    assert placed.customer_order_id == order.customer_order_id
    assert placed.total == order.total
    assert placed.payment_reference == charge.reference
    assert placed.aggregate_version == order.version


async def test_a_repeat_answers_the_same_order_and_charges_once(shop: Shop) -> None:
    food = await shop.product("FOOD")
    order_id = new_id()
    first = await shop.place((food, 2), order_id=order_id)
    again = await shop.place((food, 2), order_id=order_id)
    assert again == first
    assert len(shop.payments.charges) == 1
    assert shop.stock(food).reserved == 2
    with pytest.raises(Exception, match="another order"):
        await shop.place((food, 2), order_id=order_id, actor=OTHER_OWNER)


@pytest.mark.parametrize("token", ["tok_declined", "tok_insufficient_funds"])
async def test_a_declined_payment_fails_the_order_and_releases_the_stock(
    shop: Shop, token: str
) -> None:
    food = await shop.product("FOOD")
    order_id = new_id()
    with pytest.raises(PaymentDeclined) as raised:
        await shop.place((food, 4), token=token, order_id=order_id)
    assert raised.value.extra["customer_order_id"] == str(order_id)

    order = await shop.order(order_id)
    assert order.status is CustomerOrderStatus.FAILED
    assert order.failure_kind is FailureKind.PAYMENT_DECLINED
    assert order.payment is PaymentState.DECLINED
    assert shop.stock(food).reserved == 0
    assert shop.store.state.reservations[order.reservation_id].status is (
        ReservationStatus.RELEASED
    )
    assert shop.payments.charges == []
    assert shop.events(CustomerOrderPlaced) == []
    with pytest.raises(PaymentDeclined):  # a repeat answers the same
        await shop.place((food, 4), token=token, order_id=order_id)


async def test_short_stock_fails_at_once_naming_the_product_and_charges_nothing(
    shop: Shop,
) -> None:
    food = await shop.product("FOOD", stock=10)
    drops = await shop.product("DROPS", stock=1)
    order_id = new_id()

    with pytest.raises(OutOfStock, match=r"DROPS.*2 requested, 1 available"):
        await shop.place((food, 5), (drops, 2), order_id=order_id)

    assert shop.payments.calls["charge"] == 0
    assert (shop.stock(food).reserved, shop.stock(drops).reserved) == (0, 0)
    order = await shop.order(order_id)
    assert order.status is CustomerOrderStatus.FAILED
    assert order.failure_kind is FailureKind.OUT_OF_STOCK
    assert order.payment is PaymentState.NONE
    assert order.reservation_id not in shop.store.state.reservations
    with pytest.raises(OutOfStock):  # the repeat too, still without a charge
        await shop.place((food, 5), (drops, 2), order_id=order_id)
    assert shop.payments.calls["charge"] == 0


async def test_a_product_never_stocked_at_the_clinic_is_short(shop: Shop) -> None:
    food = await shop.product("FOOD", stock=0)
    with pytest.raises(OutOfStock, match=r"FOOD.*not stocked"):
        await shop.place((food, 1))


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (lambda p: (), "1 to 50 lines"),
        (lambda p: tuple((p, 1) for _ in range(2)), "one line per product"),
    ],
)
async def test_bad_lines_are_refused_before_anything_happens(
    shop: Shop, lines: Any, message: str
) -> None:
    food = await shop.product("FOOD")
    with pytest.raises(InvalidInput, match=message):
        await shop.place(*lines(food))
    assert shop.store.state.customer_orders == {}


async def test_quantities_products_and_currencies_are_checked(shop: Shop) -> None:
    food = await shop.product("FOOD")
    with pytest.raises(InvalidInput, match="quantity"):
        RequestedLine(product_id=food.product_id, quantity=0)
    ghost = Product(
        product_id=new_id(),
        sku="GHOST",
        name="Ghost",
        unit="box",
        price=Money.of("1", "EUR"),
        created_at=T0,
        updated_at=T0,
    )
    with pytest.raises(InvalidInput, match="no product"):
        await shop.place((food, 1), (ghost, 1))
    yen = await shop.bus.execute(
        CreateProduct(actor=ADMIN, sku="YEN", name="Yen", unit="box", price=Money.of(100, "JPY"))
    )
    await shop.bus.execute(
        ReceiveStock(actor=ADMIN, product_id=yen.product_id, location_id=CLINIC, quantity=5)
    )
    with pytest.raises(InvalidInput, match="one currency"):
        await shop.place((food, 1), (yen, 1))
    assert shop.store.state.customer_orders == {}
    assert shop.stock(food).reserved == 0


async def test_only_clinics_inventory_knows_are_pick_up_places_and_only_owners_order(
    shop: Shop,
) -> None:
    food = await shop.product("FOOD")
    with pytest.raises(LocationNotFound):
        await shop.place((food, 1), at=new_id())
    with pytest.raises(PermissionDenied):
        await shop.place((food, 1), actor=STAFF)


# --- the gateway does not answer --------------------------------------------------------------


async def test_a_timeout_after_the_charge_is_recovered_with_exactly_one_charge(
    shop: Shop,
) -> None:
    food = await shop.product("FOOD")
    order = await shop.place((food, 2), token="tok_timeout_after_charge")
    assert order.status is CustomerOrderStatus.PENDING_PAYMENT
    assert order.next_attempt_at is not None
    assert shop.stock(food).reserved == 2
    assert len(shop.payments.charges) == 1  # taken, but the answer was lost

    assert await shop.recover() == 0  # not due yet (backoff)
    shop.clock.advance(timedelta(seconds=5))
    assert await shop.recover() == 1

    placed = await shop.order(order.customer_order_id)
    assert placed.status is CustomerOrderStatus.PLACED
    assert len(shop.payments.charges) == 1
    assert placed.charge_reference == shop.payments.charges[0].reference
    assert len(shop.events(CustomerOrderPlaced)) == 1
    shop.clock.advance(timedelta(minutes=1))
    assert await shop.recover() == 0  # nothing left to do


async def test_a_transient_failure_is_retried_by_recovery(shop: Shop) -> None:
    food = await shop.product("FOOD")
    order = await shop.place((food, 1), token="tok_transient")
    assert order.status is CustomerOrderStatus.PENDING_PAYMENT
    assert shop.payments.charges == []
    shop.clock.advance(timedelta(seconds=5))
    assert await shop.recover() == 1
    assert (await shop.order(order.customer_order_id)).status is CustomerOrderStatus.PLACED
    assert len(shop.payments.charges) == 1


async def test_cancelling_a_pending_order_waits_for_the_payment(shop: Shop) -> None:
    food = await shop.product("FOOD")
    order = await shop.place((food, 1), token="tok_transient")
    with pytest.raises(CustomerOrderNotCancellable, match="still being confirmed"):
        await shop.bus.execute(
            CancelCustomerOrder(actor=OWNER, customer_order_id=order.customer_order_id)
        )


async def test_past_the_deadline_recovery_gives_up_and_refunds_what_was_taken(
    shop: Shop,
) -> None:
    food = await shop.product("FOOD")
    order = await shop.place((food, 3), token="tok_timeout_after_charge")
    shop.payments.charges_unavailable = True  # an outage, longer than the deadline
    shop.clock.advance(timedelta(minutes=16))
    await shop.recover()

    failed = await shop.order(order.customer_order_id)
    assert failed.status is CustomerOrderStatus.FAILED
    assert failed.failure_kind is FailureKind.PAYMENT_TIMEOUT
    assert failed.payment is PaymentState.CHARGING  # still to be resolved
    assert shop.stock(food).reserved == 0  # released at once

    shop.payments.charges_unavailable = False
    shop.clock.advance(timedelta(minutes=5))
    await shop.recover()

    settled = await shop.order(order.customer_order_id)
    assert settled.payment is PaymentState.REFUNDED
    [charge] = shop.payments.charges
    [refund] = shop.payments.refunds
    assert refund.idempotency_key == refund_key(order.customer_order_id)
    assert refund.amount == charge.amount == order.total
    assert shop.payments.net_charged(charge.reference).amount == 0
    assert shop.events(CustomerOrderPlaced) == []
    shop.clock.advance(timedelta(minutes=5))
    assert await shop.recover() == 0
    assert len(shop.payments.refunds) == 1


async def test_an_outage_that_never_charged_settles_with_nothing_owed(shop: Shop) -> None:
    food = await shop.product("FOOD")
    shop.payments.charges_unavailable = True
    order = await shop.place((food, 1), token="tok_declined")
    shop.clock.advance(timedelta(minutes=20))
    await shop.recover()
    shop.payments.charges_unavailable = False
    shop.clock.advance(timedelta(minutes=5))
    await shop.recover()
    settled = await shop.order(order.customer_order_id)
    assert (settled.status, settled.payment) == (CustomerOrderStatus.FAILED, PaymentState.DECLINED)
    assert shop.payments.charges == []
    assert shop.payments.refunds == []
    assert shop.stock(food).reserved == 0


# --- cancelling, pick-up, expiry -------------------------------------------------------------


async def test_cancelling_releases_and_refunds_once_even_when_repeated(shop: Shop) -> None:
    food = await shop.product("FOOD", "20")
    order = await shop.place((food, 2))
    cancel = CancelCustomerOrder(
        actor=OWNER, customer_order_id=order.customer_order_id, reason="changed my mind"
    )

    cancelled: CustomerOrder = await shop.bus.execute(cancel)
    again: CustomerOrder = await shop.bus.execute(cancel)

    assert cancelled.status is CustomerOrderStatus.CANCELLED
    assert cancelled.cancelled_by is CancellingParty.CUSTOMER
    assert cancelled.payment is PaymentState.REFUNDED
    assert again == cancelled
    assert shop.stock(food).reserved == 0
    [refund] = shop.payments.refunds
    assert refund.amount == Money.of("40", "EUR")
    assert shop.payments.net_charged(order.charge_reference or "").amount == 0
    [event] = shop.events(CustomerOrderCancelled)
    assert (event.cancelled_by, event.reason, event.refund) == (
        "customer",
        "changed my mind",
        Money.of("40", "EUR"),
    )


async def test_a_refund_the_gateway_refuses_for_now_is_made_by_recovery(shop: Shop) -> None:
    food = await shop.product("FOOD")
    order = await shop.place((food, 1))
    shop.payments.refunds_unavailable = True
    cancelled: CustomerOrder = await shop.bus.execute(
        CancelCustomerOrder(actor=STAFF, customer_order_id=order.customer_order_id)
    )
    assert (cancelled.status, cancelled.payment) == (
        CustomerOrderStatus.CANCELLED,
        PaymentState.REFUNDING,
    )
    assert cancelled.cancelled_by is CancellingParty.STAFF
    assert shop.stock(food).reserved == 0
    shop.payments.refunds_unavailable = False
    shop.clock.advance(timedelta(minutes=1))
    assert await shop.recover() == 1
    assert (await shop.order(order.customer_order_id)).payment is PaymentState.REFUNDED
    assert len(shop.payments.refunds) == 1


async def test_fulfilling_moves_the_stock_out_as_a_sale(shop: Shop) -> None:
    food = await shop.product("FOOD", stock=10)
    order = await shop.place((food, 3))
    fulfil = FulfilCustomerOrder(actor=STAFF, customer_order_id=order.customer_order_id)

    fulfilled: CustomerOrder = await shop.bus.execute(fulfil)
    assert await shop.bus.execute(fulfil) == fulfilled  # a repeat changes nothing

    assert fulfilled.status is CustomerOrderStatus.FULFILLED
    item = shop.stock(food)
    assert (item.on_hand, item.reserved) == (7, 0)
    sale = shop.ledger(food)[-1]
    assert sale.kind is MovementKind.SALE
    assert (sale.on_hand_delta, sale.reference) == (-3, f"order:{order.customer_order_id}")
    assert len([m for m in shop.ledger(food) if m.kind is MovementKind.SALE]) == 1
    assert len(shop.events(CustomerOrderFulfilled)) == 1
    with pytest.raises(CustomerOrderNotCancellable, match="collected"):
        await shop.bus.execute(
            CancelCustomerOrder(actor=OWNER, customer_order_id=order.customer_order_id)
        )
    assert shop.payments.refunds == []


async def test_orders_not_collected_in_time_are_cancelled_and_refunded(shop: Shop) -> None:
    food = await shop.product("FOOD")
    late = await shop.place((food, 2))
    shop.clock.advance(timedelta(days=3))
    recent = await shop.place((food, 1))
    shop.clock.advance(timedelta(days=4))  # late's pick-up deadline has just passed

    expired = await shop.bus.execute(ExpireUncollectedOrders(now=shop.clock.now()))

    assert expired == 1
    cancelled = await shop.order(late.customer_order_id)
    assert cancelled.status is CustomerOrderStatus.CANCELLED
    assert cancelled.cancelled_by is CancellingParty.SYSTEM
    assert cancelled.payment is PaymentState.REFUNDED
    assert (await shop.order(recent.customer_order_id)).status is CustomerOrderStatus.PLACED
    assert shop.stock(food).reserved == 1
    assert await shop.bus.execute(ExpireUncollectedOrders(now=shop.clock.now())) == 0
    assert len(shop.payments.refunds) == 1


# --- who sees what ---------------------------------------------------------------------------


async def test_another_owner_and_another_clinics_staff_see_no_order(shop: Shop) -> None:
    food = await shop.product("FOOD")
    order = await shop.place((food, 1))
    order_id = order.customer_order_id
    for stranger in (OTHER_OWNER, OTHER_STAFF):
        for command in (
            GetCustomerOrder(actor=stranger, customer_order_id=order_id),
            CancelCustomerOrder(actor=stranger, customer_order_id=order_id),
            FulfilCustomerOrder(actor=stranger, customer_order_id=order_id),
        ):
            with pytest.raises(CustomerOrderNotFound):
                await shop.bus.execute(command)
    with pytest.raises(PermissionDenied):  # the customer sees it, but does not hand it out
        await shop.bus.execute(FulfilCustomerOrder(actor=OWNER, customer_order_id=order_id))
    assert await shop.order(order_id, OWNER) == order
    assert await shop.order(order_id, STAFF) == order
    assert (await shop.order(order_id)).status is CustomerOrderStatus.PLACED


async def test_owners_list_their_orders_and_staff_their_clinics(shop: Shop) -> None:
    food = await shop.product("FOOD")
    mine = await shop.place((food, 1))
    shop.clock.advance(timedelta(minutes=1))
    theirs = await shop.place((food, 1), actor=OTHER_OWNER)

    own = await shop.bus.execute(ListCustomerOrders(actor=OWNER))
    assert [o.customer_order_id for o in own.items] == [mine.customer_order_id]
    at_clinic = await shop.bus.execute(ListCustomerOrders(actor=STAFF, location_id=CLINIC))
    assert [o.customer_order_id for o in at_clinic.items] == [
        theirs.customer_order_id,
        mine.customer_order_id,
    ]
    placed_only = await shop.bus.execute(
        ListCustomerOrders(actor=ADMIN, location_id=CLINIC, status=CustomerOrderStatus.FAILED)
    )
    assert placed_only.total == 0
    for outsider in (OTHER_STAFF, OWNER):
        with pytest.raises(PermissionDenied):
            await shop.bus.execute(ListCustomerOrders(actor=outsider, location_id=CLINIC))


async def test_parallel_orders_for_the_last_units_never_oversell(shop: Shop) -> None:
    food = await shop.product("FOOD", stock=5)

    async def attempt() -> bool:
        try:
            await shop.place((food, 1), actor=Actor(new_id(), frozenset({"pet_owner"})))
        except OutOfStock:
            return False
        return True

    outcomes = await asyncio.gather(*(attempt() for _ in range(12)))
    assert sum(outcomes) == 5
    assert shop.stock(food).reserved == 5
    assert len(shop.payments.charges) == 5


async def test_one_order_the_gateway_chokes_on_does_not_stop_recovery_of_the_others(
    shop: Shop,
) -> None:
    food = await shop.product("FOOD")
    stuck, fine = await shop.place((food, 1)), await shop.place((food, 1))
    shop.payments.refunds_unavailable = True
    for order in (stuck, fine):
        await shop.bus.execute(
            CancelCustomerOrder(actor=OWNER, customer_order_id=order.customer_order_id)
        )
    shop.payments.refunds_unavailable = False
    refund = shop.payments.refund

    async def choking(*, idempotency_key: str, charge_reference: str, amount: Money) -> Any:
        if idempotency_key == refund_key(stuck.customer_order_id):
            raise RuntimeError("provider answered nonsense")
        return await refund(
            idempotency_key=idempotency_key, charge_reference=charge_reference, amount=amount
        )

    shop.payments.refund = choking  # type: ignore[method-assign]
    shop.clock.advance(timedelta(minutes=1))
    with pytest.raises(RuntimeError, match="nonsense"):
        await shop.recover()
    assert (await shop.order(fine.customer_order_id)).payment is PaymentState.REFUNDED
    assert (await shop.order(stuck.customer_order_id)).payment is PaymentState.REFUNDING
