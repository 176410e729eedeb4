"""booking: bookings (no double booking per vet), saga state, clinic caches, idempotency keys

Revision ID: 0004_bookings
Revises: 0003_relay_checkpoint
Create Date: 2026-11-26

On PostgreSQL the exclusion constraint `ex_bookings_vet_overlap` keeps two active (held or
confirmed) bookings of one vet from overlapping; it needs the `btree_gist` extension (for
`vet_id WITH =` in a GiST index), which this migration creates, so the migrating role must
be allowed to (a superuser, or the extension created beforehand). The downgrade leaves the
extension installed: other schemas of the database may use it.

Migrations are frozen snapshots: plain SQLAlchemy types that store what the application's
type decorators store (ExactDecimal: NUMERIC on PostgreSQL, text on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_bookings"
down_revision: str | None = "0003_relay_checkpoint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "booking"

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
DECIMAL = sa.Numeric().with_variant(sa.String(), "sqlite")
ACTIVE = "status IN ('held', 'confirmed')"
UNFINISHED = "phase <> 'finished'"


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    on_postgresql = _on_postgresql()
    if on_postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")

    op.create_table(
        "bookings",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("pet_id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("vet_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=False),
        sa.Column("blocked_from", TIMESTAMP, nullable=False),
        sa.Column("blocked_until", TIMESTAMP, nullable=False),
        sa.Column("price_amount", DECIMAL, nullable=False),
        sa.Column("price_currency", sa.String(3), nullable=False),
        sa.Column("products", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_by", sa.String(16), nullable=True),
        sa.Column("cancelled_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("refund_amount", DECIMAL, nullable=True),
        sa.Column("refund_currency", sa.String(3), nullable=True),
        sa.PrimaryKeyConstraint("booking_id", name="pk_bookings"),
        sa.CheckConstraint(
            "blocked_from <= starts_at AND starts_at < ends_at AND ends_at <= blocked_until",
            name="ck_bookings_intervals",
        ),
        sa.CheckConstraint(
            "status IN ('held', 'confirmed', 'failed', 'cancelled')", name="ck_bookings_status"
        ),
        schema=SCHEMA,
    )
    if on_postgresql:
        op.execute(
            f"ALTER TABLE {SCHEMA}.bookings ADD CONSTRAINT ex_bookings_vet_overlap"
            " EXCLUDE USING gist"
            " (vet_id WITH =, tstzrange(blocked_from, blocked_until, '[)') WITH &&)"
            f" WHERE ({ACTIVE})"
        )
    op.create_index(
        "ix_bookings_owner_id_starts_at", "bookings", ["owner_id", "starts_at"], schema=SCHEMA
    )
    op.create_index(
        "ix_bookings_clinic_id_starts_at", "bookings", ["clinic_id", "starts_at"], schema=SCHEMA
    )
    op.create_index(
        "ix_bookings_vet_active",
        "bookings",
        ["vet_id", "blocked_from"],
        schema=SCHEMA,
        postgresql_where=sa.text(ACTIVE),
        sqlite_where=sa.text(ACTIVE),
    )

    op.create_table(
        "booking_sagas",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("payment_token", sa.String(200), nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("gateway_reference", sa.String(200), nullable=True),
        sa.Column("payment_method", sa.String(50), nullable=True),
        sa.Column("reservation_id", sa.Uuid(), nullable=True),
        sa.Column("refund_due_amount", DECIMAL, nullable=True),
        sa.Column("refund_due_currency", sa.String(3), nullable=True),
        sa.Column("release_due", sa.Boolean(), nullable=False),
        sa.Column("refunded_amount", DECIMAL, nullable=True),
        sa.Column("refunded_currency", sa.String(3), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("booking_id", name="pk_booking_sagas"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_booking_sagas_unfinished",
        "booking_sagas",
        ["next_attempt_at", "expires_at"],
        schema=SCHEMA,
        postgresql_where=sa.text(UNFINISHED),
        sqlite_where=sa.text(UNFINISHED),
    )

    op.create_table(
        "clinic_cache",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("policy", JSON, nullable=False),
        sa.Column("staff", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", name="pk_clinic_cache"),
        schema=SCHEMA,
    )
    op.create_table(
        "service_cache",
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
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", name="pk_service_cache"),
        schema=SCHEMA,
    )
    op.create_index("ix_service_cache_clinic_id", "service_cache", ["clinic_id"], schema=SCHEMA)
    op.create_table(
        "schedule_cache",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("weekly_hours", JSON, nullable=False),
        sa.Column("exceptions", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", name="pk_schedule_cache"),
        schema=SCHEMA,
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_headers", sa.Text(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("locked_until", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"], schema=SCHEMA
    )


def downgrade() -> None:
    for table in (
        "idempotency_keys",
        "schedule_cache",
        "service_cache",
        "clinic_cache",
        "booking_sagas",
        "bookings",
    ):
        op.drop_table(table, schema=SCHEMA)
