"""auth: index login failures by time, so expired ones are pruned cheaply

Revision ID: 0002_login_failures_at_index
Revises: 0001_auth_initial
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002_login_failures_at_index"
down_revision: str | None = "0001_auth_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "auth"


def upgrade() -> None:
    op.create_index("ix_login_failures_at", "login_failures", ["at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_login_failures_at", table_name="login_failures", schema=SCHEMA)
