"""auth: the relay's checkpoint (safe point and broker identity), kept across restarts

Revision ID: 0005_relay_checkpoint
Revises: 0004_outbox_envelope
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from adapters.sql.column_types import UtcDateTime

revision: str = "0005_relay_checkpoint"
down_revision: str | None = "0004_outbox_envelope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "auth"


def upgrade() -> None:
    op.create_table(
        "relay_checkpoint",
        sa.Column("context", sa.String(length=100), nullable=False),
        sa.Column("safe_point", UtcDateTime(), nullable=False),
        sa.Column("broker_identity", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("context", name="pk_relay_checkpoint"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("relay_checkpoint", schema=SCHEMA)
