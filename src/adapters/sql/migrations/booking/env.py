"""Alembic environment of the booking context (schema `booking`).

Run programmatically by `adapters.sql.migrate`, which passes the connection (or the
`SqlDatabase`) in `config.attributes`. A `sqlalchemy.url` main option also works, for
developers running `alembic -c ... revision --autogenerate`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from adapters.sql.booking.tables import SCHEMA, metadata
from adapters.sql.database import SqlDatabase
from adapters.sql.migrate import include_only_schema

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=SCHEMA,
        include_schemas=True,
        include_name=include_only_schema(SCHEMA),
        # SQLAlchemy emits BEGIN on SQLite too (see SqlDatabase), so DDL is transactional.
        transactional_ddl=True,
        compare_type=True,
    )


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # The version table lives in the schema, so the schema must exist before Alembic
        # looks for it.
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        version_table_schema=SCHEMA,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    database = config.attributes.get("database")
    if database is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no connection, database or sqlalchemy.url given to Alembic")
        database = SqlDatabase(url)
    engine = database.create_sync_engine()
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
