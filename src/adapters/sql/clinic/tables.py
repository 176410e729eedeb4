"""The clinic context's tables, all in schema `clinic` (a PostgreSQL schema; an attached
SQLite file).

The Alembic migrations under `adapters/sql/migrations/clinic` create exactly this; a test
compares them with `alembic.autogenerate.compare_metadata`.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Time,
    Uuid,
)

from adapters.sql.column_types import ExactDecimal, Json, UtcDateTime
from adapters.sql.messaging_tables import (
    context_metadata,
    inbox_table,
    outbox_table,
    relay_checkpoint_table,
)

SCHEMA = "clinic"

metadata = context_metadata(SCHEMA)

# A clinic's profile and booking policy, one row; its staff in clinic_staff.
clinics = Table(
    "clinics",
    metadata,
    Column("clinic_id", Uuid(), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("address_lines", Json, nullable=False),  # a JSON array of text lines
    Column("locality", String(200), nullable=False),
    Column("region", String(200), nullable=True),
    Column("postal_code", String(20), nullable=True),
    Column("country", String(2), nullable=False),
    Column("phone", String(32), nullable=True),
    Column("email", String(320), nullable=True),
    Column("time_zone", String(64), nullable=False),
    Column("min_notice_minutes", Integer(), nullable=False),
    Column("horizon_days", Integer(), nullable=False),
    Column("slot_minutes", Integer(), nullable=False),
    Column("full_refund_hours", Integer(), nullable=False),
    Column("late_refund_percent", Integer(), nullable=False),
    Column("schedule_id", Uuid(), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
)
Index("ix_clinics_created_at_clinic_id", clinics.c.created_at, clinics.c.clinic_id)

# `position` keeps the staff in the order they joined (the snapshot's order).
clinic_staff = Table(
    "clinic_staff",
    metadata,
    Column("clinic_id", Uuid(), ForeignKey(clinics.c.clinic_id), nullable=False),
    Column("user_id", Uuid(), nullable=False, index=True),  # for a user's clinics
    Column("role", String(20), nullable=False),
    Column("position", Integer(), nullable=False),
    PrimaryKeyConstraint("clinic_id", "user_id"),
)

services = Table(
    "services",
    metadata,
    Column("service_id", Uuid(), primary_key=True),
    Column("clinic_id", Uuid(), ForeignKey(clinics.c.clinic_id), nullable=False),
    Column("name", String(200), nullable=False),
    Column("duration_minutes", Integer(), nullable=False),
    Column("buffer_before_minutes", Integer(), nullable=False),
    Column("buffer_after_minutes", Integer(), nullable=False),
    Column("price_amount", ExactDecimal(), nullable=False),
    Column("price_currency", String(3), nullable=False),
    Column("species", Json, nullable=False),  # a JSON array; empty: any species
    Column("vet_ids", Json, nullable=False),  # a JSON array of user ids, in order
    Column("active", Boolean(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
)
Index("ix_services_clinic_id_created_at", services.c.clinic_id, services.c.created_at)

# One schedule per clinic, versioned on its own; its hours and exceptions are replaced
# whole on every save.
schedules = Table(
    "schedules",
    metadata,
    Column("schedule_id", Uuid(), primary_key=True),
    Column("clinic_id", Uuid(), ForeignKey(clinics.c.clinic_id), nullable=False, unique=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
)

working_hours = Table(
    "working_hours",
    metadata,
    Column("schedule_id", Uuid(), ForeignKey(schedules.c.schedule_id), nullable=False),
    Column("vet_id", Uuid(), nullable=False),
    Column("weekday", Integer(), nullable=False),  # ISO: 1 = Monday … 7 = Sunday
    Column("starts", Time(), nullable=False),  # clinic-local
    Column("ends", Time(), nullable=False),
    PrimaryKeyConstraint("schedule_id", "vet_id", "weekday", "starts"),
)

schedule_exceptions = Table(
    "schedule_exceptions",
    metadata,
    Column("exception_id", Uuid(), primary_key=True),
    Column("schedule_id", Uuid(), ForeignKey(schedules.c.schedule_id), nullable=False, index=True),
    Column("vet_id", Uuid(), nullable=True),  # None: the whole clinic
    Column("kind", String(20), nullable=False),
    Column("first_day", Date(), nullable=False),  # clinic-local dates, both included
    Column("last_day", Date(), nullable=False),
    Column("starts", Time(), nullable=True),
    Column("ends", Time(), nullable=True),
    Column("reason", String(500), nullable=False),
)

inbox = inbox_table(metadata)  # the clinic subscribes to user.* and booking.* later
outbox = outbox_table(metadata)
relay_checkpoint = relay_checkpoint_table(metadata)
