"""notification: recipients and clinics (caches of other contexts' users and staff),
preferences, deliveries (keyed by event, channel and recipient; claimed by status and due
time), in-app messages, appointment reminders, inbox, outbox (with its NOTIFY trigger on
PostgreSQL) and the relay checkpoint

Revision ID: 0001_notification_initial
Revises:
Create Date: 2026-12-02

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

revision: str = "0001_notification_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notification"

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _on_postgresql():
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")

    op.create_table(
        "recipients",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("roles", JSON, nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_recipients"),
        schema=SCHEMA,
    )
    op.create_index("ix_recipients_is_admin", "recipients", ["is_admin"], schema=SCHEMA)

    op.create_table(
        "clinics",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("staff_ids", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", name="pk_clinics"),
        schema=SCHEMA,
    )

    op.create_table(
        "preferences",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("quiet_starts", sa.Time(), nullable=True),
        sa.Column("quiet_ends", sa.Time(), nullable=True),
        sa.Column("quiet_time_zone", sa.String(64), nullable=True),
        sa.Column("sms_number", sa.String(16), nullable=True),
        sa.Column("push_token", sa.String(512), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_preferences"),
        sa.CheckConstraint(
            "(quiet_starts IS NULL) = (quiet_ends IS NULL)"
            " AND (quiet_starts IS NULL) = (quiet_time_zone IS NULL)",
            name=op.f("ck_preferences_quiet_hours_complete"),
        ),
        schema=SCHEMA,
    )

    op.create_table(
        "deliveries",
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_name", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", name="pk_deliveries"),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_deliveries_attempts_not_negative")),
        schema=SCHEMA,
    )
    # The dispatcher claims by status and due time.
    op.create_index(
        "ix_deliveries_status_next_attempt_at",
        "deliveries",
        ["status", "next_attempt_at"],
        schema=SCHEMA,
    )
    # The admin log: newest first, by recipient, by source event.
    op.create_index(
        "ix_deliveries_created_at_delivery_id",
        "deliveries",
        ["created_at", "delivery_id"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_deliveries_recipient_id_created_at",
        "deliveries",
        ["recipient_id", "created_at"],
        schema=SCHEMA,
    )
    op.create_index("ix_deliveries_source_id", "deliveries", ["source_id"], schema=SCHEMA)

    op.create_table(
        "inbox_messages",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("read_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("message_id", name="pk_inbox_messages"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_inbox_messages_user_id_created_at",
        "inbox_messages",
        ["user_id", "created_at"],
        schema=SCHEMA,
    )

    op.create_table(
        "reminders",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", TIMESTAMP, nullable=False),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("booking_version", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sent_source_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("booking_id", name="pk_reminders"),
        schema=SCHEMA,
    )
    op.create_index("ix_reminders_status_due_at", "reminders", ["status", "due_at"], schema=SCHEMA)

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
        # The CloudEvent as the relay publishes it, built at commit.
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
    # The relay prunes and requeues by publication time.
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
    for table in (
        "relay_checkpoint",
        "outbox",
        "inbox",
        "reminders",
        "inbox_messages",
        "deliveries",
        "preferences",
        "clinics",
        "recipients",
    ):
        op.drop_table(table, schema=SCHEMA)
