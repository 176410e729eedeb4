"""Alembic migrations of the notification context on SQLite and PostgreSQL: the schema, up
and down again, the match with the tables' metadata, and the indexes the dispatcher, the
admin log, the inbox and the reminder sweep read by."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from adapters.sql import migrate
from adapters.sql.database import CONTEXT_SCHEMAS, SqlDatabase, sqlite_url_in
from adapters.sql.notification import tables as notification
from tests.support.servers import fresh_postgres_database

SCHEMA = notification.SCHEMA
NOTIFICATION_TABLES = {
    "recipients",
    "clinics",
    "preferences",
    "deliveries",
    "inbox_messages",
    "reminders",
    "inbox",
    "outbox",
    "relay_checkpoint",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    """A database nobody has migrated yet (PostgreSQL: its own fresh database)."""
    if request.param == "sqlite":
        yield SqlDatabase(sqlite_url_in(tmp_path / "data"))
        return
    with fresh_postgres_database() as url:
        yield SqlDatabase(url)


def _tables(database: SqlDatabase) -> set[str]:
    engine = database.create_sync_engine()
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            if SCHEMA not in inspector.get_schema_names():
                return set()
            return set(inspector.get_table_names(schema=SCHEMA))
    finally:
        engine.dispose()


def test_notification_is_a_context_schema() -> None:
    assert SCHEMA in CONTEXT_SCHEMAS
    assert len(migrate.head_revision(SCHEMA)) <= 32  # fits Alembic's version column


def test_upgrade_creates_the_schema_and_down_again(empty_database: SqlDatabase) -> None:
    assert migrate.head_revision(SCHEMA) == "0001_notification_initial"
    assert migrate.current_revision(empty_database, SCHEMA) is None

    migrate.upgrade(empty_database, SCHEMA)

    assert migrate.is_up_to_date(empty_database, SCHEMA)
    assert _tables(empty_database) == NOTIFICATION_TABLES | {"alembic_version"}
    migrate.upgrade(empty_database, SCHEMA)  # a no-op at head
    command.downgrade(migrate.alembic_config(SCHEMA, empty_database), "base")
    assert migrate.current_revision(empty_database, SCHEMA) is None
    assert _tables(empty_database) <= {"alembic_version"}
    migrate.upgrade(empty_database, SCHEMA)
    assert _tables(empty_database) == NOTIFICATION_TABLES | {"alembic_version"}


def test_the_indexes_the_queries_read_by(empty_database: SqlDatabase) -> None:
    migrate.upgrade(empty_database, SCHEMA)
    engine = empty_database.create_sync_engine()
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            indexes = {
                table: {
                    tuple(index["column_names"])
                    for index in inspector.get_indexes(table, schema=SCHEMA)
                }
                for table in ("deliveries", "inbox_messages", "reminders")
            }
            keys = {
                table: tuple(
                    inspector.get_pk_constraint(table, schema=SCHEMA)["constrained_columns"]
                )
                for table in ("deliveries", "inbox_messages", "reminders", "preferences")
            }
    finally:
        engine.dispose()
    assert ("status", "next_attempt_at") in indexes["deliveries"]
    assert ("created_at", "delivery_id") in indexes["deliveries"]
    assert ("user_id", "created_at") in indexes["inbox_messages"]
    assert ("status", "due_at") in indexes["reminders"]
    assert keys == {
        "deliveries": ("delivery_id",),
        "inbox_messages": ("message_id",),
        "reminders": ("booking_id",),
        "preferences": ("user_id",),
    }


def test_quiet_hours_are_stored_whole_or_not_at_all(empty_database: SqlDatabase) -> None:
    migrate.upgrade(empty_database, SCHEMA)
    engine = empty_database.create_sync_engine()
    user_id = "00000000-0000-0000-0000-000000000001"
    if empty_database.dialect_name == "sqlite":
        user_id = user_id.replace("-", "")
    insert = (
        "INSERT INTO notification.preferences (user_id, channels, quiet_starts, quiet_ends,"
        " quiet_time_zone, version) VALUES (:id, '{{}}', {starts}, {ends}, {zone}, 1)"
    )
    try:
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(
                text(insert.format(starts="'22:00:00'", ends="NULL", zone="NULL")), {"id": user_id}
            )
        with engine.begin() as connection:
            connection.execute(
                text(insert.format(starts="'22:00:00'", ends="'07:00:00'", zone="'Asia/Tokyo'")),
                {"id": user_id},
            )
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_migration_matches_the_table_metadata() -> None:
    with fresh_postgres_database() as url:
        database = SqlDatabase(url)
        migrate.upgrade(database, SCHEMA)
        engine = database.create_sync_engine()
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "target_metadata": notification.metadata,
                        "include_schemas": True,
                        "include_name": migrate.include_only_schema(SCHEMA),
                        "version_table_schema": SCHEMA,
                        "compare_type": True,
                        "compare_server_default": True,
                    },
                )
                differences = list(compare_metadata(context, notification.metadata))
        finally:
            engine.dispose()
    assert differences == []
