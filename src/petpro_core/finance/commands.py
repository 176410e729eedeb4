"""Messages the finance context accepts. Every one is an administrator's: reports,
the trial balance, reconciliation, and reversing a transaction (the one correction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from petpro_core.shared.actors import Actor
from petpro_core.shared.messagebus import Command

__all__ = [
    "GetFinanceReport",
    "GetTransaction",
    "GetTrialBalance",
    "ListTransactions",
    "ReconcilePayments",
    "ReverseTransaction",
]


@dataclass(frozen=True, kw_only=True)
class GetFinanceReport(Command):
    """Revenue, refunds, shop sales and payables over calendar days in UTC (both ends
    included)."""

    actor: Actor
    start: date
    end: date


@dataclass(frozen=True, kw_only=True)
class GetTrialBalance(Command):
    actor: Actor


@dataclass(frozen=True, kw_only=True)
class ReconcilePayments(Command):
    """Compare the booking context's payments with the ledger: payments charged in the
    range, or every payment when neither end is given."""

    actor: Actor
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True, kw_only=True)
class ReverseTransaction(Command):
    actor: Actor
    transaction_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class GetTransaction(Command):
    actor: Actor
    transaction_id: UUID


@dataclass(frozen=True, kw_only=True)
class ListTransactions(Command):
    """Transactions dated in the range of UTC days, oldest first."""

    actor: Actor
    start: date
    end: date
    limit: int = 200
