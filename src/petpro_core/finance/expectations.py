"""The fields of other contexts' events the finance context reads (a consumer-driven contract).

Finance books every payment, refund and purchase into its ledger; `occurred_at` dates the entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_CUSTOMER_ORDER = frozenset(
    {"customer_order_id", "customer_id", "location_id", "total", "occurred_at"}
)

EXPECTED_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "user.updated": frozenset({"user_id", "email", "display_name"}),
        # Clinics name the revenue accounts in reports.
        "clinic.created": frozenset({"clinic_id", "name"}),
        "clinic.updated": frozenset({"clinic_id", "name"}),
        "booking.cancelled": frozenset(
            {"booking_id", "owner_id", "clinic_id", "price", "refund", "occurred_at"}
        ),
        "payment.processed": frozenset(
            {"payment_id", "booking_id", "clinic_id", "owner_id", "amount", "method", "occurred_at"}
        ),
        "payment.refunded": frozenset(
            {"payment_id", "booking_id", "clinic_id", "amount", "occurred_at"}
        ),
        "order.created": frozenset(
            {
                "purchase_order_id",
                "vendor_id",
                "vendor_name",
                "quantity",
                "unit_cost",
                "total_cost",
                "occurred_at",
            }
        ),
        "order.delivered": frozenset(
            {"purchase_order_id", "vendor_id", "quantity_delivered", "total_cost", "occurred_at"}
        ),
        "order.cancelled": frozenset(
            {"purchase_order_id", "vendor_id", "quantity_ordered", "quantity_delivered"}
        ),
        "customer_order.placed": _CUSTOMER_ORDER | {"payment_reference"},
        "customer_order.fulfilled": _CUSTOMER_ORDER,
        "customer_order.cancelled": _CUSTOMER_ORDER | {"refund"},
    }
)
