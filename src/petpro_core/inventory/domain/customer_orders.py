"""Customer orders: an owner orders products for pick-up at a clinic (the shop).

An order reserves its lines at the location and is paid through the payment port; it is
collected (fulfilled: the reserved units leave as a sale) or cancelled (the reservation is
released and the whole amount refunded).

    pending_payment ──charged──▶ placed ──collected──▶ fulfilled
          │                        │
          │ declined / gave up     └──cancelled (customer, staff, system)──▶ cancelled
          ▼
        failed  (also at once when the stock is short: nothing charged, nothing reserved)

Next to the status, `payment` says where the money stands, so recovery knows what is owed:

| payment       | meaning                                                              |
|---------------|----------------------------------------------------------------------|
| `none`        | nothing was charged (short stock)                                    |
| `charging`    | a charge was asked for; its outcome is not known yet (ask again with |
|               | the same idempotency key)                                            |
| `charged`     | paid (`charge_reference`)                                            |
| `declined`    | the gateway refused; nothing was taken                               |
| `refunding`   | `refund` is owed back on `charge_reference`                          |
| `refunded`    | `refund` was given back (`refund_reference`)                         |

Every change bumps `version`; stores save a change only over the version it came from, so
two requests never both act on one order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from petpro_core.contracts.inventory import (
    CustomerOrderCancelled,
    CustomerOrderFulfilled,
    CustomerOrderLine,
    CustomerOrderPlaced,
    ReservationLine,
)
from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PaymentRequired,
    PetProError,
)
from petpro_core.shared.money import Money

MAX_ORDER_LINES = 50
MAX_QUANTITY = 10_000
MAX_REASON_LENGTH = 500
MAX_TOKEN_LENGTH = 200
MAX_NAME_LENGTH = 200

_RESERVATION_NAMESPACE = uuid5(NAMESPACE_URL, "https://petpro.dev/inventory/customer-orders")


class CustomerOrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # reserved; the charge's outcome is not known yet
    PLACED = "placed"  # paid and reserved, waiting for pick-up
    FULFILLED = "fulfilled"  # collected: the units left as a sale
    CANCELLED = "cancelled"  # released and refunded
    FAILED = "failed"  # declined, out of stock, or the payment never confirmed


class PaymentState(StrEnum):
    NONE = "none"
    CHARGING = "charging"
    CHARGED = "charged"
    DECLINED = "declined"
    REFUNDING = "refunding"
    REFUNDED = "refunded"


class FailureKind(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_TIMEOUT = "payment_timeout"  # the gateway did not answer before the deadline


class CancellingParty(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    SYSTEM = "system"


# Which payment states each status allows (the stores check the same).
ALLOWED_PAYMENTS: dict[CustomerOrderStatus, frozenset[PaymentState]] = {
    CustomerOrderStatus.PENDING_PAYMENT: frozenset({PaymentState.CHARGING}),
    CustomerOrderStatus.PLACED: frozenset({PaymentState.CHARGED}),
    CustomerOrderStatus.FULFILLED: frozenset({PaymentState.CHARGED}),
    CustomerOrderStatus.CANCELLED: frozenset({PaymentState.REFUNDING, PaymentState.REFUNDED}),
    CustomerOrderStatus.FAILED: frozenset(
        {
            PaymentState.NONE,
            PaymentState.DECLINED,
            PaymentState.CHARGING,  # gave up waiting: the charge is still to be resolved
            PaymentState.REFUNDING,  # it turned out charged: owed back
            PaymentState.REFUNDED,
        }
    ),
}
# Payment states recovery still has work in.
UNSETTLED_PAYMENTS = frozenset({PaymentState.CHARGING, PaymentState.REFUNDING})


def reservation_id_for(customer_order_id: UUID) -> UUID:
    """The id of the order's reservation: the same whichever attempt makes it."""
    return uuid5(_RESERVATION_NAMESPACE, str(customer_order_id))


def reservation_reference(customer_order_id: UUID) -> str:
    return f"order:{customer_order_id}"


def charge_key(customer_order_id: UUID) -> str:
    return f"customer_order:{customer_order_id}:charge"


def refund_key(customer_order_id: UUID) -> str:
    return f"customer_order:{customer_order_id}:refund"


def payment_description(customer_order_id: UUID) -> str:
    return f"customer_order:{customer_order_id}"


def _text(value: str, field: str, max_length: int) -> str:
    cleaned = value.strip()
    if not 1 <= len(cleaned) <= max_length:
        raise InvalidInput(f"{field} must be 1 to {max_length} characters", field=field)
    return cleaned


@dataclass(frozen=True, kw_only=True)
class RequestedLine:
    """What the customer asks for: a product and how many."""

    product_id: UUID
    quantity: int

    def __post_init__(self) -> None:
        quantity = self.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidInput("quantity must be a whole number", field="quantity")
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidInput(f"quantity must be 1 to {MAX_QUANTITY}", field="quantity")


def requested_lines(lines: tuple[RequestedLine, ...]) -> tuple[RequestedLine, ...]:
    """1 to MAX_ORDER_LINES lines, one per product, in product-id order."""
    if not 1 <= len(lines) <= MAX_ORDER_LINES:
        raise InvalidInput(f"an order has 1 to {MAX_ORDER_LINES} lines", field="lines")
    if len({line.product_id for line in lines}) != len(lines):
        raise InvalidInput("an order has one line per product", field="lines")
    return tuple(sorted(lines, key=lambda line: line.product_id))


@dataclass(frozen=True, kw_only=True)
class OrderLine:
    """A line as ordered: the product as it was then (SKU, name, price)."""

    product_id: UUID
    sku: str
    name: str
    quantity: int
    unit_price: Money

    def __post_init__(self) -> None:
        RequestedLine(product_id=self.product_id, quantity=self.quantity)
        object.__setattr__(self, "sku", _text(self.sku, "sku", 64))
        object.__setattr__(self, "name", _text(self.name, "name", MAX_NAME_LENGTH))
        if self.unit_price.amount < 0:
            raise InvalidInput("unit_price must not be negative", field="unit_price")

    @property
    def subtotal(self) -> Money:
        return Money(self.unit_price.amount * self.quantity, self.unit_price.currency)

    def contract(self) -> CustomerOrderLine:
        return CustomerOrderLine(
            product_id=self.product_id,
            sku=self.sku,
            quantity=self.quantity,
            unit_price=self.unit_price,
        )


def order_total(lines: tuple[OrderLine, ...]) -> Money:
    """The sum of the lines; they must share one currency."""
    currencies = {line.unit_price.currency for line in lines}
    if len(currencies) != 1:
        raise InvalidInput("every product of an order is priced in one currency", field="lines")
    amount = sum((line.unit_price.amount * line.quantity for line in lines), Decimal(0))
    return Money(amount, currencies.pop())


@dataclass(frozen=True, kw_only=True)
class CustomerOrder:
    customer_order_id: UUID
    customer_id: UUID
    location_id: UUID
    lines: tuple[OrderLine, ...]
    total: Money
    status: CustomerOrderStatus
    payment: PaymentState
    reservation_id: UUID
    pick_up_by: datetime
    payment_deadline: datetime  # still pending then: recovery gives up (failed, released)
    created_at: datetime
    updated_at: datetime
    version: int = 1
    payment_token: str | None = None  # kept only while the charge is unresolved
    charge_reference: str | None = None
    refund: Money | None = None  # owed (refunding) or given back (refunded)
    refund_reference: str | None = None
    failure_kind: FailureKind | None = None
    failure_reason: str | None = None
    cancelled_by: CancellingParty | None = None
    cancel_reason: str | None = None
    # Recovery of an unsettled payment: attempts so far, and when to try next.
    payment_attempts: int = 0
    next_attempt_at: datetime | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "status", CustomerOrderStatus(self.status))
        set_(self, "payment", PaymentState(self.payment))
        if self.failure_kind is not None:
            set_(self, "failure_kind", FailureKind(self.failure_kind))
        if self.cancelled_by is not None:
            set_(self, "cancelled_by", CancellingParty(self.cancelled_by))
        for name in ("pick_up_by", "payment_deadline", "created_at", "updated_at"):
            set_(self, name, ensure_aware(getattr(self, name)))
        if self.next_attempt_at is not None:
            set_(self, "next_attempt_at", ensure_aware(self.next_attempt_at))
        lines = tuple(sorted(self.lines, key=lambda line: line.product_id))
        set_(self, "lines", lines)
        if not 1 <= len(lines) <= MAX_ORDER_LINES:
            raise ValueError(f"an order has 1 to {MAX_ORDER_LINES} lines")
        if len({line.product_id for line in lines}) != len(lines):
            raise ValueError("an order has one line per product")
        if order_total(lines) != self.total:
            raise ValueError("total must be the sum of the lines")
        if self.version < 1 or self.payment_attempts < 0:
            raise ValueError("version starts at 1; attempts are not negative")
        if self.payment not in ALLOWED_PAYMENTS[self.status]:
            raise ValueError(f"a {self.status.value} order cannot have payment {self.payment}")
        if (self.status is CustomerOrderStatus.FAILED) != (self.failure_kind is not None):
            raise ValueError("a failed order, and only one, has a failure kind")
        if (self.status is CustomerOrderStatus.CANCELLED) != (self.cancelled_by is not None):
            raise ValueError("a cancelled order, and only one, says who cancelled it")
        if self.payment is PaymentState.CHARGING and not self.payment_token:
            raise ValueError("an unresolved charge needs its payment token")
        charged = {PaymentState.CHARGED, PaymentState.REFUNDING, PaymentState.REFUNDED}
        if self.payment in charged and not self.charge_reference:
            raise ValueError("a charged order has its charge reference")
        if (self.payment in {PaymentState.REFUNDING, PaymentState.REFUNDED}) != (
            self.refund is not None
        ):
            raise ValueError("a refund amount exactly when a refund is owed or made")
        if (self.payment is PaymentState.REFUNDED) != (self.refund_reference is not None):
            raise ValueError("a refund reference exactly when refunded")
        if self.refund is not None and (
            self.refund.currency != self.total.currency
            or not 0 < self.refund.amount <= self.total.amount
        ):
            raise ValueError("a refund is more than nothing and at most the total")

    # -- reading ---------------------------------------------------------------------------

    @property
    def reservation_lines(self) -> tuple[ReservationLine, ...]:
        return tuple(
            ReservationLine(product_id=line.product_id, quantity=line.quantity)
            for line in self.lines
        )

    @property
    def contract_lines(self) -> tuple[CustomerOrderLine, ...]:
        return tuple(line.contract() for line in self.lines)

    @property
    def holds_reservation(self) -> bool:
        """Pending or placed: its units are reserved at the location."""
        return self.status in {CustomerOrderStatus.PENDING_PAYMENT, CustomerOrderStatus.PLACED}

    @property
    def payment_unsettled(self) -> bool:
        return self.payment in UNSETTLED_PAYMENTS

    def payment_due(self, now: datetime) -> bool:
        """Recovery has work here now (an unresolved charge or an owed refund)."""
        return self.payment_unsettled and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )

    def uncollected(self, now: datetime) -> bool:
        return self.status is CustomerOrderStatus.PLACED and self.pick_up_by <= now

    # -- making one ------------------------------------------------------------------------

    @classmethod
    def pending(
        cls,
        *,
        customer_order_id: UUID,
        customer_id: UUID,
        location_id: UUID,
        lines: tuple[OrderLine, ...],
        payment_token: str,
        pick_up_by: datetime,
        payment_deadline: datetime,
        now: datetime,
    ) -> CustomerOrder:
        """Reserved, about to be charged."""
        total = order_total(lines)
        if total.amount <= 0:
            raise InvalidInput("an order must cost something", field="lines")
        return cls(
            customer_order_id=customer_order_id,
            customer_id=customer_id,
            location_id=location_id,
            lines=lines,
            total=total,
            status=CustomerOrderStatus.PENDING_PAYMENT,
            payment=PaymentState.CHARGING,
            payment_token=_text(payment_token, "payment_token", MAX_TOKEN_LENGTH),
            reservation_id=reservation_id_for(customer_order_id),
            pick_up_by=pick_up_by,
            payment_deadline=payment_deadline,
            created_at=now,
            updated_at=now,
        )

    def out_of_stock(self, reason: str) -> CustomerOrder:
        """The pending order as it is kept when its lines could not be reserved: failed,
        nothing charged, nothing reserved."""
        return replace(
            self,
            status=CustomerOrderStatus.FAILED,
            payment=PaymentState.NONE,
            payment_token=None,
            failure_kind=FailureKind.OUT_OF_STOCK,
            failure_reason=_text(reason, "reason", MAX_REASON_LENGTH),
        )

    # -- the payment -----------------------------------------------------------------------

    def _next(self, now: datetime, **changes: object) -> CustomerOrder:
        return replace(self, updated_at=now, version=self.version + 1, **changes)  # type: ignore[arg-type]

    def charged(self, now: datetime, reference: str) -> tuple[CustomerOrder, CustomerOrderPlaced]:
        """Pending → placed."""
        self._require(CustomerOrderStatus.PENDING_PAYMENT)
        placed = self._next(
            now,
            status=CustomerOrderStatus.PLACED,
            payment=PaymentState.CHARGED,
            payment_token=None,
            charge_reference=_text(reference, "reference", MAX_TOKEN_LENGTH),
            next_attempt_at=None,
        )
        return placed, CustomerOrderPlaced(
            occurred_at=now,
            aggregate_version=placed.version,
            customer_order_id=placed.customer_order_id,
            customer_id=placed.customer_id,
            location_id=placed.location_id,
            lines=placed.contract_lines,
            total=placed.total,
            payment_reference=reference,
            pick_up_by=placed.pick_up_by,
        )

    def declined(self, now: datetime, reason: str | None) -> CustomerOrder:
        """Pending → failed: the gateway refused; the caller releases the reservation."""
        self._require(CustomerOrderStatus.PENDING_PAYMENT)
        return self._next(
            now,
            status=CustomerOrderStatus.FAILED,
            payment=PaymentState.DECLINED,
            payment_token=None,
            failure_kind=FailureKind.PAYMENT_DECLINED,
            failure_reason=_text(reason or "payment declined", "reason", MAX_REASON_LENGTH),
            next_attempt_at=None,
        )

    def gave_up(self, now: datetime) -> CustomerOrder:
        """Pending past its payment deadline → failed; the charge stays to be resolved (and
        refunded if it happened); the caller releases the reservation."""
        self._require(CustomerOrderStatus.PENDING_PAYMENT)
        return self._next(
            now,
            status=CustomerOrderStatus.FAILED,
            failure_kind=FailureKind.PAYMENT_TIMEOUT,
            failure_reason="the payment was not confirmed in time",
            next_attempt_at=None,
        )

    def charge_resolved(self, now: datetime, reference: str | None) -> CustomerOrder:
        """A failed order's unresolved charge answered: taken (now owed back) or not."""
        if self.status is not CustomerOrderStatus.FAILED or self.payment is not (
            PaymentState.CHARGING
        ):
            raise ValueError("only a failed order's unresolved charge is resolved")
        if reference is None:
            return self._next(
                now, payment=PaymentState.DECLINED, payment_token=None, next_attempt_at=None
            )
        return self._next(
            now,
            payment=PaymentState.REFUNDING,
            payment_token=None,
            charge_reference=_text(reference, "reference", MAX_TOKEN_LENGTH),
            refund=self.total,
            next_attempt_at=None,
        )

    def refunded(self, now: datetime, reference: str) -> CustomerOrder:
        if self.payment is not PaymentState.REFUNDING:
            raise ValueError("no refund is owed")
        return self._next(
            now,
            payment=PaymentState.REFUNDED,
            refund_reference=_text(reference, "reference", MAX_TOKEN_LENGTH),
            next_attempt_at=None,
        )

    def retry_later(self, now: datetime, at: datetime) -> CustomerOrder:
        """The gateway was unavailable: count the attempt, try again at `at`."""
        if not self.payment_unsettled:
            raise ValueError("nothing to retry")
        return self._next(now, payment_attempts=self.payment_attempts + 1, next_attempt_at=at)

    # -- pick-up or cancellation -----------------------------------------------------------

    def fulfil(self, now: datetime) -> tuple[CustomerOrder, CustomerOrderFulfilled]:
        """Placed → fulfilled; the caller fulfils the reservation (a sale)."""
        self._require(CustomerOrderStatus.PLACED)
        fulfilled = self._next(now, status=CustomerOrderStatus.FULFILLED)
        return fulfilled, CustomerOrderFulfilled(
            occurred_at=now,
            aggregate_version=fulfilled.version,
            customer_order_id=fulfilled.customer_order_id,
            customer_id=fulfilled.customer_id,
            location_id=fulfilled.location_id,
            lines=fulfilled.contract_lines,
            total=fulfilled.total,
        )

    def cancel(
        self, now: datetime, by: CancellingParty, reason: str
    ) -> tuple[CustomerOrder, CustomerOrderCancelled]:
        """Placed → cancelled with the whole amount owed back; the caller releases the
        reservation, then refunds."""
        self._require(CustomerOrderStatus.PLACED)
        cancelled = self._next(
            now,
            status=CustomerOrderStatus.CANCELLED,
            payment=PaymentState.REFUNDING,
            refund=self.total,
            cancelled_by=by,
            cancel_reason=_text(reason, "reason", MAX_REASON_LENGTH),
        )
        assert cancelled.cancel_reason is not None
        return cancelled, CustomerOrderCancelled(
            occurred_at=now,
            aggregate_version=cancelled.version,
            cancelled_by=by.value,
            reason=cancelled.cancel_reason,
            refund=self.total,
            customer_order_id=cancelled.customer_order_id,
            customer_id=cancelled.customer_id,
            location_id=cancelled.location_id,
            lines=cancelled.contract_lines,
            total=cancelled.total,
        )

    # -- helpers ---------------------------------------------------------------------------

    def _require(self, status: CustomerOrderStatus) -> None:
        if self.status is not status:
            raise ValueError(f"a {self.status.value} order cannot do that")


def backoff(attempt: int, base: timedelta, cap: timedelta) -> timedelta:
    """The wait before the next attempt after `attempt` failures: doubling, capped."""
    doubling: int = 2 ** min(max(attempt - 1, 0), 30)
    return min(cap, base * doubling)


# -- errors ----------------------------------------------------------------------------------


class CustomerOrderNotFound(NotFound):
    """No such order, or not one the actor may see (never a 403: ids are not leaked)."""

    code = "customer-order-not-found"
    title = "Order not found"


class CustomerOrderIdTaken(Conflict):
    """The order id the caller chose belongs to another customer's order."""

    code = "customer-order-id-taken"
    title = "Order id already used"


class OutOfStock(Conflict):
    """A line could not be reserved: the order failed, nothing was charged or reserved."""

    code = "out-of-stock"
    title = "Not enough stock"


class CustomerOrderNotCancellable(Conflict):
    code = "customer-order-not-cancellable"
    title = "The order cannot be cancelled"


class CustomerOrderNotFulfillable(Conflict):
    code = "customer-order-not-fulfillable"
    title = "The order cannot be fulfilled"


class ConcurrentCustomerOrderUpdate(Conflict):
    """Another request changed the order at the same moment; try again."""

    code = "customer-order-changed"
    title = "The order was changed concurrently"


class PaymentDeclined(PaymentRequired):
    """The gateway declined the charge (HTTP 402): the order failed, nothing reserved."""

    code = "payment-declined"
    title = "Payment declined"


class PaymentNotConfirmed(Conflict):
    """The gateway did not confirm the charge before the order's deadline: it failed, and
    anything taken is refunded."""

    code = "payment-not-confirmed"
    title = "Payment not confirmed in time"


def customer_order_failure(order: CustomerOrder) -> PetProError | None:
    """The error a failed order stands for (None unless it failed), with the order's id: out
    of stock (409), payment declined (402), payment not confirmed in time (409)."""
    if order.status is not CustomerOrderStatus.FAILED:
        return None
    extra = {"customer_order_id": str(order.customer_order_id)}
    reason = order.failure_reason or "the order failed"
    if order.failure_kind is FailureKind.OUT_OF_STOCK:
        return OutOfStock(reason, **extra)
    if order.failure_kind is FailureKind.PAYMENT_DECLINED:
        return PaymentDeclined(reason, **extra)
    return PaymentNotConfirmed(reason, **extra)
