"""finance: the ledger (transactions and their entries, append-only: on PostgreSQL a trigger
refuses UPDATE and DELETE on both), delivered costs per purchase order, names for reports,
inbox, outbox (with its NOTIFY trigger on PostgreSQL) and the relay checkpoint

Revision ID: 0001_finance_initial
Revises:
Create Date: 2026-12-10

Migrations are frozen snapshots: they use plain SQLAlchemy types, not the application's
type decorators, which store the same column types. The outbox trigger DDL comes from the
adapter because it must match what the relays listen for.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from adapters.sql.messaging_tables import drop_outbox_notify_ddl, outbox_notify_ddl

revision: str = "0001_finance_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "finance"

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Exact decimals: NUMERIC on PostgreSQL, text on SQLite.
DECIMAL = sa.Numeric().with_variant(sa.String(), "sqlite")

# The ledger is append-only: a correction is a reversing transaction.
IMMUTABLE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {SCHEMA}.ledger_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on %.% refused (post a reversal instead)',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$
"""
LEDGER_TABLES = ("transactions", "entries")


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _on_postgresql():
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")

    op.create_table(
        "transactions",
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source_event_id", sa.Uuid(), nullable=True),
        sa.Column("reverses", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("transaction_id", name="pk_transactions"),
        sa.ForeignKeyConstraint(
            ["reverses"],
            [f"{SCHEMA}.transactions.transaction_id"],
            name="fk_transactions_reverses_transactions",
        ),
        sa.UniqueConstraint("source_event_id", name="uq_transactions_source_event_id"),
        sa.UniqueConstraint("reverses", name="uq_transactions_reverses"),
        sa.CheckConstraint(
            "(source_event_id IS NULL) <> (reverses IS NULL)",
            name=op.f("ck_transactions_posts_an_event_or_reverses"),
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_transactions_occurred_at", "transactions", ["occurred_at"], schema=SCHEMA)
    op.create_index("ix_transactions_reference", "transactions", ["reference"], schema=SCHEMA)

    op.create_table(
        "entries",
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("side", sa.String(6), nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("transaction_id", "line", name="pk_entries"),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            [f"{SCHEMA}.transactions.transaction_id"],
            name="fk_entries_transaction_id_transactions",
        ),
        sa.CheckConstraint("side IN ('debit', 'credit')", name=op.f("ck_entries_side_known")),
        schema=SCHEMA,
    )
    op.create_index("ix_entries_account", "entries", ["account"], schema=SCHEMA)

    if _on_postgresql():
        op.execute(IMMUTABLE_FUNCTION)
        for table in LEDGER_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {SCHEMA}.{table}"
                f" FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.ledger_is_append_only()"
            )

    op.create_table(
        "delivered_costs",
        sa.Column("purchase_order_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("purchase_order_id", name="pk_delivered_costs"),
        schema=SCHEMA,
    )

    op.create_table(
        "names",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "subject_id", name="pk_names"),
        schema=SCHEMA,
    )

    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("handled_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
        schema=SCHEMA,
    )
    op.create_index("ix_inbox_handled_at", "inbox", ["handled_at"], schema=SCHEMA)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("position", BIGINT_ID, sa.Identity(), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("event_name", sa.String(200), nullable=False),
        sa.Column("event_version", sa.Integer(), nullable=False),
        sa.Column("aggregate_type", sa.String(100), nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("aggregate_version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("headers", JSON, nullable=True),
        sa.Column("envelope", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("published_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("position", name="uq_outbox_position"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["position"],
        schema=SCHEMA,
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"], schema=SCHEMA)
    if _on_postgresql():
        for statement in outbox_notify_ddl(SCHEMA):
            op.execute(statement)

    op.create_table(
        "relay_checkpoint",
        sa.Column("context", sa.String(100), nullable=False),
        sa.Column("safe_point", TIMESTAMP, nullable=False),
        sa.Column("broker_identity", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("context", name="pk_relay_checkpoint"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    if _on_postgresql():
        for statement in drop_outbox_notify_ddl(SCHEMA):
            op.execute(statement)
        for table in LEDGER_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {SCHEMA}.{table}")
        op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.ledger_is_append_only()")
    for table in (
        "relay_checkpoint",
        "outbox",
        "inbox",
        "names",
        "delivered_costs",
        "entries",
        "transactions",
    ):
        op.drop_table(table, schema=SCHEMA)
