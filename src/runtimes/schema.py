"""Schema state of every SQL-backed context: inspect, upgrade, or refuse to start.

Migrations are synchronous (Alembic); call these outside a running event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.sql import migrate
from runtimes.databases import Databases
from runtimes.settings import Settings


class SchemaBehind(RuntimeError):
    """The database's schema is older than the code; `petpro db upgrade` fixes it."""


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    context: str
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def schema_status(databases: Databases) -> list[SchemaStatus]:
    return [
        SchemaStatus(
            context=context,
            current=migrate.current_revision(databases.for_context(context), context),
            head=migrate.head_revision(context),
        )
        for context in databases.sql_contexts()
    ]


def upgrade_all(databases: Databases) -> list[SchemaStatus]:
    for context in databases.sql_contexts():
        migrate.upgrade(databases.for_context(context), context)
    return schema_status(databases)


def prepare_schema(settings: Settings, databases: Databases) -> list[SchemaStatus]:
    """Upgrade where the settings allow it (embedded default); otherwise insist it is current."""
    if settings.should_auto_migrate:
        return upgrade_all(databases)
    statuses = schema_status(databases)
    behind = [s for s in statuses if not s.up_to_date]
    if behind:
        names = ", ".join(
            f"{s.context} at {s.current or 'nothing'} (code needs {s.head})" for s in behind
        )
        raise SchemaBehind(f"database schema is behind: {names}; run `petpro db upgrade` first")
    return statuses
