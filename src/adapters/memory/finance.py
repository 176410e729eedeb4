"""In-memory adapters of the finance context: the ledger, delivered costs per purchase
order, the name book, the inbox and the unit of work (the reference for the SQL ones).

The ledger is append-only here too: `add` never replaces a stored transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from adapters.memory.inbox import InMemoryInbox
from adapters.memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from petpro_core.finance.domain.accounts import PAYMENTS_CLEARING, AccountKind
from petpro_core.finance.domain.ledger import (
    AccountBalance,
    Posting,
    Side,
    Transaction,
    postings_of,
)
from petpro_core.finance.domain.reconciliation import LedgerPayment
from petpro_core.finance.ports import DeliveredCosts, Ledger, NameBook
from petpro_core.shared.money import Money
from petpro_core.shared.subscriptions import Inbox

PAYMENT_PREFIX = "payment:"
CHARGE_KIND = "payment.processed"
REFUND_KIND = "payment.refunded"


@dataclass
class FinanceState:
    # In the order they were posted.
    transactions: dict[UUID, Transaction] = field(default_factory=dict)
    reversals: dict[UUID, UUID] = field(default_factory=dict)  # reversed id → reversal id
    delivered: dict[UUID, tuple[UUID, Money]] = field(default_factory=dict)
    names: dict[tuple[str, UUID], tuple[str, UUID]] = field(default_factory=dict)
    inbox: dict[tuple[str, UUID], datetime] = field(default_factory=dict)

    def clone(self) -> FinanceState:
        return FinanceState(
            transactions=dict(self.transactions),
            reversals=dict(self.reversals),
            delivered=dict(self.delivered),
            names=dict(self.names),
            inbox=dict(self.inbox),
        )


def _in(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or start <= moment) and (end is None or moment < end)


def _of_kinds(account: str, kinds: Sequence[AccountKind]) -> bool:
    return any(account.startswith(kind.prefix) for kind in kinds)


class InMemoryLedger:
    def __init__(self, state: FinanceState) -> None:
        self._state = state

    async def get(self, transaction_id: UUID) -> Transaction | None:
        return self._state.transactions.get(transaction_id)

    async def add(self, transaction: Transaction) -> bool:
        if transaction.transaction_id in self._state.transactions:
            return False
        if transaction.reverses is not None:
            if transaction.reverses in self._state.reversals:
                return False
            self._state.reversals[transaction.reverses] = transaction.transaction_id
        self._state.transactions[transaction.transaction_id] = transaction
        return True

    async def count(self) -> int:
        return len(self._state.transactions)

    async def reversal_of(self, transaction_id: UUID) -> Transaction | None:
        reversal = self._state.reversals.get(transaction_id)
        return None if reversal is None else self._state.transactions[reversal]

    async def transactions(self, start: datetime, end: datetime, limit: int) -> list[Transaction]:
        found = [t for t in self._state.transactions.values() if _in(t.occurred_at, start, end)]
        found.sort(key=lambda t: (t.occurred_at, t.transaction_id))
        return found[:limit]

    async def postings(
        self, start: datetime, end: datetime, kinds: Sequence[AccountKind]
    ) -> list[Posting]:
        return [
            posting
            for t in self._state.transactions.values()
            if _in(t.occurred_at, start, end)
            for posting in postings_of(t)
            if _of_kinds(posting.account, kinds)
        ]

    async def balances(
        self, *, until: datetime | None = None, kind: AccountKind | None = None
    ) -> list[AccountBalance]:
        totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
        for t in self._state.transactions.values():
            if not _in(t.occurred_at, None, until):
                continue
            for entry in t.entries:
                if kind is not None and not entry.account.startswith(kind.prefix):
                    continue
                sums = totals[(entry.account, entry.amount.currency)]
                sums[0 if entry.side is Side.DEBIT else 1] += entry.amount.amount
        return [
            AccountBalance(account, currency, debits, credits)
            for (account, currency), (debits, credits) in sorted(totals.items())
        ]

    async def charged_payments(self, start: datetime | None, end: datetime | None) -> list[UUID]:
        everything = start is None and end is None
        return sorted(
            {
                UUID(t.reference.removeprefix(PAYMENT_PREFIX))
                for t in self._state.transactions.values()
                if t.reference.startswith(PAYMENT_PREFIX)
                and (
                    everything
                    or (
                        t.kind == CHARGE_KIND
                        and t.reverses is None
                        and _in(t.occurred_at, start, end)
                    )
                )
            }
        )

    async def payment_totals(self, payment_ids: Sequence[UUID]) -> dict[UUID, LedgerPayment]:
        wanted = {f"{PAYMENT_PREFIX}{pid}": pid for pid in payment_ids}
        charged: dict[UUID, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        refunded: dict[UUID, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for t in self._state.transactions.values():
            pid = wanted.get(t.reference)
            if pid is None or t.kind not in (CHARGE_KIND, REFUND_KIND):
                continue
            for entry in t.entries:
                if entry.account != PAYMENTS_CLEARING:
                    continue
                if t.kind == CHARGE_KIND:
                    charged[pid][entry.amount.currency] += entry.signed
                else:
                    refunded[pid][entry.amount.currency] -= entry.signed
        return {
            pid: LedgerPayment(pid, dict(charged.get(pid, {})), dict(refunded.get(pid, {})))
            for pid in sorted(set(charged) | set(refunded))
        }


class InMemoryDeliveredCosts:
    def __init__(self, state: FinanceState) -> None:
        self._delivered = state.delivered

    async def advance(self, purchase_order_id: UUID, vendor_id: UUID, total: Money) -> Money | None:
        stored = self._delivered.get(purchase_order_id)
        before = None if stored is None else stored[1]
        if before is None or (before.currency == total.currency and total.amount > before.amount):
            self._delivered[purchase_order_id] = (vendor_id, total)
        return before


class InMemoryNameBook:
    def __init__(self, state: FinanceState) -> None:
        self._names = state.names

    async def keep(self, kind: str, subject_id: UUID, name: str, event_id: UUID) -> None:
        stored = self._names.get((kind, subject_id))
        if stored is None or event_id > stored[1]:
            self._names[(kind, subject_id)] = (name, event_id)

    async def of(self, kind: str, subject_ids: Sequence[UUID]) -> dict[UUID, str]:
        return {
            sid: self._names[(kind, sid)][0] for sid in subject_ids if (kind, sid) in self._names
        }


class InMemoryFinanceUnitOfWork(InMemoryUnitOfWork[FinanceState]):
    inbox: Inbox
    ledger: Ledger
    delivered: DeliveredCosts
    names: NameBook

    def _bind(self, working: FinanceState) -> None:
        self.inbox = InMemoryInbox(working.inbox)
        self.ledger = InMemoryLedger(working)
        self.delivered = InMemoryDeliveredCosts(working)
        self.names = InMemoryNameBook(working)


def in_memory_finance_store() -> InMemoryStore[FinanceState]:
    return InMemoryStore(state=FinanceState())
