"""What every context's schema shares: its `MetaData` conventions, the outbox and inbox
tables, and the SQL inbox.

`outbox_table(metadata)` and `inbox_table(metadata)` add the same two tables to any
context's `MetaData` (its schema), so the relay and the consumer runtime treat all contexts
alike. The inbox records which events each consumer has handled; its primary key makes a
redelivered event's second insert a no-op.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    delete,
    text,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.column_types import Json, UtcDateTime
from adapters.sql.statements import Statement

OUTBOX_NOTIFY_CHANNEL = "petpro_outbox"


def context_metadata(schema: str) -> MetaData:
    """The `MetaData` of one context's schema, with the constraint names every context uses
    (the repositories translate integrity errors by these names)."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def outbox_table(metadata: MetaData) -> Table:
    """The transactional outbox: written by the unit of work in the same transaction as the
    change, read by the relay. `position` orders rows for the relay (an identity column on
    PostgreSQL; the unit of work numbers rows on SQLite, whose writers are serialised)."""
    table = Table(
        "outbox",
        metadata,
        Column("id", Uuid(), primary_key=True),  # the event id
        Column(
            "position",
            BigInteger().with_variant(Integer(), "sqlite"),
            Identity(),
            nullable=False,
            unique=True,
        ),
        Column("event_type", String(200), nullable=False),
        Column("event_name", String(200), nullable=False),
        Column("event_version", Integer(), nullable=False),
        Column("aggregate_type", String(100), nullable=False),
        Column("aggregate_id", Uuid(), nullable=False),
        Column("aggregate_version", Integer(), nullable=False),
        Column("occurred_at", UtcDateTime(), nullable=False),
        Column("payload", Json, nullable=False),
        Column("headers", Json, nullable=True),
        # The CloudEvent as the relay publishes it, built at commit so the relay's hot path
        # only moves text; NULL on rows written before migration 0004 (built on claim).
        Column("envelope", Text(), nullable=True),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime(), nullable=True),
    )
    Index(
        "ix_outbox_unpublished",
        table.c.position,
        postgresql_where=table.c.published_at.is_(None),
        sqlite_where=table.c.published_at.is_(None),
    )
    # For the relay's retention (prune) and replay (requeue), both by publication time.
    Index("ix_outbox_published_at", table.c.published_at)
    return table


def relay_checkpoint_table(metadata: MetaData) -> Table:
    """The relay's checkpoint per context: its last safe point (every consumer group had
    consumed and acknowledged everything published before it) and the broker identity it
    saw then. After a restart that finds the broker changed, only what was published since
    the safe point must be published again."""
    return Table(
        "relay_checkpoint",
        metadata,
        Column("context", String(100), primary_key=True),
        Column("safe_point", UtcDateTime(), nullable=False),
        Column("broker_identity", String(200), nullable=True),
    )


def inbox_table(metadata: MetaData) -> Table:
    """Which events each consumer of this context has handled, and when (for pruning)."""
    table = Table(
        "inbox",
        metadata,
        Column("consumer", String(100), nullable=False),
        Column("event_id", Uuid(), nullable=False),
        Column("handled_at", UtcDateTime(), nullable=False),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    Index("ix_inbox_handled_at", table.c.handled_at)
    return table


@functools.cache
def _claim_from_array(table: Table) -> Statement:
    """PostgreSQL: one fixed statement for any batch size, the ids as an array."""
    return Statement(
        text(
            f"INSERT INTO {table.schema}.{table.name} (consumer, event_id, handled_at) "  # noqa: S608
            "SELECT :consumer, ids.id, :handled_at FROM unnest(CAST(:ids AS uuid[])) AS ids(id) "
            "ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id"
        )
        .bindparams(bindparam("handled_at", type_=UtcDateTime()))
        .columns(event_id=Uuid())
    )


class SqlInbox:
    """`claim` inserts the batch's inbox rows in one statement and answers the new ids."""

    def __init__(self, connection: Callable[[], AsyncConnection], table: Table) -> None:
        self._connection = connection
        self._table = table

    async def claim(self, consumer: str, event_ids: Sequence[UUID]) -> set[UUID]:
        if not event_ids:
            return set()
        connection = self._connection()
        handled_at = datetime.now(UTC)
        ids = list(dict.fromkeys(event_ids))
        if connection.dialect.name == "postgresql":
            claimed = await _claim_from_array(self._table).execute(
                connection, {"consumer": consumer, "ids": ids, "handled_at": handled_at}
            )
            return set(claimed.scalars())
        rows = [{"consumer": consumer, "event_id": i, "handled_at": handled_at} for i in ids]
        statement = (
            sqlite_insert(self._table)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
            .returning(self._table.c.event_id)
        )
        return set((await connection.execute(statement)).scalars())

    async def prune(self, handled_before: datetime) -> int:
        statement = delete(self._table).where(self._table.c.handled_at < handled_before)
        result = await self._connection().execute(statement)
        return int(result.rowcount or 0)


def outbox_notify_ddl(schema: str) -> list[str]:
    """PostgreSQL: after each statement that inserts into `<schema>.outbox`, NOTIFY the
    relays on OUTBOX_NOTIFY_CHANNEL with the schema name. Notifications are delivered at
    commit (and dropped on rollback), so a relay wakes exactly when there is news."""
    return [
        f"""
        CREATE OR REPLACE FUNCTION {schema}.notify_outbox() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{OUTBOX_NOTIFY_CHANNEL}', '{schema}');
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE TRIGGER outbox_notify AFTER INSERT ON {schema}.outbox
        FOR EACH STATEMENT EXECUTE FUNCTION {schema}.notify_outbox()
        """,
    ]


def drop_outbox_notify_ddl(schema: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS outbox_notify ON {schema}.outbox",
        f"DROP FUNCTION IF EXISTS {schema}.notify_outbox()",
    ]
