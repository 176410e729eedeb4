"""Alembic migrations of the inventory context on SQLite and PostgreSQL: the schema, the
match with the tables' metadata, the outbox trigger, and the stock rule in the database."""

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
from adapters.sql.inventory import tables as inventory
from tests.support.servers import fresh_postgres_database

INVENTORY_TABLES = {
    "categories",
    "locations",
    "incoming_orders",
    "customer_orders",
    "customer_order_lines",
    "idempotency_keys",
    "products",
    "stock_items",
    "stock_movements",
    "reservations",
    "reservation_lines",
    "inbox",
    "outbox",
    "relay_checkpoint",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
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
            if "inventory" not in inspector.get_schema_names():
                return set()
            return set(inspector.get_table_names(schema="inventory"))
    finally:
        engine.dispose()


def test_inventory_is_a_context_schema() -> None:
    assert "inventory" in CONTEXT_SCHEMAS


def test_upgrade_creates_the_schema_and_down_again(empty_database: SqlDatabase) -> None:
    assert migrate.head_revision("inventory") == "0003_customer_orders"
    assert migrate.current_revision(empty_database, "inventory") is None

    migrate.upgrade(empty_database, "inventory")

    assert migrate.is_up_to_date(empty_database, "inventory")
    assert _tables(empty_database) == INVENTORY_TABLES | {"alembic_version"}
    command.downgrade(migrate.alembic_config("inventory", empty_database), "base")
    assert migrate.current_revision(empty_database, "inventory") is None
    assert _tables(empty_database) <= {"alembic_version"}
    migrate.upgrade(empty_database, "inventory")
    assert _tables(empty_database) == INVENTORY_TABLES | {"alembic_version"}


def test_the_database_refuses_stock_below_zero_or_below_reserved(
    empty_database: SqlDatabase,
) -> None:
    migrate.upgrade(empty_database, "inventory")
    engine = empty_database.create_sync_engine()
    product_id, item_id = "0" * 31 + "1", "0" * 31 + "2"
    if empty_database.dialect_name == "postgresql":
        product_id = f"00000000-0000-0000-0000-{product_id[-12:]}"
        item_id = f"00000000-0000-0000-0000-{item_id[-12:]}"
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO inventory.products (product_id, sku, name, unit, price_amount,"
                    " price_currency, species, active, created_at, updated_at, version)"
                    " VALUES (:id, 'P1', 'P', 'box', '1.00', 'EUR', '[]', true,"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"
                ),
                {"id": product_id},
            )
            connection.execute(
                text(
                    "INSERT INTO inventory.stock_items (stock_item_id, product_id, location_id,"
                    " on_hand, reserved, version, updated_at)"
                    " VALUES (:item, :product, :product, 2, 1, 1, '2026-01-01 00:00:00')"
                ),
                {"item": item_id, "product": product_id},
            )
        for change in (
            "on_hand = 0",
            "reserved = -1",
            "reserved = 3",
            "on_order = -1",
            "threshold = -1, reorder_quantity = 1",
            "threshold = 1",  # a threshold without a reorder quantity
            "threshold = 1, reorder_quantity = 0",
            "threshold = 1, reorder_quantity = 1, needed_within_days = 0",
        ):
            with pytest.raises(IntegrityError), engine.begin() as connection:
                connection.execute(text(f"UPDATE inventory.stock_items SET {change}"))  # noqa: S608
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT on_hand, reserved FROM inventory.stock_items")
            ).one()
            inspector = inspect(connection)
            checks = {
                table: {c["name"] for c in inspector.get_check_constraints(table, "inventory")}
                for table in ("stock_items", "reservation_lines")
            }
    finally:
        engine.dispose()
    assert tuple(row) == (2, 1)
    # The names the tables' metadata gives them (the repositories may match on them).
    assert checks == {
        "stock_items": {
            inventory.STOCK_NEVER_NEGATIVE,
            "ck_stock_items_on_order_never_negative",
            "ck_stock_items_reorder_policy_valid",
        },
        "reservation_lines": {"ck_reservation_lines_quantity_positive"},
    }


@pytest.mark.postgres
def test_the_migration_matches_the_table_metadata() -> None:
    with fresh_postgres_database() as url:
        database = SqlDatabase(url)
        migrate.upgrade(database, "inventory")
        engine = database.create_sync_engine()
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "target_metadata": inventory.metadata,
                        "include_schemas": True,
                        "include_name": migrate.include_only_schema(inventory.SCHEMA),
                        "version_table_schema": inventory.SCHEMA,
                        "compare_type": True,
                        "compare_server_default": True,
                    },
                )
                differences = list(compare_metadata(context, inventory.metadata))
        finally:
            engine.dispose()
    assert differences == []


@pytest.mark.postgres
def test_the_outbox_notifies_relays_and_downgrade_removes_the_trigger() -> None:
    import psycopg

    from adapters.sql.messaging_tables import OUTBOX_NOTIFY_CHANNEL
    from tests.support.servers import libpq_url

    insert_a_row = text(
        "INSERT INTO inventory.outbox (id, event_type, event_name, event_version,"
        " aggregate_type, aggregate_id, aggregate_version, occurred_at, payload, created_at)"
        " VALUES (gen_random_uuid(), 'petpro.product.created.v1', 'product.created', 1,"
        " 'product', gen_random_uuid(), 1, now(), '{}', now())"
    )
    with fresh_postgres_database() as url:
        database = SqlDatabase(url)
        migrate.upgrade(database, "inventory")
        engine = database.create_sync_engine()
        try:
            with psycopg.connect(libpq_url(url), autocommit=True) as listener:
                listener.execute(f"LISTEN {OUTBOX_NOTIFY_CHANNEL}")
                with engine.begin() as connection:
                    connection.execute(insert_a_row)
                notified = [n.payload for n in listener.notifies(timeout=2.0, stop_after=1)]
            command.downgrade(migrate.alembic_config("inventory", database), "base")
            with engine.connect() as connection:
                left_over = connection.execute(
                    text(
                        "SELECT count(*) FROM pg_proc WHERE proname = 'notify_outbox'"
                        " AND pronamespace = 'inventory'::regnamespace"
                    )
                ).scalar()
        finally:
            engine.dispose()
    assert notified == ["inventory"]
    assert left_over == 0
