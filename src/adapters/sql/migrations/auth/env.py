"""Alembic environment of the auth context (schema `auth`): see `..environment`."""

from __future__ import annotations

from adapters.sql.auth.tables import SCHEMA, metadata
from adapters.sql.migrations.environment import run_environment

run_environment(SCHEMA, metadata)
