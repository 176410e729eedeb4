"""The finance context's tables, all in schema `finance` (a PostgreSQL schema; an attached
SQLite file).

The ledger is `transactions` (one row per transaction) and `entries` (its lines). Both are
append-only: the adapters never update or delete them, and on PostgreSQL a trigger (see the
migration) refuses UPDATE and DELETE on either. A transaction id is unique (each event posts
once, by a derived id) and so is `reverses` (each transaction is reversed at most once).

The Alembic migrations under `adapters/sql/migrations/finance` create exactly this; a test
compares them with `alembic.autogenerate.compare_metadata`.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from adapters.sql.column_types import ExactDecimal, UtcDateTime
from adapters.sql.messaging_tables import (
    context_metadata,
    inbox_table,
    outbox_table,
    relay_checkpoint_table,
)

SCHEMA = "finance"

metadata = context_metadata(SCHEMA)

transactions = Table(
    "transactions",
    metadata,
    Column("transaction_id", Uuid(), primary_key=True),
    Column("kind", String(100), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("description", Text(), nullable=False),
    Column("source_event_id", Uuid(), nullable=True),
    Column("reverses", Uuid(), ForeignKey(f"{SCHEMA}.transactions.transaction_id"), nullable=True),
    UniqueConstraint("source_event_id", name="uq_transactions_source_event_id"),
    UniqueConstraint("reverses", name="uq_transactions_reverses"),
    CheckConstraint(
        "(source_event_id IS NULL) <> (reverses IS NULL)", name="posts_an_event_or_reverses"
    ),
)
Index("ix_transactions_occurred_at", transactions.c.occurred_at)
Index("ix_transactions_reference", transactions.c.reference)

entries = Table(
    "entries",
    metadata,
    Column("transaction_id", Uuid(), ForeignKey(transactions.c.transaction_id), nullable=False),
    Column("line", Integer(), nullable=False),
    Column("account", String(100), nullable=False),
    Column("side", String(6), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    PrimaryKeyConstraint("transaction_id", "line"),
    CheckConstraint("side IN ('debit', 'credit')", name="side_known"),
)
Index("ix_entries_account", entries.c.account)

# Per purchase order, the cumulative delivered cost posted so far.
delivered_costs = Table(
    "delivered_costs",
    metadata,
    Column("purchase_order_id", Uuid(), primary_key=True),
    Column("vendor_id", Uuid(), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
)

# Names of clinics (and vendors) for reports; the newest event (by its time-ordered id) wins.
names = Table(
    "names",
    metadata,
    Column("kind", String(20), nullable=False),
    Column("subject_id", Uuid(), nullable=False),
    Column("name", String(200), nullable=False),
    Column("event_id", Uuid(), nullable=False),
    PrimaryKeyConstraint("kind", "subject_id"),
)

inbox = inbox_table(metadata)
outbox = outbox_table(metadata)
relay_checkpoint = relay_checkpoint_table(metadata)
