"""Alembic environment of the inventory context (schema `inventory`): see `..environment`."""

from __future__ import annotations

from adapters.sql.inventory.tables import SCHEMA, metadata
from adapters.sql.migrations.environment import run_environment

run_environment(SCHEMA, metadata)
