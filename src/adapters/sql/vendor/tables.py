"""The vendor context's tables, all in schema `vendor` (a PostgreSQL schema; an attached
SQLite file).

The Alembic migrations under `adapters/sql/migrations/vendor` create exactly this; a test
compares them with `alembic.autogenerate.compare_metadata`. "One open purchase order per
product and location" is a partial unique index: the last line of defence behind the
reorder handler's check, also when two reorders race in parallel transactions.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from adapters.sql.column_types import ExactDecimal, Json, UtcDateTime
from adapters.sql.messaging_tables import (
    context_metadata,
    inbox_table,
    outbox_table,
    relay_checkpoint_table,
)

SCHEMA = "vendor"

metadata = context_metadata(SCHEMA)

# Integrity errors are translated by these names (PostgreSQL reports the constraint name,
# SQLite the columns).
OPEN_ORDER_UNIQUE = "uq_purchase_orders_open_product_location"
SUPPLY_PRODUCT_UNIQUE = "uq_supply_items_vendor_id_product_id"
SUPPLY_SKU_UNIQUE = "uq_supply_items_vendor_id_vendor_sku"
OPEN_STATUSES = ("created", "confirmed", "shipped", "partially_delivered")

vendors = Table(
    "vendors",
    metadata,
    Column("vendor_id", Uuid(), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=True),
    Column("phone", String(40), nullable=True),
    Column("lead_time_days", Integer(), nullable=False),
    Column("active", Boolean(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
    CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
)
Index("ix_vendors_name_vendor_id", vendors.c.name, vendors.c.vendor_id)

# `position` keeps the members in the order they joined.
vendor_members = Table(
    "vendor_members",
    metadata,
    Column("vendor_id", Uuid(), ForeignKey(vendors.c.vendor_id), nullable=False),
    Column("user_id", Uuid(), nullable=False, index=True),
    Column("position", Integer(), nullable=False),
    PrimaryKeyConstraint("vendor_id", "user_id"),
)

# Inventory's products as the vendor context knows them (from product.* events).
catalogue_products = Table(
    "catalogue_products",
    metadata,
    Column("product_id", Uuid(), primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("unit", String(50), nullable=False),
    Column("active", Boolean(), nullable=False),
    Column("version", Integer(), nullable=False),
)

supply_items = Table(
    "supply_items",
    metadata,
    Column("item_id", Uuid(), primary_key=True),
    Column("vendor_id", Uuid(), ForeignKey(vendors.c.vendor_id), nullable=False),
    Column("product_id", Uuid(), nullable=False, index=True),
    Column("vendor_sku", String(64), nullable=False),
    Column("unit_cost_amount", ExactDecimal(), nullable=False),
    Column("unit_cost_currency", String(3), nullable=False),
    Column("minimum_order", Integer(), nullable=False),
    Column("pack_size", Integer(), nullable=False),
    Column("active", Boolean(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
    UniqueConstraint("vendor_id", "product_id", name=SUPPLY_PRODUCT_UNIQUE),
    UniqueConstraint("vendor_id", "vendor_sku", name=SUPPLY_SKU_UNIQUE),
    CheckConstraint("minimum_order >= 1 AND pack_size >= 1", name="quantities_positive"),
)

purchase_orders = Table(
    "purchase_orders",
    metadata,
    Column("purchase_order_id", Uuid(), primary_key=True),
    Column("vendor_id", Uuid(), ForeignKey(vendors.c.vendor_id), nullable=False),
    Column("vendor_name", String(200), nullable=False),
    Column("product_id", Uuid(), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("vendor_sku", String(64), nullable=False),
    Column("location_id", Uuid(), nullable=False),
    Column("quantity", Integer(), nullable=False),
    Column("unit_cost_amount", ExactDecimal(), nullable=False),
    Column("unit_cost_currency", String(3), nullable=False),
    Column("status", String(24), nullable=False),
    Column("expected_on", Date(), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("origin_event_id", Uuid(), nullable=True, unique=True),  # one order per stock.low
    Column("note", Text(), nullable=True),
    Column("shipments", Json, nullable=False),  # a JSON array, in shipping order
    Column("deliveries", Json, nullable=False),  # a JSON array, in delivery order
    Column("quantity_delivered", Integer(), nullable=False),
    Column("cancel_reason", Text(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
    CheckConstraint(
        "quantity >= 1 AND quantity_delivered >= 0 AND quantity_delivered <= quantity",
        name="quantities_in_range",
    ),
)
Index(
    OPEN_ORDER_UNIQUE,
    purchase_orders.c.product_id,
    purchase_orders.c.location_id,
    unique=True,
    postgresql_where=purchase_orders.c.status.in_(OPEN_STATUSES),
    sqlite_where=purchase_orders.c.status.in_(OPEN_STATUSES),
)
Index(
    "ix_purchase_orders_created_at_purchase_order_id",
    purchase_orders.c.created_at,
    purchase_orders.c.purchase_order_id,
)
Index(
    "ix_purchase_orders_vendor_id_created_at",
    purchase_orders.c.vendor_id,
    purchase_orders.c.created_at,
)

# The vendor_inventory_status read model: one row per product and location.
stock_status = Table(
    "stock_status",
    metadata,
    Column("product_id", Uuid(), nullable=False),
    Column("location_id", Uuid(), nullable=False),
    Column("stock_item_id", Uuid(), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("product_name", String(200), nullable=False),
    Column("on_hand", Integer(), nullable=False),
    Column("reserved", Integer(), nullable=False),
    Column("available", Integer(), nullable=False),
    Column("stock_version", Integer(), nullable=False),
    Column("threshold", Integer(), nullable=True),
    Column("reorder_quantity", Integer(), nullable=True),
    Column("low_version", Integer(), nullable=False),
    PrimaryKeyConstraint("product_id", "location_id"),
)

# The stock events the view was built from, compacted to the newest per stock item and
# event name: what `petpro vendors rebuild-status` folds again.
stock_event_journal = Table(
    "stock_event_journal",
    metadata,
    Column("stock_item_id", Uuid(), nullable=False),
    Column("event_name", String(100), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("aggregate_version", Integer(), nullable=False),
    Column("payload", Json, nullable=False),
    PrimaryKeyConstraint("stock_item_id", "event_name"),
)

reorder_decisions = Table(
    "reorder_decisions",
    metadata,
    Column("event_id", Uuid(), primary_key=True),  # the stock.low event's
    Column("product_id", Uuid(), nullable=False),
    Column("location_id", Uuid(), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("purchase_order_id", Uuid(), nullable=True),
    Column("reason", Text(), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
)
Index(
    "ix_reorder_decisions_product_id_location_id_decided_at",
    reorder_decisions.c.product_id,
    reorder_decisions.c.location_id,
    reorder_decisions.c.decided_at,
)

inbox = inbox_table(metadata)
outbox = outbox_table(metadata)
relay_checkpoint = relay_checkpoint_table(metadata)
