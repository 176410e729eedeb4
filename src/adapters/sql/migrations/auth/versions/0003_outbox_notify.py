"""auth: NOTIFY relays of outbox commits (PostgreSQL); index the outbox by publication time

Revision ID: 0003_outbox_notify
Revises: 0002_login_failures_at_index
Create Date: 2026-11-26

The trigger DDL comes from the adapter because it must match what the relays listen for.
The index serves the relay's pruning and requeueing, both by `published_at`.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from adapters.sql.messaging_tables import drop_outbox_notify_ddl, outbox_notify_ddl

revision: str = "0003_outbox_notify"
down_revision: str | None = "0002_login_failures_at_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "auth"


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"], schema=SCHEMA)
    if _on_postgresql():
        for statement in outbox_notify_ddl(SCHEMA):
            op.execute(statement)


def downgrade() -> None:
    if _on_postgresql():
        for statement in drop_outbox_notify_ddl(SCHEMA):
            op.execute(statement)
    op.drop_index("ix_outbox_published_at", table_name="outbox", schema=SCHEMA)
