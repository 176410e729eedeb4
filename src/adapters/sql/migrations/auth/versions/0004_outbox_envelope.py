"""auth: store each outbox row's CloudEvent with it (the relay only moves text)

Revision ID: 0004_outbox_envelope
Revises: 0003_outbox_notify
Create Date: 2026-11-25

Rows written before this revision keep a NULL envelope; the relay builds theirs on claim.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_outbox_envelope"
down_revision: str | None = "0003_outbox_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "auth"


def upgrade() -> None:
    op.add_column("outbox", sa.Column("envelope", sa.Text(), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("outbox", "envelope", schema=SCHEMA)
