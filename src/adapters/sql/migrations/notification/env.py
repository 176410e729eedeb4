"""Alembic environment of the notification context (schema `notification`): see `..environment`."""

from __future__ import annotations

from adapters.sql.migrations.environment import run_environment
from adapters.sql.notification.tables import SCHEMA, metadata

run_environment(SCHEMA, metadata)
