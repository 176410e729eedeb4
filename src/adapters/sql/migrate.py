"""Apply and inspect each context's Alembic migrations, programmatically (no alembic.ini).

These functions are synchronous: call them outside the event loop, or through
`asyncio.to_thread`. Each context has its own script directory under `migrations/` and
its own `alembic_version` table inside its schema.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from adapters.sql.database import CONTEXT_SCHEMAS, SqlDatabase

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def include_only_schema(schema: str) -> Callable[[str | None, str, Any], bool]:
    """An Alembic `include_name` hook: autogenerate looks at one context's schema only."""

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        return name == schema if type_ == "schema" else True

    return include_name


def _check_context(context: str) -> None:
    if context not in CONTEXT_SCHEMAS:
        raise ValueError(f"unknown context {context!r}; known: {', '.join(CONTEXT_SCHEMAS)}")


def alembic_config(context: str = "auth", database: SqlDatabase | None = None) -> Config:
    """An Alembic `Config` for one context's migrations (for tests and tooling)."""
    _check_context(context)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR / context))
    config.set_main_option("version_table_schema", context)
    if database is not None:
        config.attributes["database"] = database
    return config


def upgrade(database: SqlDatabase, context: str = "auth", revision: str = "head") -> None:
    """Migrate one context's schema to `revision` (a no-op when it is already there)."""
    config = alembic_config(context, database)
    engine = database.create_sync_engine()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def head_revision(context: str = "auth") -> str:
    head = ScriptDirectory.from_config(alembic_config(context)).get_current_head()
    if head is None:  # pragma: no cover - every context ships a migration
        raise RuntimeError(f"context {context!r} has no migrations")
    return head


def current_revision(database: SqlDatabase, context: str = "auth") -> str | None:
    """The revision the database is at, or None before the first migration."""
    _check_context(context)
    engine = database.create_sync_engine()
    try:
        with engine.connect() as connection:
            migration = MigrationContext.configure(
                connection, opts={"version_table_schema": context}
            )
            return migration.get_current_revision()
    finally:
        engine.dispose()


def is_up_to_date(database: SqlDatabase, context: str = "auth") -> bool:
    return current_revision(database, context) == head_revision(context)
