"""vendor: vendors and their members, the product and supply catalogues, purchase orders
(one open per product and location), the inventory status view with its journal, reorder
decisions, inbox, outbox (with its NOTIFY trigger on PostgreSQL) and the relay checkpoint

Revision ID: 0001_vendor_initial
Revises:
Create Date: 2026-12-01

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

revision: str = "0001_vendor_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "vendor"

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Exact decimals: NUMERIC on PostgreSQL, text on SQLite.
DECIMAL = sa.Numeric().with_variant(sa.String(), "sqlite")
OPEN = "status IN ('created', 'confirmed', 'shipped', 'partially_delivered')"


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _fk_vendor(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["vendor_id"], [f"{SCHEMA}.vendors.vendor_id"], name=f"fk_{table}_vendor_id_vendors"
    )


def upgrade() -> None:
    if _on_postgresql():
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")

    op.create_table(
        "vendors",
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("vendor_id", name="pk_vendors"),
        sa.CheckConstraint("lead_time_days >= 0", name=op.f("ck_vendors_lead_time_not_negative")),
        schema=SCHEMA,
    )
    op.create_index("ix_vendors_name_vendor_id", "vendors", ["name", "vendor_id"], schema=SCHEMA)

    op.create_table(
        "vendor_members",
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("vendor_id", "user_id", name="pk_vendor_members"),
        _fk_vendor("vendor_members"),
        schema=SCHEMA,
    )
    op.create_index("ix_vendor_members_user_id", "vendor_members", ["user_id"], schema=SCHEMA)

    op.create_table(
        "catalogue_products",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(50), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("product_id", name="pk_catalogue_products"),
        schema=SCHEMA,
    )

    op.create_table(
        "supply_items",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_sku", sa.String(64), nullable=False),
        sa.Column("unit_cost_amount", DECIMAL, nullable=False),
        sa.Column("unit_cost_currency", sa.String(3), nullable=False),
        sa.Column("minimum_order", sa.Integer(), nullable=False),
        sa.Column("pack_size", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name="pk_supply_items"),
        _fk_vendor("supply_items"),
        sa.UniqueConstraint("vendor_id", "product_id", name="uq_supply_items_vendor_id_product_id"),
        sa.UniqueConstraint("vendor_id", "vendor_sku", name="uq_supply_items_vendor_id_vendor_sku"),
        sa.CheckConstraint(
            "minimum_order >= 1 AND pack_size >= 1",
            name=op.f("ck_supply_items_quantities_positive"),
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_supply_items_product_id", "supply_items", ["product_id"], schema=SCHEMA)

    op.create_table(
        "purchase_orders",
        sa.Column("purchase_order_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_name", sa.String(200), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("vendor_sku", sa.String(64), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost_amount", DECIMAL, nullable=False),
        sa.Column("unit_cost_currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("origin_event_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("shipments", JSON, nullable=False),
        sa.Column("deliveries", JSON, nullable=False),
        sa.Column("quantity_delivered", sa.Integer(), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("purchase_order_id", name="pk_purchase_orders"),
        _fk_vendor("purchase_orders"),
        sa.UniqueConstraint("origin_event_id", name="uq_purchase_orders_origin_event_id"),
        sa.CheckConstraint(
            "quantity >= 1 AND quantity_delivered >= 0 AND quantity_delivered <= quantity",
            name=op.f("ck_purchase_orders_quantities_in_range"),
        ),
        schema=SCHEMA,
    )
    # One open purchase order per product and location, whatever races.
    op.create_index(
        "uq_purchase_orders_open_product_location",
        "purchase_orders",
        ["product_id", "location_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_purchase_orders_created_at_purchase_order_id",
        "purchase_orders",
        ["created_at", "purchase_order_id"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_purchase_orders_vendor_id_created_at",
        "purchase_orders",
        ["vendor_id", "created_at"],
        schema=SCHEMA,
    )

    op.create_table(
        "stock_status",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("stock_item_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("product_name", sa.String(200), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("stock_version", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=True),
        sa.Column("reorder_quantity", sa.Integer(), nullable=True),
        sa.Column("low_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("product_id", "location_id", name="pk_stock_status"),
        schema=SCHEMA,
    )

    op.create_table(
        "stock_event_journal",
        sa.Column("stock_item_id", sa.Uuid(), nullable=False),
        sa.Column("event_name", sa.String(100), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("aggregate_version", sa.Integer(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.PrimaryKeyConstraint("stock_item_id", "event_name", name="pk_stock_event_journal"),
        schema=SCHEMA,
    )

    op.create_table(
        "reorder_decisions",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("purchase_order_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_reorder_decisions"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_reorder_decisions_product_id_location_id_decided_at",
        "reorder_decisions",
        ["product_id", "location_id", "decided_at"],
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
        "reorder_decisions",
        "stock_event_journal",
        "stock_status",
        "purchase_orders",
        "supply_items",
        "catalogue_products",
        "vendor_members",
        "vendors",
    ):
        op.drop_table(table, schema=SCHEMA)
