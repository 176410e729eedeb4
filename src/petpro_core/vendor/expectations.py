"""The fields of other contexts' events the vendor context reads (a consumer-driven contract).

Vendor keeps a supply catalogue of inventory's products, watches stock to reorder, and closes
purchase orders when inventory confirms receipt.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_PRODUCT = frozenset({"product_id", "sku", "name", "unit", "active", "aggregate_version"})

EXPECTED_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "user.updated": frozenset({"user_id", "email", "display_name"}),
        "product.created": _PRODUCT,
        "product.updated": _PRODUCT,
        "product.stock_changed": frozenset(
            {"product_id", "location_id", "on_hand", "available", "aggregate_version"}
        ),
        "stock.low": frozenset(
            {
                "product_id",
                "location_id",
                "available",
                "threshold",
                "reorder_quantity",
                "on_order",
            }
        ),
        "products.released": frozenset({"location_id", "lines", "aggregate_version"}),
        "stock.received": frozenset({"purchase_order_id", "product_id", "location_id", "quantity"}),
    }
)
