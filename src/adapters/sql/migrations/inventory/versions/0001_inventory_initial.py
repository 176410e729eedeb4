"""inventory: products, stock items with their ledger, reservations, inbox, outbox (with its
NOTIFY trigger on PostgreSQL and the stored CloudEvent) and the relay checkpoint

Revision ID: 0001_inventory_initial
Revises:
Create Date: 2026-11-25

Migrations are frozen snapshots: they use plain SQLAlchemy types, not the application's
type decorators, which store the same column types. The trigger DDL comes from the
adapter because it must match what the relays listen for.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from adapters.sql.messaging_tables import drop_outbox_notify_ddl, outbox_notify_ddl

revision: str = "0001_inventory_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "inventory"

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Exact decimals: NUMERIC on PostgreSQL, text on SQLite.
DECIMAL = sa.Numeric().with_variant(sa.String(), "sqlite")


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _on_postgresql():
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")

    op.create_table(
        "products",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(50), nullable=False),
        sa.Column("price_amount", DECIMAL, nullable=False),
        sa.Column("price_currency", sa.String(3), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("species", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("product_id", name="pk_products"),
        sa.UniqueConstraint("sku", name="uq_products_sku"),
        schema=SCHEMA,
    )

    op.create_table(
        "stock_items",
        sa.Column("stock_item_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("stock_item_id", name="pk_stock_items"),
        sa.ForeignKeyConstraint(
            ["product_id"],
            [f"{SCHEMA}.products.product_id"],
            name="fk_stock_items_product_id_products",
        ),
        sa.UniqueConstraint(
            "product_id", "location_id", name="uq_stock_items_product_id_location_id"
        ),
        # Stock never goes below zero, nor below what is reserved: enforced here as well.
        sa.CheckConstraint(
            "reserved >= 0 AND on_hand >= reserved",
            name=op.f("ck_stock_items_stock_never_negative"),
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_stock_items_location_id", "stock_items", ["location_id"], schema=SCHEMA)

    op.create_table(
        "stock_movements",
        sa.Column("movement_id", sa.Uuid(), nullable=False),
        sa.Column("stock_item_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("on_hand_delta", sa.Integer(), nullable=False),
        sa.Column("reserved_delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("reservation_id", sa.Uuid(), nullable=True),
        sa.Column("stock_version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("movement_id", name="pk_stock_movements"),
        sa.ForeignKeyConstraint(
            ["stock_item_id"],
            [f"{SCHEMA}.stock_items.stock_item_id"],
            name="fk_stock_movements_stock_item_id_stock_items",
        ),
        sa.UniqueConstraint(
            "stock_item_id",
            "stock_version",
            name="uq_stock_movements_stock_item_id_stock_version",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_stock_movements_reservation_id", "stock_movements", ["reservation_id"], schema=SCHEMA
    )

    op.create_table(
        "reservations",
        sa.Column("reservation_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("reservation_id", name="pk_reservations"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_reservations_held_expires_at",
        "reservations",
        ["expires_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'held'"),
        sqlite_where=sa.text("status = 'held'"),
    )

    op.create_table(
        "reservation_lines",
        sa.Column("reservation_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("reservation_id", "product_id", name="pk_reservation_lines"),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            [f"{SCHEMA}.reservations.reservation_id"],
            name="fk_reservation_lines_reservation_id_reservations",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_reservation_lines_quantity_positive")),
        schema=SCHEMA,
    )

    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("handled_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
        schema=SCHEMA,
    )
    op.create_index("ix_inbox_handled_at", "inbox", ["handled_at"], schema=SCHEMA)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("position", BIGINT_ID, sa.Identity(), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("event_name", sa.String(200), nullable=False),
        sa.Column("event_version", sa.Integer(), nullable=False),
        sa.Column("aggregate_type", sa.String(100), nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("aggregate_version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("headers", JSON, nullable=True),
        # The CloudEvent as the relay publishes it, built at commit.
        sa.Column("envelope", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("published_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("position", name="uq_outbox_position"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["position"],
        schema=SCHEMA,
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    # The relay prunes and requeues by publication time.
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"], schema=SCHEMA)
    if _on_postgresql():
        for statement in outbox_notify_ddl(SCHEMA):
            op.execute(statement)

    op.create_table(
        "relay_checkpoint",
        sa.Column("context", sa.String(100), nullable=False),
        sa.Column("safe_point", TIMESTAMP, nullable=False),
        sa.Column("broker_identity", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("context", name="pk_relay_checkpoint"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    if _on_postgresql():
        for statement in drop_outbox_notify_ddl(SCHEMA):
            op.execute(statement)
    for table in (
        "relay_checkpoint",
        "outbox",
        "inbox",
        "reservation_lines",
        "reservations",
        "stock_movements",
        "stock_items",
        "products",
    ):
        op.drop_table(table, schema=SCHEMA)
