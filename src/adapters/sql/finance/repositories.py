"""SQL repositories of the finance context. They run on the unit of work's connection.

The ledger only inserts: a transaction whose id (or reversed transaction) is stored already
is skipped with `ON CONFLICT DO NOTHING`, so a repeated event or a parallel reversal writes
nothing and the transaction goes on. Delivered costs lock their purchase order's row
(`SELECT … FOR UPDATE` on PostgreSQL; SQLite's writers are serialised) so two deliveries of
one order handled in parallel post the increase once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Table, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.finance.tables import delivered_costs, entries, names, transactions
from petpro_core.finance.domain.accounts import PAYMENTS_CLEARING, AccountKind
from petpro_core.finance.domain.ledger import (
    AccountBalance,
    Entry,
    Posting,
    Side,
    Transaction,
)
from petpro_core.finance.domain.reconciliation import LedgerPayment
from petpro_core.shared.money import Money

ConnectionGetter = Callable[[], AsyncConnection]

PAYMENT_PREFIX = "payment:"
CHARGE_KIND = "payment.processed"
REFUND_KIND = "payment.refunded"


class _SqlRepository:
    def __init__(self, connection: ConnectionGetter) -> None:
        self._connection = connection

    @property
    def connection(self) -> AsyncConnection:
        return self._connection()

    def _insert(self, table: Table) -> Any:
        dialect = self.connection.dialect.name
        return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)


def _transaction_values(t: Transaction) -> dict[str, Any]:
    return {
        "transaction_id": t.transaction_id,
        "kind": t.kind,
        "reference": t.reference,
        "occurred_at": t.occurred_at,
        "recorded_at": t.recorded_at,
        "description": t.description,
        "source_event_id": t.source_event_id,
        "reverses": t.reverses,
    }


def _transactions_from(rows: Sequence[Row[Any]], lines: Sequence[Row[Any]]) -> list[Transaction]:
    by_id: dict[UUID, list[Entry]] = defaultdict(list)
    for line in lines:
        by_id[line.transaction_id].append(
            Entry(line.account, Side(line.side), Money(line.amount, line.currency))
        )
    return [
        Transaction(
            transaction_id=row.transaction_id,
            kind=row.kind,
            reference=row.reference,
            occurred_at=row.occurred_at,
            recorded_at=row.recorded_at,
            description=row.description,
            entries=tuple(by_id[row.transaction_id]),
            source_event_id=row.source_event_id,
            reverses=row.reverses,
        )
        for row in rows
    ]


def _account_of_kinds(kinds: Sequence[AccountKind]) -> Any:
    return or_(*(entries.c.account.startswith(kind.prefix, autoescape=True) for kind in kinds))


class SqlLedger(_SqlRepository):
    async def _load(self, statement: Any) -> list[Transaction]:
        rows = (await self.connection.execute(statement)).all()
        if not rows:
            return []
        ids = [row.transaction_id for row in rows]
        lines = (
            await self.connection.execute(
                select(entries)
                .where(entries.c.transaction_id.in_(ids))
                .order_by(entries.c.transaction_id, entries.c.line)
            )
        ).all()
        return _transactions_from(rows, lines)

    async def get(self, transaction_id: UUID) -> Transaction | None:
        found = await self._load(
            select(transactions).where(transactions.c.transaction_id == transaction_id)
        )
        return found[0] if found else None

    async def add(self, transaction: Transaction) -> bool:
        result = await self.connection.execute(
            self._insert(transactions)
            .values(_transaction_values(transaction))
            .on_conflict_do_nothing()
        )
        if result.rowcount != 1:
            return False
        await self.connection.execute(
            entries.insert(),
            [
                {
                    "transaction_id": transaction.transaction_id,
                    "line": line,
                    "account": entry.account,
                    "side": entry.side.value,
                    "amount": entry.amount.amount,
                    "currency": entry.amount.currency,
                }
                for line, entry in enumerate(transaction.entries, start=1)
            ],
        )
        return True

    async def count(self) -> int:
        total = await self.connection.scalar(select(func.count()).select_from(transactions))
        return int(total or 0)

    async def reversal_of(self, transaction_id: UUID) -> Transaction | None:
        found = await self._load(
            select(transactions).where(transactions.c.reverses == transaction_id)
        )
        return found[0] if found else None

    async def transactions(self, start: datetime, end: datetime, limit: int) -> list[Transaction]:
        return await self._load(
            select(transactions)
            .where(transactions.c.occurred_at >= start, transactions.c.occurred_at < end)
            .order_by(transactions.c.occurred_at, transactions.c.transaction_id)
            .limit(limit)
        )

    async def postings(
        self, start: datetime, end: datetime, kinds: Sequence[AccountKind]
    ) -> list[Posting]:
        rows = await self.connection.execute(
            select(
                transactions.c.transaction_id,
                transactions.c.kind,
                transactions.c.reference,
                transactions.c.occurred_at,
                entries.c.account,
                entries.c.side,
                entries.c.amount,
                entries.c.currency,
            )
            .join(entries, entries.c.transaction_id == transactions.c.transaction_id)
            .where(
                transactions.c.occurred_at >= start,
                transactions.c.occurred_at < end,
                _account_of_kinds(kinds),
            )
            .order_by(transactions.c.occurred_at, transactions.c.transaction_id, entries.c.line)
        )
        return [
            Posting(
                transaction_id=row.transaction_id,
                kind=row.kind,
                reference=row.reference,
                occurred_at=row.occurred_at,
                account=row.account,
                side=Side(row.side),
                amount=Money(row.amount, row.currency),
            )
            for row in rows
        ]

    async def balances(
        self, *, until: datetime | None = None, kind: AccountKind | None = None
    ) -> list[AccountBalance]:
        statement = select(
            entries.c.account, entries.c.currency, entries.c.side, entries.c.amount
        ).join(transactions, entries.c.transaction_id == transactions.c.transaction_id)
        if until is not None:
            statement = statement.where(transactions.c.occurred_at < until)
        if kind is not None:
            statement = statement.where(_account_of_kinds([kind]))
        # Summed here: SQLite keeps exact decimals as text, and SUM would go through floats.
        totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
        for row in await self.connection.execute(statement):
            totals[(row.account, row.currency)][0 if row.side == "debit" else 1] += row.amount
        return [
            AccountBalance(account, currency, debits, credits)
            for (account, currency), (debits, credits) in sorted(totals.items())
        ]

    async def charged_payments(self, start: datetime | None, end: datetime | None) -> list[UUID]:
        statement = select(transactions.c.reference).distinct()
        if start is None and end is None:
            statement = statement.where(
                transactions.c.reference.startswith(PAYMENT_PREFIX, autoescape=True)
            )
        else:
            statement = statement.where(
                transactions.c.kind == CHARGE_KIND, transactions.c.reverses.is_(None)
            )
            if start is not None:
                statement = statement.where(transactions.c.occurred_at >= start)
            if end is not None:
                statement = statement.where(transactions.c.occurred_at < end)
        references = (await self.connection.execute(statement)).scalars()
        return sorted(UUID(reference.removeprefix(PAYMENT_PREFIX)) for reference in references)

    async def payment_totals(self, payment_ids: Sequence[UUID]) -> dict[UUID, LedgerPayment]:
        if not payment_ids:
            return {}
        wanted = {f"{PAYMENT_PREFIX}{pid}": pid for pid in payment_ids}
        charged: dict[UUID, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        refunded: dict[UUID, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        references = list(wanted)
        for chunk in range(0, len(references), 500):
            rows = await self.connection.execute(
                select(
                    transactions.c.reference,
                    transactions.c.kind,
                    entries.c.side,
                    entries.c.amount,
                    entries.c.currency,
                )
                .join(entries, entries.c.transaction_id == transactions.c.transaction_id)
                .where(
                    transactions.c.reference.in_(references[chunk : chunk + 500]),
                    transactions.c.kind.in_([CHARGE_KIND, REFUND_KIND]),
                    entries.c.account == PAYMENTS_CLEARING,
                )
            )
            for row in rows:
                pid = wanted[row.reference]
                signed = row.amount if row.side == "debit" else -row.amount
                if row.kind == CHARGE_KIND:
                    charged[pid][row.currency] += signed
                else:
                    refunded[pid][row.currency] -= signed
        return {
            pid: LedgerPayment(pid, dict(charged.get(pid, {})), dict(refunded.get(pid, {})))
            for pid in sorted(set(charged) | set(refunded))
        }


class SqlDeliveredCosts(_SqlRepository):
    async def advance(self, purchase_order_id: UUID, vendor_id: UUID, total: Money) -> Money | None:
        connection = self.connection
        query = select(delivered_costs).where(
            delivered_costs.c.purchase_order_id == purchase_order_id
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = (await connection.execute(query)).first()
        if row is None:
            inserted = await connection.execute(
                self._insert(delivered_costs)
                .values(
                    purchase_order_id=purchase_order_id,
                    vendor_id=vendor_id,
                    amount=total.amount,
                    currency=total.currency,
                )
                .on_conflict_do_nothing()
            )
            if inserted.rowcount == 1:
                return None
            row = (await connection.execute(query)).first()  # inserted in parallel: now locked
            assert row is not None
        before = Money(row.amount, row.currency)
        if before.currency == total.currency and total.amount > before.amount:
            await connection.execute(
                update(delivered_costs)
                .where(delivered_costs.c.purchase_order_id == purchase_order_id)
                .values(amount=total.amount)
            )
        return before


class SqlNameBook(_SqlRepository):
    async def keep(self, kind: str, subject_id: UUID, name: str, event_id: UUID) -> None:
        insert = self._insert(names).values(
            kind=kind, subject_id=subject_id, name=name, event_id=event_id
        )
        await self.connection.execute(
            insert.on_conflict_do_update(
                index_elements=[names.c.kind, names.c.subject_id],
                set_={"name": insert.excluded.name, "event_id": insert.excluded.event_id},
                where=names.c.event_id < insert.excluded.event_id,
            )
        )

    async def of(self, kind: str, subject_ids: Sequence[UUID]) -> dict[UUID, str]:
        if not subject_ids:
            return {}
        rows = await self.connection.execute(
            select(names.c.subject_id, names.c.name).where(
                and_(names.c.kind == kind, names.c.subject_id.in_(list(set(subject_ids))))
            )
        )
        return {row.subject_id: row.name for row in rows}
