"""Alembic migrations of the auth context on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from adapters.sql import migrate
from adapters.sql.auth.tables import SCHEMA, metadata
from adapters.sql.database import SqlDatabase, sqlite_url_in
from tests.support.servers import fresh_postgres_database

AUTH_TABLES = {
    "users",
    "pets",
    "refresh_tokens",
    "login_failures",
    "outbox",
    "relay_checkpoint",
    "booking_history",
    "inbox",
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


def test_upgrade_creates_the_schema_and_records_the_head(empty_database: SqlDatabase) -> None:
    head = migrate.head_revision("auth")
    assert head == "0006_booking_history"
    assert migrate.current_revision(empty_database, "auth") is None
    assert not migrate.is_up_to_date(empty_database, "auth")
    assert _tables(empty_database) == set()

    migrate.upgrade(empty_database, "auth")

    assert migrate.current_revision(empty_database, "auth") == head
    assert migrate.is_up_to_date(empty_database, "auth")
    # Alembic's version table lives in the context's own schema.
    assert _tables(empty_database) == AUTH_TABLES | {"alembic_version"}


def test_upgrade_twice_is_a_no_op(empty_database: SqlDatabase) -> None:
    migrate.upgrade(empty_database, "auth")
    engine = empty_database.create_sync_engine()
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO auth.login_failures (key, at) VALUES ('k', :at)"),
                {"at": "2026-01-01 00:00:00.000000"},
            )
        migrate.upgrade(empty_database, "auth")
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM auth.login_failures")).scalar()
    finally:
        engine.dispose()
    assert count == 1
    assert migrate.is_up_to_date(empty_database, "auth")


def test_downgrade_to_base_and_up_again(empty_database: SqlDatabase) -> None:
    migrate.upgrade(empty_database, "auth")
    config = migrate.alembic_config("auth", empty_database)
    command.downgrade(config, "base")
    assert migrate.current_revision(empty_database, "auth") is None
    assert _tables(empty_database) <= {"alembic_version"}
    migrate.upgrade(empty_database, "auth")
    assert _tables(empty_database) == AUTH_TABLES | {"alembic_version"}


@pytest.mark.postgres
def test_the_migration_matches_the_table_metadata() -> None:
    """Autogenerate finds nothing to do. Compared on PostgreSQL only: SQLite cannot reflect
    expression indexes, and has no identity columns (the outbox numbers `position` itself)."""
    with fresh_postgres_database() as url:
        differences = _compare_with_metadata(SqlDatabase(url))
    assert differences == []


def _compare_with_metadata(database: SqlDatabase) -> list[object]:
    migrate.upgrade(database, "auth")
    engine = database.create_sync_engine()
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "target_metadata": metadata,
                    "include_schemas": True,
                    "include_name": migrate.include_only_schema(SCHEMA),
                    "version_table_schema": SCHEMA,
                    "compare_type": True,
                    "compare_server_default": True,
                },
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_sqlite_has_the_case_insensitive_email_index(tmp_path: Path) -> None:
    database = SqlDatabase(sqlite_url_in(tmp_path / "data"))
    migrate.upgrade(database, "auth")
    engine = database.create_sync_engine()
    try:
        with engine.connect() as connection:
            sql = connection.execute(
                text("SELECT sql FROM auth.sqlite_master WHERE name = 'uq_users_email_lower'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert "UNIQUE INDEX" in sql and "lower(email)" in sql


def test_unknown_context_is_refused(tmp_path: Path) -> None:
    database = SqlDatabase(sqlite_url_in(tmp_path))
    with pytest.raises(ValueError, match="unknown context"):
        migrate.upgrade(database, "kennel")


# --- the booking context -----------------------------------------------------------------

BOOKING_TABLES = {
    "pet_cache",
    "inbox",
    "outbox",
    "relay_checkpoint",
    "bookings",
    "booking_sagas",
    "clinic_cache",
    "service_cache",
    "schedule_cache",
    "idempotency_keys",
}


def _tables_of(database: SqlDatabase, schema: str) -> set[str]:
    engine = database.create_sync_engine()
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            if schema not in inspector.get_schema_names():
                return set()
            return set(inspector.get_table_names(schema=schema))
    finally:
        engine.dispose()


def test_booking_upgrade_creates_its_schema_and_down_again(empty_database: SqlDatabase) -> None:
    assert migrate.head_revision("booking") == "0005_saga_charged_at"
    assert migrate.current_revision(empty_database, "booking") is None

    migrate.upgrade(empty_database, "booking")

    assert migrate.is_up_to_date(empty_database, "booking")
    assert _tables_of(empty_database, "booking") == BOOKING_TABLES | {"alembic_version"}
    assert _tables_of(empty_database, "auth") == set()  # one context, one schema

    command.downgrade(migrate.alembic_config("booking", empty_database), "base")
    assert migrate.current_revision(empty_database, "booking") is None
    assert _tables_of(empty_database, "booking") <= {"alembic_version"}
    migrate.upgrade(empty_database, "booking")
    assert _tables_of(empty_database, "booking") == BOOKING_TABLES | {"alembic_version"}


@pytest.mark.postgres
def test_the_booking_migration_matches_the_table_metadata() -> None:
    from adapters.sql.booking import tables as booking

    with fresh_postgres_database() as url:
        database = SqlDatabase(url)
        migrate.upgrade(database, "booking")
        engine = database.create_sync_engine()
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "target_metadata": booking.metadata,
                        "include_schemas": True,
                        "include_name": migrate.include_only_schema(booking.SCHEMA),
                        "version_table_schema": booking.SCHEMA,
                        "compare_type": True,
                        "compare_server_default": True,
                    },
                )
                differences = list(compare_metadata(context, booking.metadata))
        finally:
            engine.dispose()
    assert differences == []


@pytest.mark.postgres
def test_the_booking_outbox_notifies_relays_and_downgrade_removes_the_trigger() -> None:
    import psycopg

    from adapters.sql.messaging_tables import OUTBOX_NOTIFY_CHANNEL
    from tests.support.servers import libpq_url

    insert_a_row = text(
        "INSERT INTO booking.outbox (id, event_type, event_name, event_version,"
        " aggregate_type, aggregate_id, aggregate_version, occurred_at, payload, created_at)"
        " VALUES (gen_random_uuid(), 'petpro.booking.created.v1', 'booking.created', 1,"
        " 'booking', gen_random_uuid(), 1, now(), '{}', now())"
    )
    with fresh_postgres_database() as url:
        database = SqlDatabase(url)
        migrate.upgrade(database, "booking")
        engine = database.create_sync_engine()
        try:
            with psycopg.connect(libpq_url(url), autocommit=True) as listener:
                listener.execute(f"LISTEN {OUTBOX_NOTIFY_CHANNEL}")
                with engine.begin() as connection:
                    connection.execute(insert_a_row)
                notified = [n.payload for n in listener.notifies(timeout=2.0, stop_after=1)]
            command.downgrade(migrate.alembic_config("booking", database), "base")
            with engine.connect() as connection:
                left_over = connection.execute(
                    text(
                        "SELECT count(*) FROM pg_proc WHERE proname = 'notify_outbox'"
                        " AND pronamespace = 'booking'::regnamespace"
                    )
                ).scalar()
        finally:
            engine.dispose()
    assert notified == ["booking"]
    assert left_over == 0
