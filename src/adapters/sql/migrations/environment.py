"""The Alembic environment every context's `env.py` runs, for its own schema and tables.

Run programmatically by `adapters.sql.migrate`, which passes the connection (or the
`SqlDatabase`) in `config.attributes`. A `sqlalchemy.url` main option also works, for
developers running `alembic -c ... revision --autogenerate`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, MetaData, text

from adapters.sql.database import SqlDatabase
from adapters.sql.migrate import include_only_schema


def run_environment(schema: str, metadata: MetaData) -> None:
    if context.is_offline_mode():
        _run_offline(schema, metadata)
    else:
        _run_online(schema, metadata)


def _run(connection: Connection, schema: str, metadata: MetaData) -> None:
    if connection.dialect.name == "postgresql":
        # The version table lives in the schema, so the schema must exist before Alembic
        # looks for it.
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        include_schemas=True,
        include_name=include_only_schema(schema),
        # SQLAlchemy emits BEGIN on SQLite too (see SqlDatabase), so DDL is transactional.
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_offline(schema: str, metadata: MetaData) -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        version_table_schema=schema,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online(schema: str, metadata: MetaData) -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, schema, metadata)
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
            _run(connection, schema, metadata)
    finally:
        engine.dispose()
