"""booking: when each saga's charge was recorded (`booking_sagas.charged_at`), indexed for
finance's reconciliation

Revision ID: 0005_saga_charged_at
Revises: 0004_bookings
Create Date: 2026-12-10

Sagas charged before this revision keep NULL; the payment-records query counts them by
`updated_at` instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_saga_charged_at"
down_revision: str | None = "0004_bookings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "booking"

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("booking_sagas", sa.Column("charged_at", TIMESTAMP, nullable=True), schema=SCHEMA)
    op.create_index("ix_booking_sagas_charged_at", "booking_sagas", ["charged_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_booking_sagas_charged_at", table_name="booking_sagas", schema=SCHEMA)
    op.drop_column("booking_sagas", "charged_at", schema=SCHEMA)
