"""What the vendor context consumes: inventory's product events into the product
catalogue; its stock events into the inventory status view, and stock.low into automatic
purchase orders (see `projections`)."""

from __future__ import annotations

from petpro_core.contracts.inventory import (
    ProductCreated,
    ProductsReleased,
    ProductUpdated,
    StockChanged,
    StockLow,
    StockReceived,
)
from petpro_core.shared.clock import Clock, SystemClock
from petpro_core.shared.subscriptions import Subscription
from petpro_core.vendor.ports import VendorUnitOfWorkFactory
from petpro_core.vendor.projections import (
    ignore_release,
    project_product,
    project_stock,
    reorder_on_low_stock,
)

VENDOR_CONSUMER = "vendor"


def vendor_subscription(
    unit_of_work: VendorUnitOfWorkFactory, clock: Clock | None = None
) -> Subscription:
    return Subscription(
        consumer=VENDOR_CONSUMER,
        unit_of_work=unit_of_work,
        handlers={
            ProductCreated: project_product,
            ProductUpdated: project_product,
            StockChanged: project_stock,
            StockReceived: project_stock,
            StockLow: reorder_on_low_stock(clock or SystemClock()),
            ProductsReleased: ignore_release,
        },
    )
