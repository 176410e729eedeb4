"""Alembic environment of the finance context (schema `finance`): see `..environment`."""

from __future__ import annotations

from adapters.sql.finance.tables import SCHEMA, metadata
from adapters.sql.migrations.environment import run_environment

run_environment(SCHEMA, metadata)
