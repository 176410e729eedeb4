"""The finance report over a range of calendar days (UTC, both ends included): revenue per
clinic per day (gross, refunds, net), refunds per clinic per day, shop sales per location
per day, and payables per vendor (delivered cost posted in the range, balance owed at its
end). Amounts are summed from ledger postings, reversals included, per currency."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from petpro_core.finance.domain.accounts import AccountKind, subject_of
from petpro_core.finance.domain.ledger import AccountBalance, Posting
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.money import Money

MAX_REPORT_DAYS = 366


@dataclass(frozen=True, slots=True)
class Period:
    """Calendar days in UTC, `start` and `end` included."""

    start: date
    end: date

    @classmethod
    def of(cls, start: date, end: date, *, max_days: int = MAX_REPORT_DAYS) -> Period:
        """InvalidInput when `start` is after `end` or the range is longer than `max_days`."""
        if start > end:
            raise InvalidInput(f"from ({start}) is after to ({end})", field="from")
        days = (end - start).days + 1
        if days > max_days:
            raise InvalidInput(
                f"the range spans {days} days; at most {max_days} at a time", field="to"
            )
        return cls(start, end)

    @property
    def first_instant(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_instant(self) -> datetime:
        """The first instant after the range."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class RevenueRow:
    day: date
    clinic_id: UUID
    clinic_name: str | None
    gross: Money
    refunds: Money
    net: Money


@dataclass(frozen=True, slots=True)
class RefundRow:
    day: date
    clinic_id: UUID
    clinic_name: str | None
    amount: Money
    transactions: int


@dataclass(frozen=True, slots=True)
class SalesRow:
    day: date
    location_id: UUID
    amount: Money


@dataclass(frozen=True, slots=True)
class PayableRow:
    vendor_id: UUID
    vendor_name: str | None
    delivered: Money  # posted in the range
    owed: Money  # balance at the end of the range


@dataclass(frozen=True, slots=True)
class FinanceReport:
    period: Period
    revenue: tuple[RevenueRow, ...]
    refunds: tuple[RefundRow, ...]
    inventory_sales: tuple[SalesRow, ...]
    payables: tuple[PayableRow, ...]


REPORT_ACCOUNT_KINDS = (
    AccountKind.REVENUE,
    AccountKind.REFUNDS,
    AccountKind.INVENTORY_SALES,
    AccountKind.PAYABLES,
)

_Key = tuple[date, UUID, str]


def _sums(postings: Iterable[Posting], kind: AccountKind, sign: int) -> dict[_Key, Decimal]:
    """Per (UTC day, subject, currency): debits minus credits, times `sign`."""
    sums: dict[_Key, Decimal] = defaultdict(Decimal)
    for posting in postings:
        subject = subject_of(posting.account, kind)
        if subject is not None:
            key = (posting.occurred_at.astimezone(UTC).date(), subject, posting.amount.currency)
            sums[key] += sign * posting.signed
    return sums


def _count(postings: Iterable[Posting], kind: AccountKind) -> dict[_Key, int]:
    seen: dict[_Key, set[UUID]] = defaultdict(set)
    for posting in postings:
        subject = subject_of(posting.account, kind)
        if subject is not None:
            key = (posting.occurred_at.astimezone(UTC).date(), subject, posting.amount.currency)
            seen[key].add(posting.transaction_id)
    return {key: len(ids) for key, ids in seen.items()}


def _order(key: _Key, names: Mapping[UUID, str]) -> tuple[date, str, str, str]:
    day, subject, currency = key
    return (day, names.get(subject, "").casefold(), str(subject), currency)


def build_report(
    period: Period,
    postings: Iterable[Posting],
    payable_balances: Iterable[AccountBalance],
    clinic_names: Mapping[UUID, str],
    vendor_names: Mapping[UUID, str],
) -> FinanceReport:
    """`postings`: the range's postings on the report's accounts; `payable_balances`: the
    payables accounts' totals up to the end of the range."""
    postings = [p for p in postings if period.first_instant <= p.occurred_at < period.end_instant]
    gross = _sums(postings, AccountKind.REVENUE, -1)
    refunded = _sums(postings, AccountKind.REFUNDS, +1)
    revenue = []
    for key in sorted(set(gross) | set(refunded), key=lambda k: _order(k, clinic_names)):
        day, clinic, currency = key
        g = Money(gross.get(key, Decimal(0)), currency)
        r = Money(refunded.get(key, Decimal(0)), currency)
        revenue.append(RevenueRow(day, clinic, clinic_names.get(clinic), g, r, g - r))
    counts = _count(postings, AccountKind.REFUNDS)
    refunds = []
    for key, amount in sorted(refunded.items(), key=lambda kv: _order(kv[0], clinic_names)):
        day, clinic, currency = key
        refunds.append(
            RefundRow(day, clinic, clinic_names.get(clinic), Money(amount, currency), counts[key])
        )
    sales = [
        SalesRow(day, location, Money(amount, currency))
        for (day, location, currency), amount in sorted(
            _sums(postings, AccountKind.INVENTORY_SALES, -1).items(),
            key=lambda kv: (kv[0][0], str(kv[0][1]), kv[0][2]),
        )
    ]
    delivered: dict[tuple[UUID, str], Decimal] = defaultdict(Decimal)
    for (_, vendor, currency), amount in _sums(postings, AccountKind.PAYABLES, -1).items():
        delivered[(vendor, currency)] += amount
    owed: dict[tuple[UUID, str], Decimal] = defaultdict(Decimal)
    for balance in payable_balances:
        owner = subject_of(balance.account, AccountKind.PAYABLES)
        if owner is not None:
            owed[(owner, balance.currency)] += -balance.balance
    payables = [
        PayableRow(
            vendor,
            vendor_names.get(vendor),
            Money(delivered.get((vendor, currency), Decimal(0)), currency),
            Money(owed.get((vendor, currency), Decimal(0)), currency),
        )
        for vendor, currency in sorted(
            {k for k, v in delivered.items() if v} | {k for k, v in owed.items() if v},
            key=lambda k: (vendor_names.get(k[0], "").casefold(), str(k[0]), k[1]),
        )
    ]
    return FinanceReport(
        period=period,
        revenue=tuple(revenue),
        refunds=tuple(refunds),
        inventory_sales=tuple(sales),
        payables=tuple(payables),
    )
