"""The fields of other contexts' events the vendor context reads (a consumer-driven contract).

Vendor keeps a supply catalogue of inventory's products, watches stock to reorder, and closes
purchase orders when inventory confirms receipt.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_PRODUCT = frozenset({"product_id", "sku", "name", "unit", "active", "aggregate_version"})

# What vendor's inventory status view keeps of every stock event (per stock item, ordered
# by its aggregate version).
_STOCK_ITEM = frozenset(
    {"stock_item_id", "product_id", "sku", "product_name", "location_id", "aggregate_version"}
)

EXPECTED_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "user.updated": frozenset({"user_id", "email", "display_name"}),
        "product.created": _PRODUCT,
        "product.updated": _PRODUCT,
        "product.stock_changed": _STOCK_ITEM | {"on_hand", "reserved", "available"},
        "stock.low": _STOCK_ITEM | {"available", "threshold", "reorder_quantity", "on_order"},
        "products.released": frozenset({"location_id", "lines", "aggregate_version"}),
        "stock.received": _STOCK_ITEM | {"purchase_order_id", "quantity", "on_hand", "available"},
    }
)
