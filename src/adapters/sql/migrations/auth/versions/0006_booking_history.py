"""auth: each user's booking history (a projection of booking's events) and the inbox of
the auth consumer

Revision ID: 0006_booking_history
Revises: 0005_relay_checkpoint
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_booking_history"
down_revision: str | None = "0005_relay_checkpoint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "auth"

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "booking_history",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("pet_id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("booking_id", name="pk_booking_history"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_booking_history_owner_starts_at",
        "booking_history",
        ["owner_id", "starts_at", "booking_id"],
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


def downgrade() -> None:
    op.drop_index("ix_inbox_handled_at", table_name="inbox", schema=SCHEMA)
    op.drop_table("inbox", schema=SCHEMA)
    op.drop_index("ix_booking_history_owner_starts_at", table_name="booking_history", schema=SCHEMA)
    op.drop_table("booking_history", schema=SCHEMA)
