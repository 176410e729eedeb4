"""The posting rules: what each event writes to the ledger, as pure functions.

- payment.processed (amount A): Dr payments_clearing A / Cr revenue:clinic A.
- booking.cancelled (refund R): Dr refunds:clinic R / Cr refunds_payable R; R = 0: nothing.
- payment.refunded (A), cause "failed": Dr refunds:clinic A / Cr payments_clearing A;
  cause "cancelled" or none: Dr refunds_payable A / Cr payments_clearing A.
- customer_order.placed (total T): Dr payments_clearing T / Cr customer_deposits T.
- customer_order.fulfilled (T): Dr customer_deposits T / Cr inventory_sales:location T.
- customer_order.cancelled (T, refund F): Dr customer_deposits T / Cr payments_clearing F,
  Cr inventory_sales:location (T - F) when something is kept.
- order.delivered (cumulative cost C, P posted before for the purchase order):
  Dr inventory (C - P) / Cr payables:vendor (C - P); C <= P: nothing.

Each rule reads only its own event (and, for deliveries, what the purchase order has
posted), so the order events arrive in does not change the outcome. A cancelled shop order
keeps what it does not refund (a refund is normally the whole amount) as a sale at its
location. `order.created` and `order.cancelled` post nothing: a commitment is not a ledger
entry, and what was delivered stays payable.

The rules read only the fields `petpro_core.finance.expectations` lists (plus the optional
`cause` of payment.refunded) and the event's id.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from petpro_core.contracts.booking import BookingCancelled, PaymentProcessed, PaymentRefunded
from petpro_core.contracts.inventory import (
    CustomerOrderCancelled,
    CustomerOrderFulfilled,
    CustomerOrderPlaced,
)
from petpro_core.contracts.vendor import OrderDelivered
from petpro_core.finance.domain.accounts import (
    CUSTOMER_DEPOSITS,
    INVENTORY,
    PAYMENTS_CLEARING,
    REFUNDS_PAYABLE,
    inventory_sales,
    payables,
    refunds,
    revenue,
)
from petpro_core.finance.domain.ledger import (
    Entry,
    Transaction,
    credit,
    debit,
    transaction_id_for_event,
)
from petpro_core.shared.events import Event
from petpro_core.shared.money import Money

REFUND_CAUSE_FAILED = "failed"


def payment_reference(payment_id: UUID) -> str:
    return f"payment:{payment_id}"


def booking_reference(booking_id: UUID) -> str:
    return f"booking:{booking_id}"


def purchase_order_reference(purchase_order_id: UUID) -> str:
    return f"purchase_order:{purchase_order_id}"


def customer_order_reference(customer_order_id: UUID) -> str:
    return f"customer_order:{customer_order_id}"


def _transaction(
    event: Event,
    *,
    kind: str,
    reference: str,
    now: datetime,
    description: str,
    entries: list[Entry],
) -> Transaction:
    """The event's posting: its id derives the transaction's, and it is dated when the event
    occurred. (`kind` is the event's name, given as text: handlers read only payload fields.)"""
    return Transaction(
        transaction_id=transaction_id_for_event(event.event_id),
        kind=kind,
        reference=reference,
        occurred_at=event.occurred_at,
        recorded_at=now,
        description=description,
        entries=tuple(entries),
        source_event_id=event.event_id,
    )


def payment_processed(event: PaymentProcessed, now: datetime) -> Transaction:
    return _transaction(
        event,
        kind="payment.processed",
        reference=payment_reference(event.payment_id),
        now=now,
        description=f"payment {event.payment_id} ({event.method}) for booking {event.booking_id}",
        entries=[
            debit(PAYMENTS_CLEARING, event.amount),
            credit(revenue(event.clinic_id), event.amount),
        ],
    )


def booking_cancelled(event: BookingCancelled, now: datetime) -> Transaction | None:
    """The refund owed on a cancelled booking, recognised; none when nothing is refunded."""
    if event.refund.amount <= 0:
        return None
    return _transaction(
        event,
        kind="booking.cancelled",
        reference=booking_reference(event.booking_id),
        now=now,
        description=f"refund owed on cancelled booking {event.booking_id}",
        entries=[
            debit(refunds(event.clinic_id), event.refund),
            credit(REFUNDS_PAYABLE, event.refund),
        ],
    )


def payment_refunded(event: PaymentRefunded, now: datetime) -> Transaction:
    """Money given back. A failed booking never earned it: the refund is recognised and paid
    at once. Otherwise it settles the refund its cancellation recognised."""
    failed = event.cause == REFUND_CAUSE_FAILED
    owed_from = refunds(event.clinic_id) if failed else REFUNDS_PAYABLE
    return _transaction(
        event,
        kind="payment.refunded",
        reference=payment_reference(event.payment_id),
        now=now,
        description=(
            f"refund of payment {event.payment_id} for booking {event.booking_id}"
            f" ({'failed booking' if failed else 'cancelled booking'})"
        ),
        entries=[debit(owed_from, event.amount), credit(PAYMENTS_CLEARING, event.amount)],
    )


def customer_order_placed(event: CustomerOrderPlaced, now: datetime) -> Transaction | None:
    if event.total.amount <= 0:
        return None
    return _transaction(
        event,
        kind="customer_order.placed",
        reference=customer_order_reference(event.customer_order_id),
        now=now,
        description=f"shop order {event.customer_order_id} paid ({event.payment_reference})",
        entries=[debit(PAYMENTS_CLEARING, event.total), credit(CUSTOMER_DEPOSITS, event.total)],
    )


def customer_order_fulfilled(event: CustomerOrderFulfilled, now: datetime) -> Transaction | None:
    if event.total.amount <= 0:
        return None
    return _transaction(
        event,
        kind="customer_order.fulfilled",
        reference=customer_order_reference(event.customer_order_id),
        now=now,
        description=f"shop order {event.customer_order_id} collected",
        entries=[
            debit(CUSTOMER_DEPOSITS, event.total),
            credit(inventory_sales(event.location_id), event.total),
        ],
    )


def customer_order_cancelled(event: CustomerOrderCancelled, now: datetime) -> Transaction | None:
    """The deposit goes back as the refund; what is not refunded stays as a sale."""
    total, refund = event.total, event.refund
    if total.amount <= 0:
        return None
    kept = total - refund
    entries = [debit(CUSTOMER_DEPOSITS, total)]
    if refund.amount > 0:
        entries.append(credit(PAYMENTS_CLEARING, refund))
    if kept.amount > 0:
        entries.append(credit(inventory_sales(event.location_id), kept))
    return _transaction(
        event,
        kind="customer_order.cancelled",
        reference=customer_order_reference(event.customer_order_id),
        now=now,
        description=f"shop order {event.customer_order_id} cancelled, {refund} refunded",
        entries=entries,
    )


def order_delivered(
    event: OrderDelivered, already_posted: Money | None, now: datetime
) -> Transaction | None:
    """The increase of the purchase order's cumulative delivered cost over what it has
    posted; nothing for an older (or repeated) cumulative total."""
    total = event.total_cost
    if already_posted is not None and already_posted.currency != total.currency:
        raise ValueError(
            f"purchase order {event.purchase_order_id} is posted in {already_posted.currency},"
            f" not {total.currency}"
        )
    increase = total if already_posted is None else total - already_posted
    if increase.amount <= 0:
        return None
    return _transaction(
        event,
        kind="order.delivered",
        reference=purchase_order_reference(event.purchase_order_id),
        now=now,
        description=(
            f"purchase order {event.purchase_order_id}: {event.quantity_delivered} units"
            f" delivered, {total} in all"
        ),
        entries=[debit(INVENTORY, increase), credit(payables(event.vendor_id), increase)],
    )
