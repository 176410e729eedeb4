"""Application services of the finance context: one handler per command. Every command is
an administrator's (the operator at the console is one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from petpro_core.finance.commands import (
    GetFinanceReport,
    GetTransaction,
    GetTrialBalance,
    ListTransactions,
    ReconcilePayments,
    ReverseTransaction,
)
from petpro_core.finance.domain.accounts import AccountKind, subject_of
from petpro_core.finance.domain.errors import (
    AlreadyReversed,
    FinanceAdminOnly,
    TransactionNotFound,
)
from petpro_core.finance.domain.ledger import Transaction, TrialBalance
from petpro_core.finance.domain.reconciliation import Reconciliation, reconcile
from petpro_core.finance.domain.reports import (
    REPORT_ACCOUNT_KINDS,
    FinanceReport,
    Period,
    build_report,
)
from petpro_core.finance.ports import FinanceUnitOfWorkFactory, PaymentRecords
from petpro_core.finance.postings import CLINIC, VENDOR
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import Clock
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.messagebus import MessageBus

MAX_REASON = 300
MAX_LISTED = 1000


@dataclass(frozen=True, kw_only=True)
class FinanceDependencies:
    uow: FinanceUnitOfWorkFactory
    payments: PaymentRecords  # the booking context's payment records
    clock: Clock


def _admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise FinanceAdminOnly(f"only an administrator may {what}")


def _period(start: date | None, end: date | None) -> Period | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise InvalidInput("give both from and to, or neither", field="from" if start else "to")
    return Period.of(start, end)


class FinanceHandlers:
    def __init__(self, deps: FinanceDependencies) -> None:
        self._deps = deps

    def register(self, bus: MessageBus) -> None:
        handlers: dict[type[Any], Any] = {
            GetFinanceReport: self.report,
            GetTrialBalance: self.trial_balance,
            ReconcilePayments: self.reconcile,
            ReverseTransaction: self.reverse,
            GetTransaction: self.get_transaction,
            ListTransactions: self.list_transactions,
        }
        for command_type, handler in handlers.items():
            bus.register_command(command_type, handler)

    async def report(self, cmd: GetFinanceReport) -> FinanceReport:
        _admin(cmd.actor, "see finance reports")
        period = Period.of(cmd.start, cmd.end)
        async with self._deps.uow() as uow:
            postings = await uow.ledger.postings(
                period.first_instant, period.end_instant, REPORT_ACCOUNT_KINDS
            )
            payables = await uow.ledger.balances(
                until=period.end_instant, kind=AccountKind.PAYABLES
            )
            clinics = {
                subject
                for p in postings
                for kind in (AccountKind.REVENUE, AccountKind.REFUNDS)
                if (subject := subject_of(p.account, kind)) is not None
            }
            vendors = {
                subject
                for b in payables
                if (subject := subject_of(b.account, AccountKind.PAYABLES)) is not None
            }
            clinic_names = await uow.names.of(CLINIC, sorted(clinics))
            vendor_names = await uow.names.of(VENDOR, sorted(vendors))
        return build_report(period, postings, payables, clinic_names, vendor_names)

    async def trial_balance(self, cmd: GetTrialBalance) -> TrialBalance:
        _admin(cmd.actor, "see the trial balance")
        async with self._deps.uow() as uow:
            return TrialBalance(tuple(await uow.ledger.balances()), await uow.ledger.count())

    async def reconcile(self, cmd: ReconcilePayments) -> Reconciliation:
        _admin(cmd.actor, "reconcile payments")
        period = _period(cmd.start, cmd.end)
        start = period.first_instant if period else None
        end = period.end_instant if period else None
        # Ask booking outside our transaction: no lock waits on another context.
        records = await self._deps.payments.charged_between(start, end)
        async with self._deps.uow() as uow:
            charged = await uow.ledger.charged_payments(start, end)
            wanted = sorted(set(charged) | {record.payment_id for record in records})
            totals = await uow.ledger.payment_totals(wanted)
        return reconcile(records, totals, period)

    async def reverse(self, cmd: ReverseTransaction) -> Transaction:
        _admin(cmd.actor, "reverse a transaction")
        reason = " ".join(str(cmd.reason).split())
        if not reason:
            raise InvalidInput("a reversal needs a reason", field="reason")
        if len(reason) > MAX_REASON:
            raise InvalidInput(f"the reason is at most {MAX_REASON} characters", field="reason")
        async with self._deps.uow() as uow:
            original = await uow.ledger.get(cmd.transaction_id)
            if original is None:
                raise TransactionNotFound("no such transaction")
            reversal = original.reversal(
                now=self._deps.clock.now(), reason=f"{reason} (by {cmd.actor.user_id})"
            )  # NotReversible for a reversal
            if await uow.ledger.reversal_of(original.transaction_id) is not None:
                raise AlreadyReversed(
                    "the transaction was reversed already",
                    reversal_id=str(reversal.transaction_id),
                )
            if not await uow.ledger.add(reversal):  # reversed in parallel
                raise AlreadyReversed("the transaction was reversed already")
            await uow.commit()
        return reversal

    async def get_transaction(self, cmd: GetTransaction) -> Transaction:
        _admin(cmd.actor, "see ledger transactions")
        async with self._deps.uow() as uow:
            found = await uow.ledger.get(cmd.transaction_id)
        if found is None:
            raise TransactionNotFound("no such transaction")
        return found

    async def list_transactions(self, cmd: ListTransactions) -> list[Transaction]:
        _admin(cmd.actor, "see ledger transactions")
        period = Period.of(cmd.start, cmd.end)
        if not 1 <= cmd.limit <= MAX_LISTED:
            raise InvalidInput(f"limit is 1..{MAX_LISTED}", field="limit")
        async with self._deps.uow() as uow:
            return await uow.ledger.transactions(
                period.first_instant, period.end_instant, cmd.limit
            )
