"""Alembic environment of the clinic context (schema `clinic`): see `..environment`."""

from __future__ import annotations

from adapters.sql.clinic.tables import SCHEMA, metadata
from adapters.sql.migrations.environment import run_environment

run_environment(SCHEMA, metadata)
