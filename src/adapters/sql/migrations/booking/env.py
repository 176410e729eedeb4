"""Alembic environment of the booking context (schema `booking`): see `..environment`."""

from __future__ import annotations

from adapters.sql.booking.tables import SCHEMA, metadata
from adapters.sql.migrations.environment import run_environment

run_environment(SCHEMA, metadata)
