"""The ledger's rules on values: balanced transactions, the chart of accounts, reversals,
and each posting rule on its own event."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from petpro_core.finance.domain import rules
from petpro_core.finance.domain.accounts import (
    CUSTOMER_DEPOSITS,
    INVENTORY,
    PAYMENTS_CLEARING,
    REFUNDS_PAYABLE,
    inventory_sales,
    parse_account,
    payables,
    refunds,
    revenue,
)
from petpro_core.finance.domain.errors import NotReversible
from petpro_core.finance.domain.ledger import (
    Entry,
    Side,
    Transaction,
    credit,
    debit,
    reversal_id_for,
    transaction_id_for_event,
)
from petpro_core.finance.domain.reports import Period
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from tests.support.finance import (
    CLINIC,
    LOCATION,
    T0,
    VENDOR,
    booking_cancelled,
    delivered,
    eur,
    order_cancelled,
    order_fulfilled,
    order_placed,
    payment_processed,
    payment_refunded,
)


def a_transaction(*entries: Entry) -> Transaction:
    return Transaction(
        transaction_id=new_id(),
        kind="payment.processed",
        reference="payment:x",
        occurred_at=T0,
        recorded_at=T0,
        description="test",
        entries=entries,
        source_event_id=new_id(),
    )


def sides(transaction: Transaction | None) -> list[tuple[str, Side, Decimal]]:
    assert transaction is not None
    return [(e.account, e.side, e.amount.amount) for e in transaction.entries]


def test_a_transaction_balances_per_currency() -> None:
    a_transaction(debit(PAYMENTS_CLEARING, eur(10)), credit(revenue(CLINIC), eur(10)))
    with pytest.raises(ValueError, match=r"differ by 1\.00 EUR"):
        a_transaction(debit(PAYMENTS_CLEARING, eur(11)), credit(revenue(CLINIC), eur(10)))
    usd = Money(Decimal("10.00"), "USD")
    with pytest.raises(ValueError, match="differ by"):
        a_transaction(debit(PAYMENTS_CLEARING, eur(10)), credit(revenue(CLINIC), usd))
    with pytest.raises(ValueError, match="at least two"):
        a_transaction(debit(PAYMENTS_CLEARING, eur(10)))


def test_entries_are_positive_and_on_accounts_of_the_chart() -> None:
    with pytest.raises(ValueError, match="positive"):
        Entry(PAYMENTS_CLEARING, Side.DEBIT, eur(0))
    with pytest.raises(ValueError, match="positive"):
        Entry(PAYMENTS_CLEARING, Side.DEBIT, eur(-5))
    for bad in ("cash", "revenue:clinic:not-a-uuid", "revenue:clinic:", f"revenue:vendor:{VENDOR}"):
        with pytest.raises(ValueError, match="not an account"):
            parse_account(bad)
    assert parse_account(payables(VENDOR)).subject_id == VENDOR
    assert parse_account(INVENTORY).kind is None


def test_a_reversal_mirrors_every_entry_once_and_is_final() -> None:
    original = rules.payment_processed(payment_processed(eur("80.00")), T0)
    later = T0 + timedelta(days=3)
    reversal = original.reversal(now=later, reason="charged twice")
    assert reversal.transaction_id == reversal_id_for(original.transaction_id)
    assert reversal.reverses == original.transaction_id and reversal.occurred_at == later
    assert reversal.kind == original.kind and reversal.reference == original.reference
    assert sides(reversal) == [
        (PAYMENTS_CLEARING, Side.CREDIT, Decimal("80.00")),
        (revenue(CLINIC), Side.DEBIT, Decimal("80.00")),
    ]
    assert "charged twice" in reversal.description
    with pytest.raises(NotReversible):
        reversal.reversal(now=later, reason="undo the undo")


def test_payment_processed_posts_revenue_of_its_clinic() -> None:
    event = payment_processed(eur("80.00"))
    posted = rules.payment_processed(event, T0)
    assert posted.transaction_id == transaction_id_for_event(event.event_id)
    assert posted.occurred_at == event.occurred_at and posted.source_event_id == event.event_id
    assert sides(posted) == [
        (PAYMENTS_CLEARING, Side.DEBIT, Decimal("80.00")),
        (revenue(CLINIC), Side.CREDIT, Decimal("80.00")),
    ]


def test_a_cancellation_recognises_the_refund_owed_and_nothing_without_one() -> None:
    payment = payment_processed(eur("80.00"))
    assert sides(rules.booking_cancelled(booking_cancelled(payment, eur("40.00")), T0)) == [
        (refunds(CLINIC), Side.DEBIT, Decimal("40.00")),
        (REFUNDS_PAYABLE, Side.CREDIT, Decimal("40.00")),
    ]
    assert rules.booking_cancelled(booking_cancelled(payment, eur(0)), T0) is None


@pytest.mark.parametrize("cause", ["cancelled", None])
def test_a_refund_after_a_cancellation_settles_what_is_owed(cause: str | None) -> None:
    payment = payment_processed(eur("80.00"))
    posted = rules.payment_refunded(payment_refunded(payment, eur("40.00"), cause=cause), T0)
    assert sides(posted) == [
        (REFUNDS_PAYABLE, Side.DEBIT, Decimal("40.00")),
        (PAYMENTS_CLEARING, Side.CREDIT, Decimal("40.00")),
    ]


def test_a_refund_of_a_failed_booking_is_recognised_and_paid_at_once() -> None:
    payment = payment_processed(eur("80.00"))
    posted = rules.payment_refunded(payment_refunded(payment, cause="failed"), T0)
    assert sides(posted) == [
        (refunds(CLINIC), Side.DEBIT, Decimal("80.00")),
        (PAYMENTS_CLEARING, Side.CREDIT, Decimal("80.00")),
    ]


def test_shop_orders_move_deposits_to_sales_or_back_to_the_customer() -> None:
    placed = order_placed(eur("30.00"))
    assert sides(rules.customer_order_placed(placed, T0)) == [
        (PAYMENTS_CLEARING, Side.DEBIT, Decimal("30.00")),
        (CUSTOMER_DEPOSITS, Side.CREDIT, Decimal("30.00")),
    ]
    assert sides(rules.customer_order_fulfilled(order_fulfilled(placed), T0)) == [
        (CUSTOMER_DEPOSITS, Side.DEBIT, Decimal("30.00")),
        (inventory_sales(LOCATION), Side.CREDIT, Decimal("30.00")),
    ]
    assert sides(rules.customer_order_cancelled(order_cancelled(placed), T0)) == [
        (CUSTOMER_DEPOSITS, Side.DEBIT, Decimal("30.00")),
        (PAYMENTS_CLEARING, Side.CREDIT, Decimal("30.00")),
    ]
    # What is not refunded is kept as a sale at the location.
    assert sides(rules.customer_order_cancelled(order_cancelled(placed, eur("25.00")), T0)) == [
        (CUSTOMER_DEPOSITS, Side.DEBIT, Decimal("30.00")),
        (PAYMENTS_CLEARING, Side.CREDIT, Decimal("25.00")),
        (inventory_sales(LOCATION), Side.CREDIT, Decimal("5.00")),
    ]


def test_a_delivery_posts_only_the_increase_of_the_cumulative_cost() -> None:
    order = new_id()
    first = delivered(order, 4, eur("40.00"))
    assert sides(rules.order_delivered(first, None, T0)) == [
        (INVENTORY, Side.DEBIT, Decimal("40.00")),
        (payables(VENDOR), Side.CREDIT, Decimal("40.00")),
    ]
    later = delivered(order, 10, eur("100.00"))
    assert sides(rules.order_delivered(later, eur("40.00"), T0)) == [
        (INVENTORY, Side.DEBIT, Decimal("60.00")),
        (payables(VENDOR), Side.CREDIT, Decimal("60.00")),
    ]
    assert rules.order_delivered(first, eur("100.00"), T0) is None
    assert rules.order_delivered(later, eur("100.00"), T0) is None


def test_a_period_is_whole_utc_days_in_order_and_not_too_long() -> None:
    period = Period.of(T0.date(), T0.date())
    assert period.end_instant - period.first_instant == timedelta(days=1)
    with pytest.raises(InvalidInput, match="after"):
        Period.of(T0.date(), T0.date() - timedelta(days=1))
    with pytest.raises(InvalidInput, match="at most 366"):
        Period.of(T0.date(), T0.date() + timedelta(days=366))
    assert Period.of(T0.date(), T0.date() + timedelta(days=365))


def test_transaction_ids_are_derived_from_what_they_post() -> None:
    event_id = UUID("01890000-0000-7000-8000-000000000001")
    assert transaction_id_for_event(event_id) == transaction_id_for_event(event_id)
    assert transaction_id_for_event(event_id) != reversal_id_for(event_id)
