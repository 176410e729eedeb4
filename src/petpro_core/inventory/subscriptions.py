"""What the inventory context consumes: the clinic context's clinic events (stock
locations and their staff) and the vendor context's purchase order events (stock on order,
expected deliveries, receipts)."""

from __future__ import annotations

from petpro_core.contracts.clinic import ClinicCreated, ClinicUpdated
from petpro_core.contracts.vendor import (
    OrderCancelled,
    OrderCreated,
    OrderDelivered,
    ShipmentCreated,
)
from petpro_core.inventory.ports import InventoryUnitOfWorkFactory
from petpro_core.inventory.receiving import (
    on_order_cancelled,
    on_order_created,
    on_order_delivered,
    on_shipment_created,
    project_clinic,
)
from petpro_core.shared.subscriptions import Subscription

INVENTORY_CONSUMER = "inventory"


def inventory_subscription(unit_of_work: InventoryUnitOfWorkFactory) -> Subscription:
    return Subscription(
        consumer=INVENTORY_CONSUMER,
        unit_of_work=unit_of_work,
        handlers={
            ClinicCreated: project_clinic,
            ClinicUpdated: project_clinic,
            OrderCreated: on_order_created,
            ShipmentCreated: on_shipment_created,
            OrderDelivered: on_order_delivered,
            OrderCancelled: on_order_cancelled,
        },
    )
