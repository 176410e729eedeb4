"""Alembic environment of the vendor context (schema `vendor`): see `..environment`."""

from __future__ import annotations

from adapters.sql.migrations.environment import run_environment
from adapters.sql.vendor.tables import SCHEMA, metadata

run_environment(SCHEMA, metadata)
