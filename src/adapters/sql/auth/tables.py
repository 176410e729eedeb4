"""The auth context's tables, all in schema `auth` (a PostgreSQL schema; an attached SQLite file).

The Alembic migrations under `adapters/sql/migrations/auth` create exactly this; a test
compares them with `alembic.autogenerate.compare_metadata`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)

from adapters.sql.column_types import ExactDecimal, Json, UtcDateTime
from adapters.sql.messaging_tables import (
    context_metadata,
    inbox_table,
    outbox_table,
    relay_checkpoint_table,
)

SCHEMA = "auth"

metadata = context_metadata(SCHEMA)

# Integrity errors are translated by these names (PostgreSQL reports the constraint name;
# SQLite names the index for expression indexes and `table.column` otherwise).
USERS_EMAIL_UNIQUE = "uq_users_email_lower"
PETS_MICROCHIP_UNIQUE = "uq_pets_microchip"

users = Table(
    "users",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("email", Text(), nullable=False),
    Column("display_name", Text(), nullable=False),
    Column("password_hash", Text(), nullable=False),
    Column("roles", Json, nullable=False),  # sorted array of role names
    Column("language", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
)
Index(USERS_EMAIL_UNIQUE, func.lower(users.c.email), unique=True)
Index("ix_users_created_at_id", users.c.created_at, users.c.id)

pets = Table(
    "pets",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("owner_id", Uuid(), nullable=False, index=True),
    Column("name", Text(), nullable=False),
    Column("species", String(32), nullable=False),
    Column("breed", Text(), nullable=True),
    Column("sex", String(16), nullable=False),
    Column("date_of_birth", Date(), nullable=True),
    Column("weight_kg", ExactDecimal(), nullable=True),
    Column("microchip", String(15), nullable=True),
    Column("notes", Text(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
    UniqueConstraint("microchip", name=PETS_MICROCHIP_UNIQUE),
)
Index("ix_pets_created_at_id", pets.c.created_at, pets.c.id)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("family_id", Uuid(), nullable=False, index=True),
    Column("user_id", Uuid(), nullable=False, index=True),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column(
        "id",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("key", Text(), nullable=False, index=True),
    Column("at", UtcDateTime(), nullable=False, index=True),
)

# Each user's booking history: a projection of booking's events, one row per booking as
# its latest event left it; `version` (the booking's) keeps it from going backwards.
booking_history = Table(
    "booking_history",
    metadata,
    Column("booking_id", Uuid(), primary_key=True),
    Column("owner_id", Uuid(), nullable=False),
    Column("pet_id", Uuid(), nullable=False),
    Column("clinic_id", Uuid(), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text(), nullable=True),
    Column("version", Integer(), nullable=False),
)
# An owner's history, the latest start first.
Index(
    "ix_booking_history_owner_starts_at",
    booking_history.c.owner_id,
    booking_history.c.starts_at,
    booking_history.c.booking_id,
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)  # auth consumes booking.* events
relay_checkpoint = relay_checkpoint_table(metadata)
