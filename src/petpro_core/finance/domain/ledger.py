"""The double-entry ledger: transactions of balanced entries, never edited.

A transaction's debits equal its credits in every currency it touches (checked when it is
built). Entries are never changed or deleted: a mistake is corrected by a reversal, a new
transaction with every entry on the other side, and a transaction is reversed at most once
(a reversal is final). Transaction ids are derived from what they post (the event's id, the
reversed transaction's id), so posting the same thing twice collides on the id.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid5

from petpro_core.finance.domain.accounts import parse_account
from petpro_core.finance.domain.errors import NotReversible
from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.money import Money

_NAMESPACE = UUID("0b6f1e8a-5d3c-4f7e-9a21-7c4d2e9f1a30")

# What a reversal's kind is prefixed with is not needed: a reversal keeps its original's
# kind and reference and names the original in `reverses`.
MAX_DESCRIPTION = 500


def transaction_id_for_event(event_id: UUID) -> UUID:
    """The id of the transaction an event posts (at most one per event)."""
    return uuid5(_NAMESPACE, f"event:{event_id}")


def reversal_id_for(transaction_id: UUID) -> UUID:
    """The id of the reversal of a transaction (at most one per transaction)."""
    return uuid5(_NAMESPACE, f"reversal:{transaction_id}")


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"

    @property
    def other(self) -> Side:
        return Side.CREDIT if self is Side.DEBIT else Side.DEBIT


@dataclass(frozen=True, slots=True)
class Entry:
    account: str
    side: Side
    amount: Money  # always positive

    def __post_init__(self) -> None:
        parse_account(self.account)
        if self.amount.amount <= 0:
            raise ValueError(f"an entry's amount is positive, not {self.amount}")

    @property
    def signed(self) -> Decimal:
        """Debits positive, credits negative."""
        return self.amount.amount if self.side is Side.DEBIT else -self.amount.amount

    def mirrored(self) -> Entry:
        return Entry(self.account, self.side.other, self.amount)


def debit(account: str, amount: Money) -> Entry:
    return Entry(account, Side.DEBIT, amount)


def credit(account: str, amount: Money) -> Entry:
    return Entry(account, Side.CREDIT, amount)


def imbalance(entries: tuple[Entry, ...] | list[Entry]) -> dict[str, Decimal]:
    """Debits minus credits per currency, only the currencies that do not balance."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        totals[entry.amount.currency] += entry.signed
    return {currency: total for currency, total in totals.items() if total != 0}


@dataclass(frozen=True, kw_only=True)
class Transaction:
    """`kind` is the name of the event it posts (a reversal keeps its original's kind);
    `reference` what it is about (`payment:<id>`, `booking:<id>`, `purchase_order:<id>`,
    `customer_order:<id>`); `occurred_at` dates it in reports (the event's time; a
    reversal's own time); `source_event_id` is the event posted (None for a reversal)."""

    transaction_id: UUID
    kind: str
    reference: str
    occurred_at: datetime
    recorded_at: datetime
    description: str
    entries: tuple[Entry, ...]
    source_event_id: UUID | None = None
    reverses: UUID | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "occurred_at", ensure_aware(self.occurred_at))
        object.__setattr__(self, "recorded_at", ensure_aware(self.recorded_at))
        if not self.kind or not self.reference:
            raise ValueError("a transaction has a kind and a reference")
        if len(self.description) > MAX_DESCRIPTION:
            raise ValueError(f"a description is at most {MAX_DESCRIPTION} characters")
        if len(self.entries) < 2:
            raise ValueError("a transaction has at least two entries")
        unbalanced = imbalance(self.entries)
        if unbalanced:
            shown = ", ".join(f"{amount} {currency}" for currency, amount in unbalanced.items())
            raise ValueError(f"debits and credits differ by {shown}")
        if (self.source_event_id is None) == (self.reverses is None):
            raise ValueError("a transaction posts an event or reverses a transaction")

    @property
    def is_reversal(self) -> bool:
        return self.reverses is not None

    def reversal(self, *, now: datetime, reason: str) -> Transaction:
        """The mirror of this transaction, dated `now`. NotReversible for a reversal."""
        if self.is_reversal:
            raise NotReversible(
                "a reversal cannot be reversed; post a correcting entry instead",
                transaction_id=str(self.transaction_id),
            )
        return Transaction(
            transaction_id=reversal_id_for(self.transaction_id),
            kind=self.kind,
            reference=self.reference,
            occurred_at=now,
            recorded_at=now,
            description=f"reversal of {self.transaction_id}: {reason}"[:MAX_DESCRIPTION],
            entries=tuple(entry.mirrored() for entry in self.entries),
            reverses=self.transaction_id,
        )


@dataclass(frozen=True, slots=True)
class Posting:
    """One entry with what reports need of its transaction."""

    transaction_id: UUID
    kind: str
    reference: str
    occurred_at: datetime
    account: str
    side: Side
    amount: Money

    @property
    def signed(self) -> Decimal:
        return self.amount.amount if self.side is Side.DEBIT else -self.amount.amount


def postings_of(transaction: Transaction) -> list[Posting]:
    return [
        Posting(
            transaction_id=transaction.transaction_id,
            kind=transaction.kind,
            reference=transaction.reference,
            occurred_at=transaction.occurred_at,
            account=entry.account,
            side=entry.side,
            amount=entry.amount,
        )
        for entry in transaction.entries
    ]


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """The totals of one account in one currency; `balance` is debits minus credits."""

    account: str
    currency: str
    debits: Decimal
    credits: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debits - self.credits


@dataclass(frozen=True, slots=True)
class TrialBalance:
    accounts: tuple[AccountBalance, ...]
    transactions: int = 0  # how many transactions the ledger holds

    @property
    def totals(self) -> dict[str, Decimal]:
        """Debits minus credits over every account, per currency: always zero."""
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for row in self.accounts:
            totals[row.currency] += row.balance
        return dict(sorted(totals.items()))

    @property
    def balanced(self) -> bool:
        return all(total == 0 for total in self.totals.values())
