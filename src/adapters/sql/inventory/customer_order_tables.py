"""The shop's tables in schema `inventory` (on the inventory `metadata`): customer orders and
their lines, and the `Idempotency-Key` answers of `POST /customer-orders`.

Migration `0003_customer_orders` creates exactly this. The life cycle's rules hold in the
database too: known statuses and payment states, which payment state each status allows,
who may have cancelled, and quantities of at least one.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
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

from adapters.sql.column_types import ExactDecimal, UtcDateTime
from adapters.sql.idempotency_table import idempotency_table
from adapters.sql.inventory.tables import metadata

CUSTOMER_ORDER_STATUSES = ("pending_payment", "placed", "fulfilled", "cancelled", "failed")
PAYMENT_STATES = ("none", "charging", "charged", "declined", "refunding", "refunded")
FAILURE_KINDS = ("out_of_stock", "payment_declined", "payment_timeout")
CANCELLING_PARTIES = ("customer", "staff", "system")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# Which payment states each status allows (domain.customer_orders.ALLOWED_PAYMENTS).
STATUS_PAYMENT_RULE = (
    "(status = 'pending_payment' AND payment = 'charging')"
    " OR (status IN ('placed', 'fulfilled') AND payment = 'charged')"
    " OR (status = 'cancelled' AND payment IN ('refunding', 'refunded'))"
    " OR (status = 'failed' AND payment IN ('none', 'declined', 'charging', 'refunding',"
    " 'refunded'))"
)

customer_orders = Table(
    "customer_orders",
    metadata,
    Column("customer_order_id", Uuid(), primary_key=True),
    Column("customer_id", Uuid(), nullable=False),
    Column("location_id", Uuid(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("payment", String(16), nullable=False),
    Column("total_amount", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reservation_id", Uuid(), nullable=False),
    Column("pick_up_by", UtcDateTime(), nullable=False),
    Column("payment_deadline", UtcDateTime(), nullable=False),
    Column("payment_token", String(200), nullable=True),
    Column("charge_reference", String(200), nullable=True),
    Column("refund_amount", ExactDecimal(), nullable=True),  # in `currency`
    Column("refund_reference", String(200), nullable=True),
    Column("failure_kind", String(20), nullable=True),
    Column("failure_reason", Text(), nullable=True),
    Column("cancelled_by", String(10), nullable=True),
    Column("cancel_reason", Text(), nullable=True),
    Column("payment_attempts", Integer(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
    UniqueConstraint("reservation_id"),
    CheckConstraint(_in("status", CUSTOMER_ORDER_STATUSES), name="status_known"),
    CheckConstraint(_in("payment", PAYMENT_STATES), name="payment_known"),
    CheckConstraint(STATUS_PAYMENT_RULE, name="payment_fits_status"),
    CheckConstraint(
        f"(status = 'failed') = (failure_kind IS NOT NULL) AND (failure_kind IS NULL OR "
        f"{_in('failure_kind', FAILURE_KINDS)})",
        name="failure_kind_when_failed",
    ),
    CheckConstraint(
        f"(status = 'cancelled') = (cancelled_by IS NOT NULL) AND (cancelled_by IS NULL OR "
        f"{_in('cancelled_by', CANCELLING_PARTIES)})",
        name="cancelled_by_when_cancelled",
    ),
    CheckConstraint("version >= 1 AND payment_attempts >= 0", name="counters_valid"),
)
# Listing: a customer's orders and a location's, newest first.
Index(
    "ix_customer_orders_customer_id_created_at",
    customer_orders.c.customer_id,
    customer_orders.c.created_at,
)
Index(
    "ix_customer_orders_location_id_created_at",
    customer_orders.c.location_id,
    customer_orders.c.created_at,
)
# Recovery's query: unsettled payments.
Index(
    "ix_customer_orders_unsettled",
    customer_orders.c.created_at,
    postgresql_where=customer_orders.c.payment.in_(("charging", "refunding")),
    sqlite_where=customer_orders.c.payment.in_(("charging", "refunding")),
)
# The uncollected-orders job's query: placed orders by pick-up deadline.
Index(
    "ix_customer_orders_placed_pick_up_by",
    customer_orders.c.pick_up_by,
    postgresql_where=customer_orders.c.status == "placed",
    sqlite_where=customer_orders.c.status == "placed",
)

customer_order_lines = Table(
    "customer_order_lines",
    metadata,
    Column(
        "customer_order_id",
        Uuid(),
        ForeignKey(customer_orders.c.customer_order_id, ondelete="CASCADE"),
        nullable=False,
    ),
    Column("product_id", Uuid(), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("quantity", Integer(), nullable=False),
    Column("unit_price_amount", ExactDecimal(), nullable=False),
    PrimaryKeyConstraint("customer_order_id", "product_id"),
    CheckConstraint("quantity >= 1", name="quantity_positive"),
)

idempotency_keys = idempotency_table(metadata)  # for `Idempotency-Key` on POST /customer-orders
