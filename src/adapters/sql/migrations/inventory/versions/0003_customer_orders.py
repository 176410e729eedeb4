"""inventory: the shop's customer orders and their lines, and the Idempotency-Key answers
of POST /customer-orders

Revision ID: 0003_customer_orders
Revises: 0002_inventory_catalog
Create Date: 2026-11-25

A frozen snapshot of `adapters/sql/inventory/customer_order_tables.py` (plain SQLAlchemy
types, the same column types as the application's decorators).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_customer_orders"
down_revision: str | None = "0002_inventory_catalog"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "inventory"

TIMESTAMP = sa.DateTime(timezone=True)
# Exact decimals: NUMERIC on PostgreSQL, text on SQLite.
DECIMAL = sa.Numeric().with_variant(sa.String(), "sqlite")

STATUS_PAYMENT_RULE = (
    "(status = 'pending_payment' AND payment = 'charging')"
    " OR (status IN ('placed', 'fulfilled') AND payment = 'charged')"
    " OR (status = 'cancelled' AND payment IN ('refunding', 'refunded'))"
    " OR (status = 'failed' AND payment IN ('none', 'declined', 'charging', 'refunding',"
    " 'refunded'))"
)


def upgrade() -> None:
    op.create_table(
        "customer_orders",
        sa.Column("customer_order_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("payment", sa.String(16), nullable=False),
        sa.Column("total_amount", DECIMAL, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reservation_id", sa.Uuid(), nullable=False),
        sa.Column("pick_up_by", TIMESTAMP, nullable=False),
        sa.Column("payment_deadline", TIMESTAMP, nullable=False),
        sa.Column("payment_token", sa.String(200), nullable=True),
        sa.Column("charge_reference", sa.String(200), nullable=True),
        sa.Column("refund_amount", DECIMAL, nullable=True),
        sa.Column("refund_reference", sa.String(200), nullable=True),
        sa.Column("failure_kind", sa.String(20), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_by", sa.String(10), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("payment_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("customer_order_id", name="pk_customer_orders"),
        sa.UniqueConstraint("reservation_id", name="uq_customer_orders_reservation_id"),
        sa.CheckConstraint(
            "status IN ('pending_payment', 'placed', 'fulfilled', 'cancelled', 'failed')",
            name=op.f("ck_customer_orders_status_known"),
        ),
        sa.CheckConstraint(
            "payment IN ('none', 'charging', 'charged', 'declined', 'refunding', 'refunded')",
            name=op.f("ck_customer_orders_payment_known"),
        ),
        sa.CheckConstraint(
            STATUS_PAYMENT_RULE, name=op.f("ck_customer_orders_payment_fits_status")
        ),
        sa.CheckConstraint(
            "(status = 'failed') = (failure_kind IS NOT NULL) AND (failure_kind IS NULL OR "
            "failure_kind IN ('out_of_stock', 'payment_declined', 'payment_timeout'))",
            name=op.f("ck_customer_orders_failure_kind_when_failed"),
        ),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancelled_by IS NOT NULL) AND (cancelled_by IS NULL OR "
            "cancelled_by IN ('customer', 'staff', 'system'))",
            name=op.f("ck_customer_orders_cancelled_by_when_cancelled"),
        ),
        sa.CheckConstraint(
            "version >= 1 AND payment_attempts >= 0",
            name=op.f("ck_customer_orders_counters_valid"),
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_customer_orders_customer_id_created_at",
        "customer_orders",
        ["customer_id", "created_at"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_customer_orders_location_id_created_at",
        "customer_orders",
        ["location_id", "created_at"],
        schema=SCHEMA,
    )
    unsettled = sa.text("payment IN ('charging', 'refunding')")
    op.create_index(
        "ix_customer_orders_unsettled",
        "customer_orders",
        ["created_at"],
        schema=SCHEMA,
        postgresql_where=unsettled,
        sqlite_where=unsettled,
    )
    placed = sa.text("status = 'placed'")
    op.create_index(
        "ix_customer_orders_placed_pick_up_by",
        "customer_orders",
        ["pick_up_by"],
        schema=SCHEMA,
        postgresql_where=placed,
        sqlite_where=placed,
    )

    op.create_table(
        "customer_order_lines",
        sa.Column("customer_order_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_amount", DECIMAL, nullable=False),
        sa.PrimaryKeyConstraint("customer_order_id", "product_id", name="pk_customer_order_lines"),
        sa.ForeignKeyConstraint(
            ["customer_order_id"],
            [f"{SCHEMA}.customer_orders.customer_order_id"],
            name="fk_customer_order_lines_customer_order_id_customer_orders",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_customer_order_lines_quantity_positive")),
        schema=SCHEMA,
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_headers", sa.Text(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("locked_until", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"], schema=SCHEMA
    )


def downgrade() -> None:
    for table in ("idempotency_keys", "customer_order_lines", "customer_orders"):
        op.drop_table(table, schema=SCHEMA)
