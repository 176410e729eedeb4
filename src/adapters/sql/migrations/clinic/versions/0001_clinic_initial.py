"""clinic: clinics and their staff, services, schedules (hours and exceptions), the inbox,
the outbox (with its stored envelope and NOTIFY trigger on PostgreSQL) and the relay's
checkpoint

Revision ID: 0001_clinic_initial
Revises:
Create Date: 2026-11-26

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

revision: str = "0001_clinic_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "clinic"

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DECIMAL = sa.Numeric().with_variant(sa.String(), "sqlite")


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _foreign_key(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{SCHEMA}.{referred}.{column}"], name=f"fk_{table}_{column}_{referred}"
    )


def upgrade() -> None:
    if _on_postgresql():
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")

    op.create_table(
        "clinics",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address_lines", JSON, nullable=False),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("region", sa.String(200), nullable=True),
        sa.Column("postal_code", sa.String(20), nullable=True),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("full_refund_hours", sa.Integer(), nullable=False),
        sa.Column("late_refund_percent", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", name="pk_clinics"),
        sa.UniqueConstraint("schedule_id", name="uq_clinics_schedule_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_clinics_created_at_clinic_id", "clinics", ["created_at", "clinic_id"], schema=SCHEMA
    )

    op.create_table(
        "clinic_staff",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", "user_id", name="pk_clinic_staff"),
        _foreign_key("clinic_staff", "clinic_id", "clinics"),
        schema=SCHEMA,
    )
    op.create_index("ix_clinic_staff_user_id", "clinic_staff", ["user_id"], schema=SCHEMA)

    op.create_table(
        "services",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_before_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), nullable=False),
        sa.Column("price_amount", DECIMAL, nullable=False),
        sa.Column("price_currency", sa.String(3), nullable=False),
        sa.Column("species", JSON, nullable=False),
        sa.Column("vet_ids", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", name="pk_services"),
        _foreign_key("services", "clinic_id", "clinics"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_services_clinic_id_created_at", "services", ["clinic_id", "created_at"], schema=SCHEMA
    )

    op.create_table(
        "schedules",
        sa.Column("schedule_id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("schedule_id", name="pk_schedules"),
        sa.UniqueConstraint("clinic_id", name="uq_schedules_clinic_id"),
        _foreign_key("schedules", "clinic_id", "clinics"),
        schema=SCHEMA,
    )

    op.create_table(
        "working_hours",
        sa.Column("schedule_id", sa.Uuid(), nullable=False),
        sa.Column("vet_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.PrimaryKeyConstraint(
            "schedule_id", "vet_id", "weekday", "starts", name="pk_working_hours"
        ),
        _foreign_key("working_hours", "schedule_id", "schedules"),
        schema=SCHEMA,
    )

    op.create_table(
        "schedule_exceptions",
        sa.Column("exception_id", sa.Uuid(), nullable=False),
        sa.Column("schedule_id", sa.Uuid(), nullable=False),
        sa.Column("vet_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=True),
        sa.Column("ends", sa.Time(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("exception_id", name="pk_schedule_exceptions"),
        _foreign_key("schedule_exceptions", "schedule_id", "schedules"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_schedule_exceptions_schedule_id", "schedule_exceptions", ["schedule_id"], schema=SCHEMA
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
        "schedule_exceptions",
        "working_hours",
        "schedules",
        "services",
        "clinic_staff",
        "clinics",
    ):
        op.drop_table(table, schema=SCHEMA)
