"""The booking context's tables, all in schema `booking` (a PostgreSQL schema; an attached
SQLite file).

The Alembic migrations under `adapters/sql/migrations/booking` create exactly this; a test
compares them with `alembic.autogenerate.compare_metadata`.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Uuid

from adapters.sql.column_types import UtcDateTime
from adapters.sql.messaging_tables import (
    context_metadata,
    inbox_table,
    outbox_table,
    relay_checkpoint_table,
)

SCHEMA = "booking"

metadata = context_metadata(SCHEMA)

# The seed's booking_pet_cache, plus what keeps the projection from going backwards: the
# pet's version, and a deleted flag so deleted pets stay as tombstones.
pet_cache = Table(
    "pet_cache",
    metadata,
    Column("pet_id", Uuid(), primary_key=True),
    Column("owner_id", Uuid(), nullable=False, index=True),  # for an owner's pets
    Column("name", String(100), nullable=False),
    Column("species", String(50), nullable=False),
    Column("breed", String(100), nullable=True),
    Column("version", Integer(), nullable=False),
    Column("deleted", Boolean(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

inbox = inbox_table(metadata)
outbox = outbox_table(metadata)  # booking publishes booking.* events later
relay_checkpoint = relay_checkpoint_table(metadata)
