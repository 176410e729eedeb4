"""Application services of the shop's customer orders (inventory context).

Placing an order, like the booking saga, is a chain of steps each committed before the next
call to the outside, so any step can be repeated by whoever continues:

1. one transaction: the order (pending_payment) and the reservation of every line
   (reference `order:<id>`, expiring `reservation_grace` after the pick-up deadline); a short
   line keeps only a failed order (nothing reserved, nothing charged) and answers OutOfStock;
2. the charge, with idempotency key `customer_order:<id>:charge`;
3. one transaction: placed (`customer_order.placed`), or declined → failed with the
   reservation released (PaymentDeclined). A gateway that does not answer
   (`PaymentGatewayUnavailable`) leaves the order pending_payment: `AdvancePendingCustomerOrders`
   asks again with the same key (the gateway answers the first outcome: never a second
   charge), and past `payment_timeout` gives up — failed, released — and then still resolves
   the charge, refunding it if it turns out taken.

Cancelling (customer before pick-up, staff, or the system when the goods were not collected
by `pick_up_by`) moves the order to cancelled and releases the reservation in one
transaction, with the whole amount owed; the refund (key `customer_order:<id>:refund`)
follows and, if the gateway is down, is retried by recovery. Every change is saved over the
version it was read at (`StaleCustomerOrder` otherwise), so two requests never both act on
one order, and every compensation is safe to repeat.

Stock changes go through `StockRepository.apply` (the atomic 0 <= reserved <= on_hand rule)
and record `low_stock.stock_events` (product.stock_changed, and stock.low on a crossing),
as the other inventory handlers do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from petpro_core.inventory.customer_order_commands import (
    AdvancePendingCustomerOrders,
    CancelCustomerOrder,
    ExpireUncollectedOrders,
    FulfilCustomerOrder,
    GetCustomerOrder,
    ListCustomerOrders,
    PlaceCustomerOrder,
)
from petpro_core.inventory.domain.customer_orders import (
    CancellingParty,
    ConcurrentCustomerOrderUpdate,
    CustomerOrder,
    CustomerOrderIdTaken,
    CustomerOrderNotCancellable,
    CustomerOrderNotFound,
    CustomerOrderNotFulfillable,
    CustomerOrderStatus,
    OrderLine,
    PaymentState,
    RequestedLine,
    backoff,
    charge_key,
    customer_order_failure,
    payment_description,
    refund_key,
    requested_lines,
    reservation_reference,
)
from petpro_core.inventory.domain.errors import LocationNotFound
from petpro_core.inventory.domain.locations import LocationKind
from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.domain.reservations import Reservation, ReservationStatus
from petpro_core.inventory.domain.stock import StockChange
from petpro_core.inventory.low_stock import stock_events
from petpro_core.inventory.ports import (
    DuplicateCustomerOrder,
    DuplicateReservation,
    InventoryUnitOfWork,
    InventoryUnitOfWorkFactory,
    StaleCustomerOrder,
    StaleReservation,
)
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import Clock, SystemClock, ensure_aware
from petpro_core.shared.errors import InvalidInput, PermissionDenied
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.pagination import Page
from petpro_core.shared.payments import PaymentGateway, PaymentGatewayUnavailable

CUSTOMER_ROLE = "pet_owner"
MAX_BATCH = 1000
_SAVE_ATTEMPTS = 3  # a change racing another request re-reads the order this often
_MAX_STEPS = 8  # payment steps one call takes at most (each re-reads the order)

__all__ = ["CustomerOrderDependencies", "CustomerOrderHandlers"]


@dataclass(frozen=True, kw_only=True)
class CustomerOrderDependencies:
    uow: InventoryUnitOfWorkFactory
    payments: PaymentGateway
    clock: Clock = field(default_factory=SystemClock)
    # How long a placed order waits at the location (PETPRO_PICK_UP_DAYS).
    pick_up_window: timedelta = timedelta(days=7)
    # The reservation outlives the pick-up deadline by this much, so the uncollected-orders
    # job (which refunds) cancels the order before the reservation expiry job releases it.
    reservation_grace: timedelta = timedelta(days=1)
    # A charge still unresolved this long after the order was placed: give up (failed).
    payment_timeout: timedelta = timedelta(minutes=15)
    retry_base: timedelta = timedelta(seconds=2)
    retry_cap: timedelta = timedelta(minutes=2)


def _aware(moment: datetime, field: str) -> datetime:
    try:
        return ensure_aware(moment)
    except ValueError:
        raise InvalidInput(f"{field} must be timezone-aware", field=field) from None


def _batch(limit: int) -> int:
    if not 1 <= limit <= MAX_BATCH:
        raise InvalidInput(f"limit must be 1 to {MAX_BATCH}", field="limit")
    return limit


async def _manages(uow: InventoryUnitOfWork, actor: Actor, location_id: UUID) -> bool:
    """Admins, and the clinic staff of the location (as inventory learned it from the clinic
    context's events)."""
    if actor.is_admin:
        return True
    location = await uow.locations.get(location_id)
    return location is not None and location.managed_by(actor)


async def _visible(uow: InventoryUnitOfWork, actor: Actor, order: CustomerOrder | None) -> bool:
    if order is None:
        return False
    return order.customer_id == actor.user_id or await _manages(uow, actor, order.location_id)


class CustomerOrderHandlers:
    def __init__(self, deps: CustomerOrderDependencies) -> None:
        self._deps = deps

    def register(self, bus: MessageBus) -> None:
        handlers: dict[type[Any], Any] = {
            PlaceCustomerOrder: self.place_order,
            GetCustomerOrder: self.get_order,
            ListCustomerOrders: self.list_orders,
            FulfilCustomerOrder: self.fulfil_order,
            CancelCustomerOrder: self.cancel_order,
            AdvancePendingCustomerOrders: self.advance_pending,
            ExpireUncollectedOrders: self.expire_uncollected,
        }
        for command_type, handler in handlers.items():
            bus.register_command(command_type, handler)

    # -- placing an order ------------------------------------------------------------------

    async def place_order(self, cmd: PlaceCustomerOrder) -> CustomerOrder:
        if not cmd.actor.has_role(CUSTOMER_ROLE):
            raise PermissionDenied("only a pet owner may order from the shop")
        requested = requested_lines(tuple(cmd.lines))
        order = await self._reserve(cmd, requested)
        if order.customer_id != cmd.actor.user_id:
            raise CustomerOrderIdTaken("this order id belongs to another order")
        if order.payment_due(self._deps.clock.now()):
            order = await self._settle(order.customer_order_id) or order
        failure = customer_order_failure(order)
        if failure is not None:
            raise failure
        return order

    async def _reserve(
        self, cmd: PlaceCustomerOrder, requested: tuple[RequestedLine, ...]
    ) -> CustomerOrder:
        """Step 1: the order and its reservation in one transaction (or the order that was
        there already: a repeat)."""
        deps = self._deps
        now = deps.clock.now()
        async with deps.uow() as uow:
            existing = await uow.customer_orders.get(cmd.customer_order_id)
            if existing is not None:
                return existing
            location = await uow.locations.get(cmd.location_id)
            if location is None or location.kind is not LocationKind.CLINIC:
                raise LocationNotFound("no clinic to pick up at with this id")
            products = await uow.products.get_many([line.product_id for line in requested])
            lines = tuple(_order_line(products.get(line.product_id), line) for line in requested)
            pick_up_by = now + deps.pick_up_window
            order = CustomerOrder.pending(
                customer_order_id=cmd.customer_order_id,
                customer_id=cmd.actor.user_id,
                location_id=cmd.location_id,
                lines=lines,
                payment_token=cmd.payment_token,
                pick_up_by=pick_up_by,
                payment_deadline=now + deps.payment_timeout,
                now=now,
            )
            held, reserved_event = Reservation.hold(
                reservation_id=order.reservation_id,
                location_id=order.location_id,
                reference=reservation_reference(order.customer_order_id),
                lines=order.reservation_lines,
                expires_at=pick_up_by + deps.reservation_grace,
                now=now,
            )
            failure, events = await _reserve_lines(uow, held, products)
            if failure is not None:
                await uow.rollback()  # all or nothing: undo the lines reserved so far
                order, events = order.out_of_stock(failure), []
            try:
                await uow.customer_orders.add(order)
                if failure is None:
                    await uow.reservations.add(held)
                    events.append(reserved_event)
            except (DuplicateCustomerOrder, DuplicateReservation):
                await uow.rollback()  # a concurrent repeat got there first: its outcome
                stored = await uow.customer_orders.get(cmd.customer_order_id)
                if stored is None:  # pragma: no cover - the duplicate is committed
                    raise
                return stored
            uow.record(*events)
            await uow.commit()
        return order

    async def advance_pending(self, cmd: AdvancePendingCustomerOrders) -> int:
        now = _aware(cmd.now, "now")
        async with self._deps.uow() as uow:
            due = await uow.customer_orders.payment_due(now, _batch(cmd.limit))
        advanced = 0
        first_error: Exception | None = None
        for customer_order_id in due:  # one at a time: one failure spoils no other
            before = await self._get(customer_order_id)
            try:
                after = await self._settle(customer_order_id)
            except Exception as error:  # raised once the others had their turn
                first_error = first_error or error
                continue
            if before is not None and after is not None and after.version != before.version:
                advanced += 1
        if first_error is not None:
            raise first_error
        return advanced

    async def _settle(self, customer_order_id: UUID) -> CustomerOrder | None:
        """Take the order's payment as far as it goes now: resolve the charge, give up past
        the deadline, refund what is owed. Each step re-reads the order and saves over the
        version it read, so concurrent callers never act twice (the gateway calls carry
        idempotency keys, so a repeated call moves no money twice)."""
        order: CustomerOrder | None = None
        for _ in range(_MAX_STEPS):
            order = await self._get(customer_order_id)
            now = self._deps.clock.now()
            if order is None or not order.payment_due(now):
                return order
            if (
                order.status is CustomerOrderStatus.PENDING_PAYMENT
                and now >= order.payment_deadline
            ):
                await self._change(order, order.gave_up(now), release="payment not confirmed")
            elif order.payment is PaymentState.CHARGING:
                if not await self._charge(order):
                    return await self._get(customer_order_id)
            else:
                if not await self._refund(order):
                    return await self._get(customer_order_id)
        return order

    async def _charge(self, order: CustomerOrder) -> bool:
        """Ask for the charge (again); record its outcome. False: try later."""
        assert order.payment_token is not None
        try:
            outcome = await self._deps.payments.charge(
                idempotency_key=charge_key(order.customer_order_id),
                token=order.payment_token,
                amount=order.total,
                description=payment_description(order.customer_order_id),
            )
        except PaymentGatewayUnavailable:
            await self._retry_later(order)
            return False
        now = self._deps.clock.now()
        reference = outcome.reference if outcome.succeeded else None
        if order.status is CustomerOrderStatus.PENDING_PAYMENT:
            if reference is not None:
                placed, event = order.charged(now, reference)
                await self._change(order, placed, event)
            else:
                declined = order.declined(now, outcome.decline_reason)
                await self._change(order, declined, release="payment declined")
        else:  # failed while the charge was unresolved: now it is known
            await self._change(order, order.charge_resolved(now, reference))
        return True

    async def _refund(self, order: CustomerOrder) -> bool:
        assert order.refund is not None and order.charge_reference is not None
        try:
            refund = await self._deps.payments.refund(
                idempotency_key=refund_key(order.customer_order_id),
                charge_reference=order.charge_reference,
                amount=order.refund,
            )
        except PaymentGatewayUnavailable:
            await self._retry_later(order)
            return False
        await self._change(order, order.refunded(self._deps.clock.now(), refund.reference))
        return True

    async def _retry_later(self, order: CustomerOrder) -> None:
        deps = self._deps
        now = deps.clock.now()
        wait = backoff(order.payment_attempts + 1, deps.retry_base, deps.retry_cap)
        await self._change(order, order.retry_later(now, now + wait))

    async def _change(
        self,
        order: CustomerOrder,
        following: CustomerOrder,
        *events: Event,
        release: str | None = None,
    ) -> bool:
        """Save `following` over `order` (False when another request changed it first:
        theirs stands), releasing the reservation in the same transaction if asked."""
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            try:
                await uow.customer_orders.save(following)
            except StaleCustomerOrder:
                return False
            recorded = list(events)
            if release is not None:
                recorded = [*await _release(uow, order.reservation_id, release, now), *recorded]
            uow.record(*recorded)
            await uow.commit()
        return True

    # -- reading ---------------------------------------------------------------------------

    async def _get(self, customer_order_id: UUID) -> CustomerOrder | None:
        async with self._deps.uow() as uow:
            return await uow.customer_orders.get(customer_order_id)

    async def get_order(self, cmd: GetCustomerOrder) -> CustomerOrder:
        async with self._deps.uow() as uow:
            order = await uow.customer_orders.get(cmd.customer_order_id)
            if order is None or not await _visible(uow, cmd.actor, order):
                raise CustomerOrderNotFound("no such order")
        return order

    async def list_orders(self, cmd: ListCustomerOrders) -> Page[CustomerOrder]:
        async with self._deps.uow() as uow:
            if cmd.location_id is None:
                return await uow.customer_orders.list_for_customer(
                    cmd.actor.user_id, cmd.page, cmd.status
                )
            if not await _manages(uow, cmd.actor, cmd.location_id):
                raise PermissionDenied("only the location's staff or an admin see its orders")
            return await uow.customer_orders.list_at(cmd.location_id, cmd.page, cmd.status)

    # -- pick-up ---------------------------------------------------------------------------

    async def fulfil_order(self, cmd: FulfilCustomerOrder) -> CustomerOrder:
        for _ in range(_SAVE_ATTEMPTS):
            now = self._deps.clock.now()
            async with self._deps.uow() as uow:
                order = await uow.customer_orders.get(cmd.customer_order_id)
                if order is None or not await _visible(uow, cmd.actor, order):
                    raise CustomerOrderNotFound("no such order")
                if not await _manages(uow, cmd.actor, order.location_id):
                    raise PermissionDenied("only the location's staff or an admin hand orders out")
                if order.status is CustomerOrderStatus.FULFILLED:
                    return order
                if order.status is not CustomerOrderStatus.PLACED:
                    raise CustomerOrderNotFulfillable(
                        f"the order is {order.status.value}", status=order.status.value
                    )
                fulfilled, event = order.fulfil(now)
                try:
                    await uow.customer_orders.save(fulfilled)
                except StaleCustomerOrder:
                    continue  # changed meanwhile: decide again on what is stored now
                sold = await _fulfil(uow, order.reservation_id, now)
                if sold is None:
                    raise CustomerOrderNotFulfillable("the order's reservation lapsed")
                uow.record(*sold, event)
                await uow.commit()
                return fulfilled
        raise ConcurrentCustomerOrderUpdate("the order was changed concurrently; try again")

    # -- cancellation ----------------------------------------------------------------------

    async def cancel_order(self, cmd: CancelCustomerOrder) -> CustomerOrder:
        actor = cmd.actor
        for _ in range(_SAVE_ATTEMPTS):
            now = self._deps.clock.now()
            async with self._deps.uow() as uow:
                order = await uow.customer_orders.get(cmd.customer_order_id)
                if order is None or not await _visible(uow, actor, order):
                    raise CustomerOrderNotFound("no such order")
                if order.status is CustomerOrderStatus.CANCELLED:
                    break  # cancelling twice: the first answer (its refund settled below)
                if order.status is not CustomerOrderStatus.PLACED:
                    raise CustomerOrderNotCancellable(
                        _not_cancellable(order.status), status=order.status.value
                    )
                by = (
                    CancellingParty.CUSTOMER
                    if order.customer_id == actor.user_id
                    else CancellingParty.STAFF
                )
                if await self._cancel_in(uow, order, by, cmd.reason, now):
                    break
        else:
            raise ConcurrentCustomerOrderUpdate("the order was changed concurrently; try again")
        settled = await self._settle(cmd.customer_order_id)
        if settled is None:  # pragma: no cover - orders are never deleted
            raise CustomerOrderNotFound("no such order")
        return settled

    async def expire_uncollected(self, cmd: ExpireUncollectedOrders) -> int:
        now = _aware(cmd.now, "now")
        async with self._deps.uow() as uow:
            due = await uow.customer_orders.uncollected(now, _batch(cmd.limit))
        cancelled = 0
        for customer_order_id in due:
            async with self._deps.uow() as uow:
                order = await uow.customer_orders.get(customer_order_id)
                if order is None or not order.uncollected(now):
                    continue
                reason = f"not collected by {order.pick_up_by:%Y-%m-%d %H:%M} UTC"
                if not await self._cancel_in(
                    uow, order, CancellingParty.SYSTEM, reason, self._deps.clock.now()
                ):
                    continue
            cancelled += 1
            # The refund; if the gateway fails here, the pending-orders job retries it.
            with contextlib.suppress(Exception):
                await self._settle(customer_order_id)
        return cancelled

    async def _cancel_in(
        self,
        uow: InventoryUnitOfWork,
        order: CustomerOrder,
        by: CancellingParty,
        reason: str,
        now: datetime,
    ) -> bool:
        """Placed → cancelled and the reservation released, committed; the refund is owed.
        False when another request changed the order first."""
        cancelled, event = order.cancel(now, by, reason)
        try:
            await uow.customer_orders.save(cancelled)
        except StaleCustomerOrder:
            await uow.rollback()
            return False
        released = await _release(uow, order.reservation_id, cancelled.cancel_reason or reason, now)
        uow.record(*released, event)
        await uow.commit()
        return True


def _not_cancellable(status: CustomerOrderStatus) -> str:
    return {
        CustomerOrderStatus.PENDING_PAYMENT: "the payment is still being confirmed; try again "
        "shortly",
        CustomerOrderStatus.FULFILLED: "the order was collected already",
        CustomerOrderStatus.FAILED: "the order failed: nothing was taken",
    }.get(status, f"the order is {status.value}")


def _order_line(product: Product | None, line: RequestedLine) -> OrderLine:
    if product is None:
        raise InvalidInput(f"no product {line.product_id}", field="lines")
    if not product.active:
        raise InvalidInput(f"{product.sku} is no longer sold", field="lines")
    return OrderLine(
        product_id=product.product_id,
        sku=product.sku,
        name=product.name,
        quantity=line.quantity,
        unit_price=product.price,
    )


# -- the reservation, inside the caller's transaction -------------------------------------------


async def _reserve_lines(
    uow: InventoryUnitOfWork, reservation: Reservation, products: dict[UUID, Product]
) -> tuple[str | None, list[Event]]:
    """Reserve each line (in product-id order); the reason naming the first product that
    cannot be reserved, or None when all were (with the stock events)."""
    events: list[Event] = []
    for line in reservation.lines:
        product = products[line.product_id]
        item = await uow.stock.get(line.product_id, reservation.location_id)
        if item is None:
            return f"{product.sku} ({product.name}) is not stocked at this clinic", []
        change = StockChange.reservation(
            line.quantity, reservation.reservation_id, reservation.reference
        )
        after = await uow.stock.apply(
            item.stock_item_id, change, movement_id=new_id(), at=reservation.created_at
        )
        if after is None:
            current = await uow.stock.get(line.product_id, reservation.location_id) or item
            return (
                f"not enough {product.sku} ({product.name}): {line.quantity} requested, "
                f"{current.available} available"
            ), []
        events.extend(await stock_events(uow, after, product, change))
    return None, events


async def _release(
    uow: InventoryUnitOfWork, reservation_id: UUID, reason: str, now: datetime
) -> list[Event]:
    """Release the reservation if it is still held (idempotent); its events."""
    reservation = await uow.reservations.get(reservation_id)
    if reservation is None or not reservation.held:
        return []
    released, released_event = reservation.release(reason, now)
    try:
        await uow.reservations.save(released)
    except StaleReservation:
        return []  # released by someone else meanwhile
    events = await _change_lines(
        uow,
        released,
        lambda quantity: StockChange.release(
            quantity, released.reservation_id, released.reference, reason
        ),
        now,
    )
    return [*events, released_event]


async def _fulfil(
    uow: InventoryUnitOfWork, reservation_id: UUID, now: datetime
) -> list[Event] | None:
    """The reserved units leave (a sale per line); None when the reservation is not held
    (released or expired); no events when it was fulfilled already."""
    reservation = await uow.reservations.get(reservation_id)
    if reservation is not None and reservation.status is ReservationStatus.FULFILLED:
        return []
    if reservation is None or not reservation.held:
        return None
    fulfilled = reservation.fulfil(now)
    try:
        await uow.reservations.save(fulfilled)
    except StaleReservation:
        return None
    return await _change_lines(
        uow,
        fulfilled,
        lambda quantity: StockChange.sale_of_reserved(
            quantity, fulfilled.reservation_id, fulfilled.reference
        ),
        now,
    )


async def _change_lines(
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
