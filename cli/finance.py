"""`petpro finance …`: the operator (acting as an admin) reads the ledger's reports, the
trial balance, reconciles booking's payments with the ledger and reverses a transaction.

Dates are calendar days in UTC, `--from` and `--to` both included. `reconcile` exits 1 when
it finds differences (0 when none), so a scheduler can alert on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, TypeVar
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from cli.errors import EXIT_USAGE, fail, guarded
from cli.session import run
from petpro_core.finance.commands import (
    GetFinanceReport,
    GetTrialBalance,
    ListTransactions,
    ReconcilePayments,
    ReverseTransaction,
)
from petpro_core.finance.domain.ledger import Transaction, TrialBalance
from petpro_core.finance.domain.reconciliation import Reconciliation
from petpro_core.finance.domain.reports import FinanceReport
from petpro_core.shared.actors import OPERATOR_ACTOR
from petpro_core.shared.messagebus import MessageBus
from runtimes.containers import ApplicationContainer
from runtimes.finance_csv import report_csv

T = TypeVar("T")

EXIT_DIFFERENCES = 1

finance_app = typer.Typer(
    no_args_is_help=True,
    help="The ledger: reports, trial balance, reconciliation with booking, reversals.",
)
console = Console()


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"


FromOption = Annotated[str, typer.Option("--from", help="First day (UTC), YYYY-MM-DD.")]
ToOption = Annotated[str, typer.Option("--to", help="Last day (UTC), included.")]


def _on_bus(work: Callable[[MessageBus], Awaitable[T]]) -> T:
    async def main(container: ApplicationContainer) -> T:
        return await work(container.bus())

    return run(main)


def _date(raw: str, what: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        fail(f"{what} must be a date such as 2026-03-01, got {raw!r}", EXIT_USAGE)


def _name(name: str | None, subject: UUID) -> str:
    return name or f"[dim]{subject}[/]"


@finance_app.command("report")
@guarded
def report(
    start: FromOption,
    end: ToOption,
    output: Annotated[
        Format, typer.Option("--format", help="Rich tables, or one CSV table on stdout.")
    ] = Format.TABLE,
) -> None:
    """Revenue, refunds, shop sales per day and payables per vendor over a range."""
    first, last = _date(start, "--from"), _date(end, "--to")
    result: FinanceReport = _on_bus(
        lambda bus: bus.execute(GetFinanceReport(actor=OPERATOR_ACTOR, start=first, end=last))
    )
    if output is Format.CSV:
        typer.echo(report_csv(result), nl=False)
        return
    span = f"{first} to {last} (UTC)"
    revenue = Table(title=f"Revenue per clinic, {span}")
    for column in ("day", "clinic", "gross", "refunds", "net", "currency"):
        revenue.add_column(
            column, justify="right" if column in ("gross", "refunds", "net") else "left"
        )
    for r in result.revenue:
        revenue.add_row(
            r.day.isoformat(),
            _name(r.clinic_name, r.clinic_id),
            str(r.gross.amount),
            str(r.refunds.amount),
            str(r.net.amount),
            r.net.currency,
        )
    refunds = Table(title=f"Refunds per clinic, {span}")
    for column in ("day", "clinic", "amount", "currency", "transactions"):
        refunds.add_column(column)
    for f in result.refunds:
        refunds.add_row(
            f.day.isoformat(),
            _name(f.clinic_name, f.clinic_id),
            str(f.amount.amount),
            f.amount.currency,
            str(f.transactions),
        )
    sales = Table(title=f"Shop sales per location, {span}")
    for column in ("day", "location", "amount", "currency"):
        sales.add_column(column)
    for s in result.inventory_sales:
        sales.add_row(
            s.day.isoformat(), str(s.location_id), str(s.amount.amount), s.amount.currency
        )
    payables = Table(title=f"Payables per vendor, {span}")
    for column in ("vendor", "delivered in range", "owed at end", "currency"):
        payables.add_column(column)
    for p in result.payables:
        payables.add_row(
            _name(p.vendor_name, p.vendor_id),
            str(p.delivered.amount),
            str(p.owed.amount),
            p.owed.currency,
        )
    for table in (revenue, refunds, sales, payables):
        console.print(table)


@finance_app.command("trial-balance")
@guarded
def trial_balance() -> None:
    """Every account's debits, credits and balance; the totals are zero per currency."""
    result: TrialBalance = _on_bus(lambda bus: bus.execute(GetTrialBalance(actor=OPERATOR_ACTOR)))
    table = Table(title="Trial balance")
    for column in ("account", "currency", "debits", "credits", "balance"):
        table.add_column(column, justify="left" if column == "account" else "right")
    for row in result.accounts:
        table.add_row(
            row.account, row.currency, str(row.debits), str(row.credits), str(row.balance)
        )
    console.print(table)
    totals = ", ".join(f"{total} {currency}" for currency, total in result.totals.items())
    state = "[green]balanced[/]" if result.balanced else "[red]NOT balanced[/]"
    console.print(f"total (debits - credits): {totals or '0'}: {state}")


@finance_app.command("reconcile")
@guarded
def reconcile(
    start: Annotated[
        str | None, typer.Option("--from", help="First day (UTC) of the charges compared.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (UTC), included.")] = None,
) -> None:
    """Compare booking's payments with the ledger and list every difference (exit 1 when
    there are any). Without --from/--to, every payment."""
    first = None if start is None else _date(start, "--from")
    last = None if end is None else _date(end, "--to")
    result: Reconciliation = _on_bus(
        lambda bus: bus.execute(ReconcilePayments(actor=OPERATOR_ACTOR, start=first, end=last))
    )
    if result.matches:
        typer.echo(f"{result.payments_compared} payments compared: no differences")
        return
    table = Table(
        title=f"{len(result.differences)} differences in {result.payments_compared} payments"
    )
    for column in ("difference", "payment", "booking", "clinic", "booking says", "ledger says"):
        table.add_column(column, no_wrap=column in ("payment", "booking", "clinic"))
    for d in result.differences:
        table.add_row(
            d.kind.value,
            str(d.payment_id),
            str(d.booking_id or "—"),
            str(d.clinic_id or "—"),
            d.booking,
            d.ledger,
        )
    console.print(table)
    raise typer.Exit(EXIT_DIFFERENCES)


@finance_app.command("transactions")
@guarded
def transactions(
    start: FromOption,
    end: ToOption,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 200,
) -> None:
    """Ledger transactions dated in a range, oldest first."""
    first, last = _date(start, "--from"), _date(end, "--to")
    found: list[Transaction] = _on_bus(
        lambda bus: bus.execute(
            ListTransactions(actor=OPERATOR_ACTOR, start=first, end=last, limit=limit)
        )
    )
    table = Table(title=f"Transactions {first} to {last} (UTC)")
    for column in ("id", "when", "kind", "entries", "reverses"):
        table.add_column(column, no_wrap=column in ("id", "reverses"))
    for t in found:
        table.add_row(
            str(t.transaction_id),
            t.occurred_at.strftime("%Y-%m-%d %H:%M"),
            t.kind,
            "\n".join(f"{e.side.value[:2]} {e.account} {e.amount}" for e in t.entries),
            str(t.reverses or ""),
        )
    console.print(table)


@finance_app.command("reverse")
@guarded
def reverse(
    transaction_id: Annotated[
        str, typer.Argument(help="The transaction's id.", show_default=False)
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the ledger).")],
) -> None:
    """Post the mirror of a transaction (once per transaction; a reversal is final)."""
    try:
        target = UUID(transaction_id.strip())
    except ValueError:
        fail(f"the transaction id must be a UUID, got {transaction_id!r}", EXIT_USAGE)
    reversal: Transaction = _on_bus(
        lambda bus: bus.execute(
            ReverseTransaction(actor=OPERATOR_ACTOR, transaction_id=target, reason=reason)
        )
    )
    typer.echo(f"reversed {target} with {reversal.transaction_id}")
