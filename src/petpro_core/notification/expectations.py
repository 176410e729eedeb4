"""The fields of other contexts' events the notification context reads (a consumer-driven
contract).

Every message is written from the event alone: who to tell, and what to say.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_BOOKING = frozenset(
    {"booking_id", "owner_id", "pet_id", "clinic_id", "vet_id", "starts_at", "ends_at", "price"}
)
_CUSTOMER_ORDER = frozenset({"customer_order_id", "customer_id", "location_id", "lines", "total"})
_STOCK = frozenset({"sku", "product_name", "location_id", "available"})

EXPECTED_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "user.created": frozenset({"user_id", "email", "display_name", "language", "roles"}),
        "user.updated": frozenset({"user_id", "email", "display_name", "language", "roles"}),
        # Clinics: their staff are told about their stock; their name and zone go in messages.
        "clinic.created": frozenset({"clinic_id", "name", "time_zone", "staff"}),
        "clinic.updated": frozenset({"clinic_id", "name", "time_zone", "staff"}),
        "booking.created": _BOOKING,
        "booking.confirmed": _BOOKING,
        "booking.cancelled": _BOOKING | {"cancelled_by", "reason", "refund"},
        "booking.failed": _BOOKING | {"reason"},
        "booking.rescheduled": _BOOKING | {"previous_starts_at"},
        "payment.processed": frozenset(
            {"payment_id", "booking_id", "owner_id", "amount", "method"}
        ),
        "payment.refunded": frozenset({"payment_id", "booking_id", "owner_id", "amount"}),
        "product.stock_changed": _STOCK | {"reason"},
        "stock.low": _STOCK | {"threshold"},
        "stock.received": _STOCK | {"quantity"},
        "shipment.created": frozenset(
            {
                "purchase_order_id",
                "location_id",
                "carrier",
                "tracking_number",
                "expected_delivery_on",
            }
        ),
        "order.confirmed": frozenset({"purchase_order_id", "location_id", "expected_on"}),
        "order.cancelled": frozenset({"purchase_order_id", "location_id", "reason"}),
        "customer_order.placed": _CUSTOMER_ORDER | {"pick_up_by"},
        "customer_order.fulfilled": _CUSTOMER_ORDER,
        "customer_order.cancelled": _CUSTOMER_ORDER | {"reason", "refund"},
        "order.delivered": frozenset(
            {"purchase_order_id", "location_id", "quantity_delivered", "partial"}
        ),
    }
)
