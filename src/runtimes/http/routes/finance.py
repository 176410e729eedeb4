"""/finance: the ledger's reports, trial balance, reconciliation and reversals (admins).

Dates are calendar days in UTC, `from` and `to` both included (at most 366 days). The report
is JSON at `/finance/report` and CSV at `/finance/report.csv` (one table, a `section`
column; see `runtimes.finance_csv`). Non-admins get 403; a malformed date 400; `from` after
`to` or too long a range 422.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from litestar import Response, Router, get, post
from litestar.params import Body, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from petpro_core.finance.commands import (
    GetFinanceReport,
    GetTransaction,
    GetTrialBalance,
    ListTransactions,
    ReconcilePayments,
    ReverseTransaction,
)
from runtimes.finance_csv import report_csv
from runtimes.http.dependencies import (
    AUTHENTICATED,
    BEARER_SECURITY,
    Bus,
    CurrentPrincipal,
    actor_of,
)
from runtimes.http.dto_finance import (
    ReconciliationResponse,
    ReportResponse,
    ReversalRequest,
    TransactionResponse,
    TrialBalanceResponse,
)
from runtimes.http.problems import problem_responses

From = Annotated[date, QueryParameter(name="from", description="First day (UTC), YYYY-MM-DD.")]
To = Annotated[date, QueryParameter(name="to", description="Last day (UTC), included.")]
OptionalFrom = Annotated[
    date | None, QueryParameter(name="from", description="First day (UTC), YYYY-MM-DD.")
]
OptionalTo = Annotated[
    date | None, QueryParameter(name="to", description="Last day (UTC), included.")
]
TransactionId = Annotated[UUID, PathParameter(description="The ledger transaction's id.")]

_ADMIN = problem_responses(401, 403)


@get(
    "/report",
    summary="Finance report (admin)",
    description="Revenue per clinic per day (gross, refunds, net), refunds per clinic per "
    "day, shop sales per location per day, payables per vendor.",
    responses=_ADMIN,
)
async def report(principal: CurrentPrincipal, bus: Bus, start: From, end: To) -> ReportResponse:
    result = await bus.execute(GetFinanceReport(actor=actor_of(principal), start=start, end=end))
    return ReportResponse.of(result)


@get(
    "/report.csv",
    summary="Finance report as CSV (admin)",
    description="The same sections as /finance/report in one CSV table with a `section` column.",
    media_type="text/csv",
    responses=_ADMIN,
)
async def report_as_csv(
    principal: CurrentPrincipal, bus: Bus, start: From, end: To
) -> Response[str]:
    result = await bus.execute(GetFinanceReport(actor=actor_of(principal), start=start, end=end))
    return Response(
        report_csv(result),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="finance-{start}-{end}.csv"'},
    )


@get("/trial-balance", summary="Trial balance (admin)", responses=_ADMIN)
async def trial_balance(principal: CurrentPrincipal, bus: Bus) -> TrialBalanceResponse:
    result = await bus.execute(GetTrialBalance(actor=actor_of(principal)))
    return TrialBalanceResponse.of(result)


@get(
    "/reconciliation",
    summary="Reconcile booking's payments with the ledger (admin)",
    description="Payments charged in the range (both ends or neither: every payment), each "
    "difference listed.",
    responses=_ADMIN,
)
async def reconciliation(
    principal: CurrentPrincipal,
    bus: Bus,
    start: OptionalFrom = None,
    end: OptionalTo = None,
) -> ReconciliationResponse:
    result = await bus.execute(ReconcilePayments(actor=actor_of(principal), start=start, end=end))
    return ReconciliationResponse.of(result)


@get(
    "/transactions",
    summary="Ledger transactions dated in a range (admin)",
    responses=_ADMIN,
)
async def transactions(
    principal: CurrentPrincipal, bus: Bus, start: From, end: To
) -> list[TransactionResponse]:
    found = await bus.execute(ListTransactions(actor=actor_of(principal), start=start, end=end))
    return [TransactionResponse.of(t) for t in found]


@get(
    "/transactions/{transaction_id:str}",
    summary="A ledger transaction (admin)",
    responses=problem_responses(401, 403, 404),
)
async def transaction(
    transaction_id: TransactionId, principal: CurrentPrincipal, bus: Bus
) -> TransactionResponse:
    found = await bus.execute(
        GetTransaction(actor=actor_of(principal), transaction_id=transaction_id)
    )
    return TransactionResponse.of(found)


@post(
    "/transactions/{transaction_id:str}/reversal",
    status_code=HTTP_201_CREATED,
    summary="Reverse a transaction (admin)",
    description="Posts the mirror entries; each transaction is reversed at most once (409 "
    "after that) and a reversal is final (409).",
    responses=problem_responses(401, 403, 404, 409),
)
async def reverse(
    transaction_id: TransactionId,
    data: Annotated[ReversalRequest, Body(title="Reversal")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> TransactionResponse:
    reversal = await bus.execute(
        ReverseTransaction(
            actor=actor_of(principal), transaction_id=transaction_id, reason=data.reason
        )
    )
    return TransactionResponse.of(reversal)


def finance_router() -> Router:
    return Router(
        "/finance",
        route_handlers=[
            report,
            report_as_csv,
            trial_balance,
            reconciliation,
            transactions,
            transaction,
            reverse,
        ],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["finance"],
    )
