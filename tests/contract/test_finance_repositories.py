"""Contract of the finance ports (the ledger, delivered costs, the name book, the unit of
work) and of the consumer and handlers on them, run against every adapter: memory, SQLite,
PostgreSQL. The in-memory adapter is the reference.

On PostgreSQL the ledger refuses UPDATE and DELETE (a trigger), and deliveries of one
purchase order handled in parallel transactions post its cost once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from adapters.memory.finance import InMemoryFinanceUnitOfWork, in_memory_finance_store
from adapters.sql import migrate
from adapters.sql.database import CONTEXT_SCHEMAS, SqlDatabase, sqlite_url_in
from adapters.sql.finance import tables as finance_tables
from adapters.sql.finance.unit_of_work import SqlFinanceUnitOfWork
from petpro_core.finance.commands import (
    GetFinanceReport,
    GetTrialBalance,
    ReconcilePayments,
    ReverseTransaction,
)
from petpro_core.finance.domain import rules
from petpro_core.finance.domain.accounts import (
    PAYMENTS_CLEARING,
    AccountKind,
    payables,
    revenue,
)
from petpro_core.finance.domain.errors import AlreadyReversed
from petpro_core.finance.domain.ledger import Side, transaction_id_for_event
from petpro_core.finance.domain.reconciliation import DifferenceKind
from petpro_core.finance.ports import FinanceUnitOfWork
from petpro_core.shared.ids import new_id
from tests.support.finance import (
    ADMIN,
    CLINIC,
    OTHER_CLINIC,
    T0,
    VENDOR,
    FinanceHarness,
    booking_cancelled,
    clinic_event,
    delivered,
    eur,
    payment_processed,
    payment_refunded,
)
from tests.support.servers import fresh_postgres_database

UnitOfWorkFactory = Callable[[], FinanceUnitOfWork]
DAY = T0.date()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uow(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    if request.param == "memory":
        store = in_memory_finance_store()
        return lambda: InMemoryFinanceUnitOfWork(store)
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    database: SqlDatabase = request.getfixturevalue(fixture)
    return lambda: SqlFinanceUnitOfWork(database)


@pytest.fixture
def harness(uow: UnitOfWorkFactory) -> FinanceHarness:
    return FinanceHarness(uow)


async def test_transactions_round_trip_and_are_added_once(uow: UnitOfWorkFactory) -> None:
    event = payment_processed(eur("80.00"))
    posted = rules.payment_processed(event, T0 + timedelta(microseconds=5))
    async with uow() as unit:
        assert await unit.ledger.add(posted)
        assert not await unit.ledger.add(posted)  # the same id: nothing written
        await unit.commit()
    async with uow() as unit:
        assert await unit.ledger.get(posted.transaction_id) == posted
        assert await unit.ledger.get(new_id()) is None
        assert not await unit.ledger.add(rules.payment_processed(event, T0))
        await unit.commit()
    async with uow() as unit:
        assert [row.account for row in await unit.ledger.balances()] == [
            PAYMENTS_CLEARING,
            revenue(CLINIC),
        ]


async def test_a_transaction_is_reversed_once(uow: UnitOfWorkFactory) -> None:
    posted = rules.payment_processed(payment_processed(eur("80.00")), T0)
    reversal = posted.reversal(now=T0 + timedelta(days=1), reason="wrong")
    async with uow() as unit:
        await unit.ledger.add(posted)
        assert await unit.ledger.reversal_of(posted.transaction_id) is None
        assert await unit.ledger.add(reversal)
        await unit.commit()
    async with uow() as unit:
        assert await unit.ledger.reversal_of(posted.transaction_id) == reversal
        assert not await unit.ledger.add(reversal)
        balances = await unit.ledger.balances()
        assert {(b.account, b.debits, b.credits) for b in balances} == {
            (PAYMENTS_CLEARING, Decimal("80.00"), Decimal("80.00")),
            (revenue(CLINIC), Decimal("80.00"), Decimal("80.00")),
        }
        # Only what was dated before `until`, only the accounts of `kind`.
        early = await unit.ledger.balances(until=T0 + timedelta(hours=1))
        assert [b.balance for b in early] == [Decimal("80.00"), Decimal("-80.00")]
        assert await unit.ledger.balances(kind=AccountKind.PAYABLES) == []


async def test_postings_and_transactions_in_a_range(uow: UnitOfWorkFactory) -> None:
    first = rules.payment_processed(payment_processed(eur("10.00"), at=T0), T0)
    second = rules.payment_processed(payment_processed(eur("20.00"), at=T0 + timedelta(days=1)), T0)
    async with uow() as unit:
        for t in (second, first):
            await unit.ledger.add(t)
        await unit.commit()
    async with uow() as unit:
        day = await unit.ledger.postings(T0, T0 + timedelta(days=1), [AccountKind.REVENUE])
        assert [(p.account, p.side, p.amount) for p in day] == [
            (revenue(CLINIC), Side.CREDIT, eur("10.00"))
        ]
        assert day[0].occurred_at == T0 and day[0].kind == "payment.processed"
        both = await unit.ledger.transactions(T0, T0 + timedelta(days=2), 10)
        assert [t.transaction_id for t in both] == [first.transaction_id, second.transaction_id]
        assert len(await unit.ledger.transactions(T0, T0 + timedelta(days=2), 1)) == 1


async def test_payment_totals_net_charges_and_refunds(uow: UnitOfWorkFactory) -> None:
    charged = payment_processed(eur("80.00"), at=T0)
    other = payment_processed(eur("30.00"), at=T0 + timedelta(days=3))
    async with uow() as unit:
        for t in (
            rules.payment_processed(charged, T0),
            rules.payment_refunded(payment_refunded(charged, eur("25.00")), T0),
            rules.payment_processed(other, T0),
        ):
            await unit.ledger.add(t)
        await unit.commit()
    async with uow() as unit:
        everything = await unit.ledger.charged_payments(None, None)
        assert everything == sorted([charged.payment_id, other.payment_id])
        assert await unit.ledger.charged_payments(T0, T0 + timedelta(days=1)) == [
            charged.payment_id
        ]
        totals = await unit.ledger.payment_totals([charged.payment_id, new_id()])
        assert list(totals) == [charged.payment_id]
        assert totals[charged.payment_id].charged == {"EUR": Decimal("80.00")}
        assert totals[charged.payment_id].refunded == {"EUR": Decimal("25.00")}
        assert await unit.ledger.payment_totals([]) == {}


async def test_delivered_costs_advance_and_never_go_back(uow: UnitOfWorkFactory) -> None:
    order = new_id()
    async with uow() as unit:
        assert await unit.delivered.advance(order, VENDOR, eur("40.00")) is None
        assert await unit.delivered.advance(order, VENDOR, eur("100.00")) == eur("40.00")
        await unit.commit()
    async with uow() as unit:
        assert await unit.delivered.advance(order, VENDOR, eur("70.00")) == eur("100.00")
        assert await unit.delivered.advance(order, VENDOR, eur("100.00")) == eur("100.00")


async def test_names_keep_the_newest_event(uow: UnitOfWorkFactory) -> None:
    async with uow() as unit:
        await unit.names.keep("clinic", CLINIC, "Old", UUID(int=5))
        await unit.names.keep("clinic", CLINIC, "New", UUID(int=9))
        await unit.names.keep("clinic", CLINIC, "Older", UUID(int=7))
        await unit.names.keep("clinic", OTHER_CLINIC, "Other", UUID(int=1))
        await unit.commit()
    async with uow() as unit:
        assert await unit.names.of("clinic", [CLINIC, OTHER_CLINIC, new_id()]) == {
            CLINIC: "New",
            OTHER_CLINIC: "Other",
        }
        assert await unit.names.of("vendor", [CLINIC]) == {}
        assert await unit.names.of("clinic", []) == {}


async def test_the_consumer_and_handlers_agree_on_every_store(harness: FinanceHarness) -> None:
    payment = payment_processed(eur("80.00"))
    order = new_id()
    events = [
        clinic_event("Happy Paws"),
        payment,
        booking_cancelled(payment, eur("30.00")),
        payment_refunded(payment, eur("30.00")),
        delivered(order, 4, eur("40.00")),
        delivered(order, 10, eur("100.00")),
    ]
    await harness.deliver(events)
    await harness.deliver(events[::-1])  # redelivered: the inbox skips every one
    harness.payments.add(payment, refunded=eur("30.00"))
    trial = await harness.execute(GetTrialBalance(actor=ADMIN))
    assert trial.balanced and trial.totals == {"EUR": Decimal("0.00")}
    assert trial.transactions == 5  # charge, owed refund, refund, two deliveries
    balances = {row.account: row.balance for row in trial.accounts}
    assert balances[payables(VENDOR)] == Decimal("-100.00")
    report = await harness.execute(GetFinanceReport(actor=ADMIN, start=DAY, end=DAY))
    assert [(r.clinic_name, r.net) for r in report.revenue] == [("Happy Paws", eur("50.00"))]
    assert (await harness.execute(ReconcilePayments(actor=ADMIN, start=DAY, end=DAY))).matches
    posted = transaction_id_for_event(payment.event_id)
    await harness.execute(ReverseTransaction(actor=ADMIN, transaction_id=posted, reason="test"))
    with pytest.raises(AlreadyReversed):
        await harness.execute(ReverseTransaction(actor=ADMIN, transaction_id=posted, reason="x"))
    result = await harness.execute(ReconcilePayments(actor=ADMIN))
    assert [d.kind for d in result.differences] == [DifferenceKind.MISSING_IN_LEDGER]


# -- PostgreSQL: the store enforces it too ------------------------------------------------------


@pytest.mark.postgres
async def test_postgresql_refuses_to_change_or_delete_ledger_rows(
    postgres_database: SqlDatabase,
) -> None:
    harness = FinanceHarness(lambda: SqlFinanceUnitOfWork(postgres_database))
    await harness.deliver([payment_processed(eur("80.00"))])
    for statement in (
        "UPDATE finance.entries SET amount = 1",
        "DELETE FROM finance.entries",
        "UPDATE finance.transactions SET description = 'x'",
        "DELETE FROM finance.transactions",
    ):
        async with postgres_database.engine.connect() as connection:
            with pytest.raises(DBAPIError, match="append-only"):
                await connection.execute(text(statement))


@pytest.mark.postgres
async def test_parallel_deliveries_of_one_order_post_its_cost_once(
    postgres_database: SqlDatabase,
) -> None:
    harness = FinanceHarness(lambda: SqlFinanceUnitOfWork(postgres_database))
    order = new_id()
    events = [delivered(order, n, eur(10 * n)) for n in range(1, 11)]
    await asyncio.gather(*(harness.deliver([event]) for event in events))
    trial = await harness.execute(GetTrialBalance(actor=ADMIN))
    assert {row.account: row.balance for row in trial.accounts}[payables(VENDOR)] == Decimal(
        "-100.00"
    )


# -- migrations ---------------------------------------------------------------------------------

FINANCE_TABLES = {
    "transactions",
    "entries",
    "delivered_costs",
    "names",
    "inbox",
    "outbox",
    "relay_checkpoint",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield SqlDatabase(sqlite_url_in(tmp_path / "data"))
        return
    with fresh_postgres_database() as url:
        yield SqlDatabase(url)


def _tables_of(database: SqlDatabase) -> set[str]:
    engine = database.create_sync_engine()
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            if "finance" not in inspector.get_schema_names():
                return set()
            return set(inspector.get_table_names(schema="finance"))
    finally:
        engine.dispose()


def test_finance_upgrade_creates_its_schema_and_down_again(empty_database: SqlDatabase) -> None:
    assert "finance" in CONTEXT_SCHEMAS
    assert migrate.head_revision("finance") == "0001_finance_initial"
    migrate.upgrade(empty_database, "finance")
    assert migrate.is_up_to_date(empty_database, "finance")
    assert _tables_of(empty_database) == FINANCE_TABLES | {"alembic_version"}
    command.downgrade(migrate.alembic_config("finance", empty_database), "base")
    assert _tables_of(empty_database) <= {"alembic_version"}
    migrate.upgrade(empty_database, "finance")
    assert _tables_of(empty_database) == FINANCE_TABLES | {"alembic_version"}


@pytest.mark.postgres
def test_the_finance_migration_matches_the_table_metadata() -> None:
    with fresh_postgres_database() as url:
        database = SqlDatabase(url)
        migrate.upgrade(database, "finance")
        engine = database.create_sync_engine()
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "target_metadata": finance_tables.metadata,
                        "include_schemas": True,
                        "include_name": migrate.include_only_schema(finance_tables.SCHEMA),
                        "version_table_schema": finance_tables.SCHEMA,
                        "compare_type": True,
                        "compare_server_default": True,
                    },
                )
                differences = list(compare_metadata(context, finance_tables.metadata))
        finally:
            engine.dispose()
    assert differences == []
