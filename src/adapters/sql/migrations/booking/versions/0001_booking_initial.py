"""booking: the pet cache, the inbox and the outbox (with its NOTIFY trigger on PostgreSQL)

Revision ID: 0001_booking_initial
Revises:
Create Date: 2026-11-25

Migrations are frozen snapshots: they use plain SQLAlchemy types, not the application's
type decorators, which store the same column types. The trigger DDL comes from the
adapter because it must match what the relays listen for.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from adapters.sql.messaging_tables import drop_outbox_notify_ddl, outbox_notify_ddl

revision: str = "0001_booking_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "booking"

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _on_postgresql():
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")

    op.create_table(
        "pet_cache",
        sa.Column("pet_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("species", sa.String(50), nullable=False),
        sa.Column("breed", sa.String(100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("pet_id", name="pk_pet_cache"),
        schema=SCHEMA,
    )
    op.create_index("ix_pet_cache_owner_id", "pet_cache", ["owner_id"], schema=SCHEMA)

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
    # The relay prunes and requeues by publication time.
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"], schema=SCHEMA)
    if _on_postgresql():
        for statement in outbox_notify_ddl(SCHEMA):
            op.execute(statement)


def downgrade() -> None:
    if _on_postgresql():
        for statement in drop_outbox_notify_ddl(SCHEMA):
            op.execute(statement)
    for table in ("outbox", "inbox", "pet_cache"):
        op.drop_table(table, schema=SCHEMA)
