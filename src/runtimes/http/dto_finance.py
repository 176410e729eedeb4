"""Pydantic shapes of the finance endpoints: the report, the trial balance, reconciliation
and ledger transactions. Money travels as `{"amount": "80.00", "currency": "EUR"}`."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from petpro_core.finance.domain.ledger import Transaction, TrialBalance
from petpro_core.finance.domain.reconciliation import Reconciliation
from petpro_core.finance.domain.reports import FinanceReport
from runtimes.http.dto_vendors import MoneyResponse


class ReversalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=2000)

    reason: str = Field(max_length=300, examples=["charged twice by mistake"])


class RevenueRow(BaseModel):
    day: date
    clinic_id: UUID
    clinic_name: str | None
    gross: MoneyResponse
    refunds: MoneyResponse
    net: MoneyResponse


class RefundRow(BaseModel):
    day: date
    clinic_id: UUID
    clinic_name: str | None
    amount: MoneyResponse
    transactions: int


class SalesRow(BaseModel):
    day: date
    location_id: UUID
    amount: MoneyResponse


class PayableRow(BaseModel):
    vendor_id: UUID
    vendor_name: str | None
    delivered: MoneyResponse = Field(description="Delivered cost posted in the range.")
    owed: MoneyResponse = Field(description="Balance owed at the end of the range.")


class ReportResponse(BaseModel):
    period: dict[str, date] = Field(description='{"from": first day, "to": last day} (UTC).')
    revenue: list[RevenueRow]
    refunds: list[RefundRow]
    inventory_sales: list[SalesRow]
    payables: list[PayableRow]

    @classmethod
    def of(cls, report: FinanceReport) -> ReportResponse:
        m = MoneyResponse.of
        return cls(
            period={"from": report.period.start, "to": report.period.end},
            revenue=[
                RevenueRow(
                    day=r.day,
                    clinic_id=r.clinic_id,
                    clinic_name=r.clinic_name,
                    gross=m(r.gross),
                    refunds=m(r.refunds),
                    net=m(r.net),
                )
                for r in report.revenue
            ],
            refunds=[
                RefundRow(
                    day=r.day,
                    clinic_id=r.clinic_id,
                    clinic_name=r.clinic_name,
                    amount=m(r.amount),
                    transactions=r.transactions,
                )
                for r in report.refunds
            ],
            inventory_sales=[
                SalesRow(day=s.day, location_id=s.location_id, amount=m(s.amount))
                for s in report.inventory_sales
            ],
            payables=[
                PayableRow(
                    vendor_id=p.vendor_id,
                    vendor_name=p.vendor_name,
                    delivered=m(p.delivered),
                    owed=m(p.owed),
                )
                for p in report.payables
            ],
        )


class BalanceRow(BaseModel):
    account: str
    currency: str
    debits: str
    credits: str
    balance: str = Field(description="Debits minus credits.")


class TrialBalanceResponse(BaseModel):
    accounts: list[BalanceRow]
    totals: dict[str, str] = Field(description="Per currency: always 0.")
    balanced: bool
    transactions: int = Field(description="How many transactions the ledger holds.")

    @classmethod
    def of(cls, trial: TrialBalance) -> TrialBalanceResponse:
        return cls(
            accounts=[
                BalanceRow(
                    account=a.account,
                    currency=a.currency,
                    debits=str(a.debits),
                    credits=str(a.credits),
                    balance=str(a.balance),
                )
                for a in trial.accounts
            ],
            totals={currency: str(total) for currency, total in trial.totals.items()},
            balanced=trial.balanced,
            transactions=trial.transactions,
        )


class DifferenceRow(BaseModel):
    kind: str = Field(
        examples=["missing_in_ledger"],
        description="missing_in_ledger, missing_in_booking, charged_differs or refunded_differs.",
    )
    payment_id: UUID
    booking_id: UUID | None
    clinic_id: UUID | None
    booking: str
    ledger: str


class ReconciliationResponse(BaseModel):
    period: dict[str, date] | None = Field(
        description='{"from": first day, "to": last day} (UTC); null: every payment.'
    )
    payments_compared: int
    matches: bool
    differences: list[DifferenceRow]

    @classmethod
    def of(cls, result: Reconciliation) -> ReconciliationResponse:
        return cls(
            period=(
                {"from": result.period.start, "to": result.period.end} if result.period else None
            ),
            payments_compared=result.payments_compared,
            matches=result.matches,
            differences=[
                DifferenceRow(
                    kind=d.kind.value,
                    payment_id=d.payment_id,
                    booking_id=d.booking_id,
                    clinic_id=d.clinic_id,
                    booking=d.booking,
                    ledger=d.ledger,
                )
                for d in result.differences
            ],
        )


class EntryRow(BaseModel):
    account: str
    side: str
    amount: MoneyResponse


class TransactionResponse(BaseModel):
    transaction_id: UUID
    kind: str
    reference: str
    occurred_at: datetime
    recorded_at: datetime
    description: str
    source_event_id: UUID | None
    reverses: UUID | None
    entries: list[EntryRow]

    @classmethod
    def of(cls, t: Transaction) -> TransactionResponse:
        return cls(
            transaction_id=t.transaction_id,
            kind=t.kind,
            reference=t.reference,
            occurred_at=t.occurred_at,
            recorded_at=t.recorded_at,
            description=t.description,
            source_event_id=t.source_event_id,
            reverses=t.reverses,
            entries=[
                EntryRow(account=e.account, side=e.side.value, amount=MoneyResponse.of(e.amount))
                for e in t.entries
            ],
        )
