"""The inventory context's tables, all in schema `inventory` (a PostgreSQL schema; an
attached SQLite file).

The Alembic migrations under `adapters/sql/migrations/inventory` create exactly this; a
test compares them with `alembic.autogenerate.compare_metadata`. The stock rule is a CHECK
constraint too (0 <= reserved <= on_hand): the last line of defence behind the
repositories' conditional updates.
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
    false,
)

from adapters.sql.column_types import ExactDecimal, Json, UtcDateTime
from adapters.sql.messaging_tables import (
    context_metadata,
    inbox_table,
    outbox_table,
    relay_checkpoint_table,
)

SCHEMA = "inventory"

metadata = context_metadata(SCHEMA)

# Integrity errors are translated by these names (PostgreSQL reports the constraint name,
# SQLite the columns).
PRODUCTS_SKU_UNIQUE = "uq_products_sku"
STOCK_ITEMS_KEY_UNIQUE = "uq_stock_items_product_id_location_id"
STOCK_NEVER_NEGATIVE = "ck_stock_items_stock_never_negative"
CATEGORIES_SIBLING_NAME_UNIQUE = "uq_categories_sibling_key"

# The category tree: a name is unique among its siblings, compared case-insensitively
# (`sibling_key`: the parent id, or "root", and the case-folded name).
categories = Table(
    "categories",
    metadata,
    Column("category_id", Uuid(), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("parent_id", Uuid(), ForeignKey(f"{SCHEMA}.categories.category_id"), nullable=True),
    Column("sibling_key", String(300), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
    UniqueConstraint("sibling_key", name=CATEGORIES_SIBLING_NAME_UNIQUE),
)

# Stock locations: clinics (kept from the clinic context's events, by aggregate version)
# and warehouses.
locations = Table(
    "locations",
    metadata,
    Column("location_id", Uuid(), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("staff", Json, nullable=False),  # sorted array of user ids (clinics)
    Column("version", Integer(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("kind IN ('clinic', 'warehouse')", name="kind_known"),
)

products = Table(
    "products",
    metadata,
    Column("product_id", Uuid(), primary_key=True),
    Column("sku", String(64), nullable=False),  # normalised upper-case
    Column("name", String(200), nullable=False),
    Column("unit", String(50), nullable=False),
    Column("price_amount", ExactDecimal(), nullable=False),
    Column("price_currency", String(3), nullable=False),
    Column("category_id", Uuid(), nullable=True),
    Column("species", Json, nullable=False),  # sorted array of species names
    Column("active", Boolean(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
    UniqueConstraint("sku", name=PRODUCTS_SKU_UNIQUE),
)

stock_items = Table(
    "stock_items",
    metadata,
    Column("stock_item_id", Uuid(), primary_key=True),
    Column("product_id", Uuid(), ForeignKey(products.c.product_id), nullable=False),
    Column("location_id", Uuid(), nullable=False, index=True),
    Column("on_hand", Integer(), nullable=False),
    Column("reserved", Integer(), nullable=False),
    Column("version", Integer(), nullable=False),  # the number of movements
    Column("updated_at", UtcDateTime(), nullable=False),
    # The reorder policy (all three null: none), units on open purchase orders, and whether
    # stock.low was published for the current crossing (flipped by a conditional update).
    Column("threshold", Integer(), nullable=True),
    Column("reorder_quantity", Integer(), nullable=True),
    Column("needed_within_days", Integer(), nullable=True),
    Column("on_order", Integer(), nullable=False, server_default="0"),
    Column("low_reported", Boolean(), nullable=False, server_default=false()),
    UniqueConstraint("product_id", "location_id", name=STOCK_ITEMS_KEY_UNIQUE),
    CheckConstraint("reserved >= 0 AND on_hand >= reserved", name="stock_never_negative"),
    CheckConstraint("on_order >= 0", name="on_order_never_negative"),
    CheckConstraint(
        "(threshold IS NULL AND reorder_quantity IS NULL AND needed_within_days IS NULL) OR "
        "(threshold IS NOT NULL AND reorder_quantity IS NOT NULL AND threshold >= 0 "
        "AND reorder_quantity >= 1 "
        "AND (needed_within_days IS NULL OR needed_within_days >= 1))",
        name="reorder_policy_valid",
    ),
)

# The ledger: every change of a stock item, numbered by the version it produced, so its
# deltas sum to the item's numbers.
stock_movements = Table(
    "stock_movements",
    metadata,
    Column("movement_id", Uuid(), primary_key=True),
    Column("stock_item_id", Uuid(), ForeignKey(stock_items.c.stock_item_id), nullable=False),
    Column("product_id", Uuid(), nullable=False),
    Column("location_id", Uuid(), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("on_hand_delta", Integer(), nullable=False),
    Column("reserved_delta", Integer(), nullable=False),
    Column("reason", Text(), nullable=True),
    Column("reference", String(200), nullable=True),
    Column("reservation_id", Uuid(), nullable=True, index=True),
    Column("stock_version", Integer(), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    UniqueConstraint("stock_item_id", "stock_version"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("reservation_id", Uuid(), primary_key=True),
    Column("location_id", Uuid(), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("failure_reason", Text(), nullable=True),
    Column("release_reason", Text(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
)
# The expiry job's query: held reservations by expiry.
Index(
    "ix_reservations_held_expires_at",
    reservations.c.expires_at,
    postgresql_where=reservations.c.status == "held",
    sqlite_where=reservations.c.status == "held",
)

reservation_lines = Table(
    "reservation_lines",
    metadata,
    Column(
        "reservation_id",
        Uuid(),
        ForeignKey(reservations.c.reservation_id, ondelete="CASCADE"),
        nullable=False,
    ),
    Column("product_id", Uuid(), nullable=False),
    Column("quantity", Integer(), nullable=False),
    PrimaryKeyConstraint("reservation_id", "product_id"),
    CheckConstraint("quantity >= 1", name="quantity_positive"),
)

# Purchase orders on their way (from the vendor context's events): stock on order is the
# sum of (ordered - received) over the open ones of a product at a location.
incoming_orders = Table(
    "incoming_orders",
    metadata,
    Column("purchase_order_id", Uuid(), primary_key=True),
    Column("product_id", Uuid(), ForeignKey(products.c.product_id), nullable=False),
    Column("location_id", Uuid(), nullable=False),
    Column("quantity_ordered", Integer(), nullable=False),
    Column("quantity_received", Integer(), nullable=False),
    Column("open", Boolean(), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("expected_on", Date(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint(
        "quantity_ordered >= 1 AND quantity_received >= 0 "
        "AND quantity_received <= quantity_ordered",
        name="quantities_valid",
    ),
)
Index(
    "ix_incoming_orders_product_id_location_id",
    incoming_orders.c.product_id,
    incoming_orders.c.location_id,
)

inbox = inbox_table(metadata)  # inventory consumes user and vendor events later
outbox = outbox_table(metadata)
relay_checkpoint = relay_checkpoint_table(metadata)

# The shop's tables (customer orders, their Idempotency-Key answers) live in their own module
# on this metadata; importing it here registers them wherever this metadata is used (the
# migrations' environment, the comparison with the migrations).
from adapters.sql.inventory import customer_order_tables as _shop  # noqa: E402, F401
