"""The finance consumer on memory: every event posted once whatever the delivery (repeats,
shuffles, a replay after the inbox forgot), the ledger always balanced, reversals, the
trial balance, reports and reconciliation; driven through the subscription and the bus."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from petpro_core.contracts.catalog import subscribed_by
from petpro_core.finance.commands import (
    GetFinanceReport,
    GetTransaction,
    GetTrialBalance,
    ListTransactions,
    ReconcilePayments,
    ReverseTransaction,
)
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
from petpro_core.finance.domain.errors import (
    AlreadyReversed,
    NotReversible,
    TransactionNotFound,
)
from petpro_core.finance.domain.ledger import TrialBalance, transaction_id_for_event
from petpro_core.finance.domain.reconciliation import DifferenceKind, Reconciliation
from petpro_core.finance.domain.reports import FinanceReport
from petpro_core.finance.expectations import EXPECTED_FIELDS
from petpro_core.shared.errors import InvalidInput, PermissionDenied
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from tests.support.finance import (
    ADMIN,
    CLINIC,
    LOCATION,
    OTHER_CLINIC,
    STAFF,
    T0,
    VENDOR,
    FinanceHarness,
    booking_cancelled,
    clinic_event,
    delivered,
    eur,
    order_cancelled,
    order_fulfilled,
    order_placed,
    payment_processed,
    payment_refunded,
    purchase_order_cancelled,
    purchase_order_created,
)

DAY = T0.date()
PURCHASE_ORDER = UUID("00000000-0000-4000-8000-0000000000a1")


@pytest.fixture
async def harness() -> AsyncIterator[FinanceHarness]:
    """A fresh ledger, which must sum to zero (per currency) once the test is done."""
    finance = FinanceHarness()
    yield finance
    trial = await finance.execute(GetTrialBalance(actor=ADMIN))
    assert trial.balanced and all(total == 0 for total in trial.totals.values()), trial.totals


def business() -> list[Event]:
    """A day and a bit of business at two clinics, the shop and a vendor."""
    p1 = payment_processed(eur("80.00"), payment_id=UUID(int=101))
    p2 = payment_processed(eur("50.00"), clinic=OTHER_CLINIC, payment_id=UUID(int=102))
    p3 = payment_processed(eur("60.00"), payment_id=UUID(int=103), at=T0 + timedelta(days=1))
    placed = order_placed(eur("30.00"))
    placed_too = order_placed(eur("20.00"))
    return [
        clinic_event("Happy Paws"),
        clinic_event("Vet Central", clinic=OTHER_CLINIC),
        p1,
        p2,
        p3,
        booking_cancelled(p1, eur("40.00")),
        payment_refunded(p1, eur("40.00")),
        payment_refunded(p3, cause="failed"),
        placed,
        order_fulfilled(placed),
        placed_too,
        order_cancelled(placed_too),
        purchase_order_created(PURCHASE_ORDER),
        delivered(PURCHASE_ORDER, 4, eur("40.00")),
        delivered(PURCHASE_ORDER, 8, eur("80.00"), at=T0 + timedelta(days=1)),
        purchase_order_cancelled(PURCHASE_ORDER, 8),
    ]


async def balances(harness: FinanceHarness) -> dict[tuple[str, str], Decimal]:
    trial: TrialBalance = await harness.execute(GetTrialBalance(actor=ADMIN))
    assert trial.balanced
    return {(row.account, row.currency): row.balance for row in trial.accounts}


async def transactions(harness: FinanceHarness) -> int:
    assert harness.store is not None
    return len(harness.store.state.transactions)


def test_the_subscription_covers_the_catalog_except_user_updates() -> None:
    names = set(FinanceHarness().subscription.event_names)
    assert names == {e.name for e in subscribed_by("finance")} - {"user.updated"}
    assert names <= set(EXPECTED_FIELDS)


async def test_each_event_posts_its_rule_and_the_ledger_balances(harness: FinanceHarness) -> None:
    await harness.post_each(*business())
    assert await balances(harness) == {
        (CUSTOMER_DEPOSITS, "EUR"): Decimal("0.00"),
        (INVENTORY, "EUR"): Decimal("80.00"),
        (PAYMENTS_CLEARING, "EUR"): Decimal("120.00"),  # 80 + 50 + 60 + 30 + 20 - 40 - 60 - 20
        (REFUNDS_PAYABLE, "EUR"): Decimal("0.00"),
        (inventory_sales(LOCATION), "EUR"): Decimal("-30.00"),
        (payables(VENDOR), "EUR"): Decimal("-80.00"),
        (refunds(CLINIC), "EUR"): Decimal("100.00"),
        (revenue(CLINIC), "EUR"): Decimal("-140.00"),
        (revenue(OTHER_CLINIC), "EUR"): Decimal("-50.00"),
    }
    # 3 charges, 1 cancellation, 2 refunds, 4 shop postings, 2 deliveries.
    assert await transactions(harness) == 12


@pytest.mark.parametrize("seed", range(5))
async def test_repeated_and_shuffled_events_post_the_same_ledger(seed: int) -> None:
    in_order = FinanceHarness()
    events = business()
    await in_order.post_each(*events)
    expected = await balances(in_order)

    shuffled = FinanceHarness()
    rng = random.Random(seed)
    doubled = events + rng.sample(events, k=len(events) // 2)
    rng.shuffle(doubled)
    batches = [doubled[i : i + 3] for i in range(0, len(doubled), 3)]
    await shuffled.deliver(*batches)
    assert await balances(shuffled) == expected
    # The larger delivery first posts the whole cost at once; the smaller then posts nothing.
    assert await transactions(shuffled) in (11, 12)


async def test_a_replay_the_inbox_forgot_posts_nothing_new(harness: FinanceHarness) -> None:
    events = business()
    await harness.post_each(*events)
    before = await balances(harness)
    assert harness.store is not None
    harness.store.state.inbox.clear()  # pruned
    assert len(await harness.deliver(events)) == len(events)  # handled again...
    assert await balances(harness) == before  # ...and posted nothing
    assert await transactions(harness) == 12


async def test_an_older_cumulative_delivery_posts_nothing(harness: FinanceHarness) -> None:
    order = new_id()
    await harness.post_each(
        delivered(order, 10, eur("100.00")),
        delivered(order, 4, eur("40.00")),
        delivered(order, 7, eur("70.00")),
    )
    assert (await balances(harness))[(payables(VENDOR), "EUR")] == Decimal("-100.00")
    assert await transactions(harness) == 1


async def test_the_handlers_read_only_the_expected_fields(harness: FinanceHarness) -> None:
    read: dict[str, set[str]] = {}

    class Recording:
        def __init__(self, event: Event) -> None:
            self._event = event

        def __getattr__(self, name: str) -> Any:
            read.setdefault(self._event.NAME, set()).add(name)
            return getattr(self._event, name)

    for event in business():
        async with harness.subscription.unit_of_work() as uow:
            handler = harness.subscription.handler_for(event)
            assert handler is not None
            await handler(Recording(event), uow)
    for name, fields in read.items():
        allowed = (
            EXPECTED_FIELDS[name] | {"event_id"} | ({"cause"} if "refunded" in name else set())
        )
        assert fields <= allowed, (name, fields - allowed)
    assert read["payment.refunded"] >= {"cause", "amount"}


async def test_a_reversal_mirrors_the_transaction_once(harness: FinanceHarness) -> None:
    payment = payment_processed(eur("80.00"))
    await harness.post_each(payment)
    posted = transaction_id_for_event(payment.event_id)
    reversal = await harness.execute(
        ReverseTransaction(actor=ADMIN, transaction_id=posted, reason="  duplicate  charge ")
    )
    assert reversal.reverses == posted and "duplicate charge" in reversal.description
    assert reversal.occurred_at == harness.clock.now()
    assert set((await balances(harness)).values()) == {Decimal("0.00")}
    with pytest.raises(AlreadyReversed):
        await harness.execute(ReverseTransaction(actor=ADMIN, transaction_id=posted, reason="x"))
    with pytest.raises(NotReversible):
        await harness.execute(
            ReverseTransaction(actor=ADMIN, transaction_id=reversal.transaction_id, reason="x")
        )
    with pytest.raises(TransactionNotFound):
        await harness.execute(ReverseTransaction(actor=ADMIN, transaction_id=new_id(), reason="x"))
    with pytest.raises(InvalidInput, match="reason"):
        await harness.execute(ReverseTransaction(actor=ADMIN, transaction_id=posted, reason=" "))
    with pytest.raises(PermissionDenied):
        await harness.execute(ReverseTransaction(actor=STAFF, transaction_id=posted, reason="x"))
    found = await harness.execute(GetTransaction(actor=ADMIN, transaction_id=posted))
    assert found.transaction_id == posted
    listed = await harness.execute(
        ListTransactions(actor=ADMIN, start=DAY, end=harness.clock.now().date())
    )
    assert [t.transaction_id for t in listed] == [posted, reversal.transaction_id]


async def test_the_report_sums_revenue_refunds_sales_and_payables(harness: FinanceHarness) -> None:
    await harness.post_each(*business())
    report: FinanceReport = await harness.execute(
        GetFinanceReport(actor=ADMIN, start=DAY, end=DAY + timedelta(days=1))
    )
    assert [
        (r.day, r.clinic_name, str(r.gross.amount), str(r.refunds.amount), str(r.net.amount))
        for r in report.revenue
    ] == [
        (DAY, "Happy Paws", "80.00", "40.00", "40.00"),
        (DAY, "Vet Central", "50.00", "0", "50.00"),
        (DAY + timedelta(days=1), "Happy Paws", "60.00", "60.00", "0.00"),
    ]
    assert [(r.day, r.clinic_id, r.amount, r.transactions) for r in report.refunds] == [
        (DAY, CLINIC, eur("40.00"), 1),
        (DAY + timedelta(days=1), CLINIC, eur("60.00"), 1),
    ]
    assert [(r.day, r.location_id, r.amount) for r in report.inventory_sales] == [
        (DAY, LOCATION, eur("30.00"))
    ]
    assert [(p.vendor_id, p.vendor_name, p.delivered, p.owed) for p in report.payables] == [
        (VENDOR, "Acme", eur("80.00"), eur("80.00"))
    ]
    # The first day alone: what was delivered then, and what was owed at its end.
    first: FinanceReport = await harness.execute(GetFinanceReport(actor=ADMIN, start=DAY, end=DAY))
    assert [(p.delivered, p.owed) for p in first.payables] == [(eur("40.00"), eur("40.00"))]
    assert len(first.revenue) == 2
    # A later name wins; one from an older event does not.
    newer = clinic_event("Happy Paws & Claws", updated=True)
    await harness.post_each(newer, clinic_event("Old Name", event_id=UUID(int=5)))
    renamed: FinanceReport = await harness.execute(
        GetFinanceReport(actor=ADMIN, start=DAY, end=DAY)
    )
    assert renamed.revenue[0].clinic_name == "Happy Paws & Claws"


async def test_reports_are_for_admins_over_a_sane_range(harness: FinanceHarness) -> None:
    with pytest.raises(PermissionDenied):
        await harness.execute(GetFinanceReport(actor=STAFF, start=DAY, end=DAY))
    with pytest.raises(InvalidInput, match="after"):
        await harness.execute(GetFinanceReport(actor=ADMIN, start=DAY, end=DAY - timedelta(days=1)))
    with pytest.raises(InvalidInput, match="at most"):
        await harness.execute(
            GetFinanceReport(actor=ADMIN, start=DAY, end=DAY + timedelta(days=400))
        )
    with pytest.raises(PermissionDenied):
        await harness.execute(GetTrialBalance(actor=STAFF))
    with pytest.raises(InvalidInput, match="both"):
        await harness.execute(ReconcilePayments(actor=ADMIN, start=DAY))


async def test_reconciliation_finds_each_kind_of_difference(harness: FinanceHarness) -> None:
    agree = payment_processed(eur("80.00"), payment_id=UUID(int=1))
    unposted = payment_processed(eur("50.00"), payment_id=UUID(int=2))
    unknown = payment_processed(eur("60.00"), payment_id=UUID(int=3))
    other_amount = payment_processed(eur("70.00"), payment_id=UUID(int=4))
    other_refund = payment_processed(eur("90.00"), payment_id=UUID(int=5))
    reversed_charge = payment_processed(eur("10.00"), payment_id=UUID(int=6))
    harness.payments.add(agree, refunded=eur("80.00"))
    harness.payments.add(unposted)
    harness.payments.add(other_amount, charged=eur("75.00"))
    harness.payments.add(other_refund, refunded=eur("45.00"))
    harness.payments.add(reversed_charge)
    await harness.post_each(
        agree,
        payment_refunded(agree, cause="failed"),
        unknown,
        other_amount,
        other_refund,
        payment_refunded(other_refund, eur("40.00")),
        reversed_charge,
    )
    await harness.execute(
        ReverseTransaction(
            actor=ADMIN,
            transaction_id=transaction_id_for_event(reversed_charge.event_id),
            reason="never charged",
        )
    )
    result: Reconciliation = await harness.execute(ReconcilePayments(actor=ADMIN))
    assert [(d.kind, d.payment_id, d.booking, d.ledger) for d in result.differences] == [
        (DifferenceKind.MISSING_IN_LEDGER, UUID(int=2), "50.00 EUR", "—"),
        (DifferenceKind.MISSING_IN_BOOKING, UUID(int=3), "—", "60.00 EUR"),
        (DifferenceKind.CHARGED_DIFFERS, UUID(int=4), "75.00 EUR", "70.00 EUR"),
        (DifferenceKind.REFUNDED_DIFFERS, UUID(int=5), "45.00 EUR", "40.00 EUR"),
        (DifferenceKind.MISSING_IN_LEDGER, UUID(int=6), "10.00 EUR", "—"),
    ]
    assert result.payments_compared == 6 and not result.matches
    assert result.differences[0].booking_id == unposted.booking_id
    assert result.differences[0].clinic_id == CLINIC

    # A range holds the payments charged in it, on both sides.
    later = payment_processed(eur("20.00"), at=T0 + timedelta(days=2))
    harness.payments.add(later)
    await harness.post_each(later)
    ranged: Reconciliation = await harness.execute(
        ReconcilePayments(actor=ADMIN, start=later.occurred_at.date(), end=later.occurred_at.date())
    )
    assert ranged.matches and ranged.payments_compared == 1
    with pytest.raises(PermissionDenied):
        await harness.execute(ReconcilePayments(actor=STAFF))
