"""inventory: categories, stock locations, reorder policy and the low-stock flag on stock
items, and incoming purchase orders

Revision ID: 0002_inventory_catalog
Revises: 0001_inventory_initial
Create Date: 2026-11-26

The revision id is shorter than the file name: `alembic_version.version_num` holds at most
32 characters. On SQLite the new stock item columns carry their CHECK constraints inline
(SQLite cannot add a table constraint to an existing table).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_inventory_catalog"  # alembic_version holds at most 32 characters
down_revision: str | None = "0001_inventory_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "inventory"

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

ON_ORDER_CHECK = "on_order >= 0"
POLICY_CHECK = (
    "(threshold IS NULL AND reorder_quantity IS NULL AND needed_within_days IS NULL) OR "
    "(threshold IS NOT NULL AND reorder_quantity IS NOT NULL AND threshold >= 0 "
    "AND reorder_quantity >= 1 "
    "AND (needed_within_days IS NULL OR needed_within_days >= 1))"
)


NEW_STOCK_COLUMNS = (
    "low_reported",
    "on_order",
    "needed_within_days",
    "reorder_quantity",
    "threshold",
)


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("sibling_key", sa.String(300), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("category_id", name="pk_categories"),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            [f"{SCHEMA}.categories.category_id"],
            name="fk_categories_parent_id_categories",
        ),
        # A name is unique among its siblings, case-insensitively.
        sa.UniqueConstraint("sibling_key", name="uq_categories_sibling_key"),
        schema=SCHEMA,
    )

    op.create_table(
        "locations",
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("staff", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("location_id", name="pk_locations"),
        sa.CheckConstraint("kind IN ('clinic', 'warehouse')", name=op.f("ck_locations_kind_known")),
        schema=SCHEMA,
    )

    op.create_table(
        "incoming_orders",
        sa.Column("purchase_order_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("quantity_ordered", sa.Integer(), nullable=False),
        sa.Column("quantity_received", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("purchase_order_id", name="pk_incoming_orders"),
        sa.ForeignKeyConstraint(
            ["product_id"],
            [f"{SCHEMA}.products.product_id"],
            name="fk_incoming_orders_product_id_products",
        ),
        sa.CheckConstraint(
            "quantity_ordered >= 1 AND quantity_received >= 0 "
            "AND quantity_received <= quantity_ordered",
            name=op.f("ck_incoming_orders_quantities_valid"),
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_incoming_orders_product_id_location_id",
        "incoming_orders",
        ["product_id", "location_id"],
        schema=SCHEMA,
    )

    if _on_postgresql():
        for column in (
            sa.Column("threshold", sa.Integer(), nullable=True),
            sa.Column("reorder_quantity", sa.Integer(), nullable=True),
            sa.Column("needed_within_days", sa.Integer(), nullable=True),
            sa.Column("on_order", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("low_reported", sa.Boolean(), nullable=False, server_default=sa.false()),
        ):
            op.add_column("stock_items", column, schema=SCHEMA)
        op.create_check_constraint(
            op.f("ck_stock_items_on_order_never_negative"),
            "stock_items",
            ON_ORDER_CHECK,
            schema=SCHEMA,
        )
        op.create_check_constraint(
            op.f("ck_stock_items_reorder_policy_valid"),
            "stock_items",
            POLICY_CHECK,
            schema=SCHEMA,
        )
    else:
        table = f"{SCHEMA}.stock_items"
        for definition in (
            "threshold INTEGER",
            "reorder_quantity INTEGER",
            "needed_within_days INTEGER CONSTRAINT ck_stock_items_reorder_policy_valid "
            f"CHECK ({POLICY_CHECK})",
            "on_order INTEGER DEFAULT '0' NOT NULL CONSTRAINT "
            f"ck_stock_items_on_order_never_negative CHECK ({ON_ORDER_CHECK})",
            "low_reported BOOLEAN DEFAULT 0 NOT NULL",
        ):
            op.execute(f"ALTER TABLE {table} ADD COLUMN {definition}")


def downgrade() -> None:
    if _on_postgresql():
        for constraint in ("reorder_policy_valid", "on_order_never_negative"):
            op.drop_constraint(
                op.f(f"ck_stock_items_{constraint}"), "stock_items", type_="check", schema=SCHEMA
            )
        for column in NEW_STOCK_COLUMNS:
            op.drop_column("stock_items", column, schema=SCHEMA)
    else:
        # SQLite drops a column named in a CHECK constraint only by rebuilding the table.
        with op.batch_alter_table("stock_items", schema=SCHEMA, recreate="always") as batch:
            for constraint in ("reorder_policy_valid", "on_order_never_negative"):
                batch.drop_constraint(op.f(f"ck_stock_items_{constraint}"), type_="check")
            for column in NEW_STOCK_COLUMNS:
                batch.drop_column(column)
    op.drop_index("ix_incoming_orders_product_id_location_id", "incoming_orders", schema=SCHEMA)
    for table in ("incoming_orders", "locations", "categories"):
        op.drop_table(table, schema=SCHEMA)
