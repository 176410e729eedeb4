"""booking: store each outbox row's CloudEvent with it (the relay only moves text)

Revision ID: 0002_outbox_envelope
Revises: 0001_booking_initial
Create Date: 2026-11-25

Rows written before this revision keep a NULL envelope; the relay builds theirs on claim.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_outbox_envelope"
down_revision: str | None = "0001_booking_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "booking"


def upgrade() -> None:
    op.add_column("outbox", sa.Column("envelope", sa.Text(), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("outbox", "envelope", schema=SCHEMA)
