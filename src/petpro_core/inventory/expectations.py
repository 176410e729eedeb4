"""The fields of other contexts' events the inventory context reads (a consumer-driven
contract).

Inventory knows customers for their orders, knows each clinic as a stock location and who
its staff are, and follows purchase orders to count stock on order, expect it, and receive it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_CUSTOMER = frozenset({"user_id", "email", "display_name", "aggregate_version"})

# A clinic is a stock location; its staff manage the stock there.
_CLINIC = frozenset({"clinic_id", "name", "staff", "aggregate_version"})

EXPECTED_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "user.created": _CUSTOMER,
        "user.updated": _CUSTOMER,
        "clinic.created": _CLINIC,
        "clinic.updated": _CLINIC,
        "order.created": frozenset(
            {"purchase_order_id", "product_id", "location_id", "quantity", "expected_on"}
        ),
        "shipment.created": frozenset(
            {"purchase_order_id", "product_id", "location_id", "quantity", "expected_delivery_on"}
        ),
        "order.delivered": frozenset(
            {
                "purchase_order_id",
                "product_id",
                "location_id",
                "quantity_ordered",
                "quantity_delivered",
                "partial",
                "aggregate_version",
            }
        ),
        "order.cancelled": frozenset(
            {
                "purchase_order_id",
                "product_id",
                "location_id",
                "quantity_ordered",
                "quantity_delivered",
                "aggregate_version",
            }
        ),
    }
)
