"""The automatic restock flow, on in-memory adapters: no server, no files.

A clinic stocks a flea treatment with a reorder policy; three vendors supply it. Stock falls
to the threshold, inventory publishes stock.low, and the vendor context orders from the
vendor that is cheapest among those able to deliver in time, by itself. The vendor confirms
and ships; the goods arrive in two deliveries; inventory receives them into stock (ledger
receipts referencing the order) and the vendor's status view follows. Finally every event is
delivered again: nothing changes.

The events travel through the real relay and consumer engines over an in-memory broker that
delivers every message twice and shuffles each batch, drained at each step. Commands go
through the application's message bus, as the HTTP routes and the CLI do. The clock is fixed
so the output is the same on every run.

Run it:  .venv/bin/python examples/restock_flow.py
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from adapters.memory.event_bus import InMemoryEventBus
from adapters.memory.outbox_store import InMemoryOutboxStore
from petpro_core.auth.commands import CreateUser
from petpro_core.auth.domain.roles import OPERATOR, Role
from petpro_core.clinic.commands import AddressInput, CreateClinic
from petpro_core.contracts.inventory import ReservationLine, StockLow, StockReceived
from petpro_core.contracts.vendor import OrderCreated, OrderDelivered, ShipmentCreated
from petpro_core.inventory.commands import (
    AdjustStock,
    CreateProduct,
    GetStockLedger,
    ReceiveStock,
    ReserveProducts,
    SetReorderPolicy,
)
from petpro_core.inventory.handlers import StockLedger
from petpro_core.shared.actors import OPERATOR_ACTOR, Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from petpro_core.vendor.commands import (
    AddSupplyItem,
    AddVendorMember,
    ConfirmPurchaseOrder,
    CreateVendor,
    DeliverPurchaseOrder,
    GetVendorInventoryStatus,
    ListPurchaseOrders,
    ShipPurchaseOrder,
)
from runtimes.containers import build_container
from runtimes.settings import Settings

# vendor, lead time in days, unit cost in EUR, pack size
OFFERS = (
    ("Cheapo Wholesale", 14, "1.80", 1),
    ("Acme Pet Supply", 3, "2.50", 6),
    ("Express Vet Supply", 1, "4.00", 1),
)
PASSWORD = "correct horse battery staple"  # noqa: S105 (an example's user)


def describe(ledger: StockLedger) -> str:
    item = ledger.item
    return (
        f"on hand {item.on_hand}, reserved {item.reserved}, available {item.available}, "
        f"on order {item.on_order}, threshold {item.policy.threshold if item.policy else '-'}, "
        f"low {item.is_low}"
    )


async def main() -> None:
    clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    container = build_container(
        Settings(
            database_url="memory://",
            data_dir=".petpro-example",
            argon2_memory_kib=1024,
            argon2_time_cost=1,
        ),
        clock=clock,
    )
    app = container.bus()
    inventory_store = container.inventory.memory_store()
    vendor_store = container.vendor.memory_store()
    stores = {
        "clinic": container.clinic.memory_store(),
        "inventory": inventory_store,
        "vendor": vendor_store,
    }
    events = InMemoryEventBus(
        stores,
        [container.inventory.subscription(), container.vendor.subscription()],
        duplicate_deliveries=True,
        reorder_seed=7,
    )
    admin = OPERATOR_ACTOR

    async def stock() -> StockLedger:
        ledger: StockLedger = await app.execute(
            GetStockLedger(actor=admin, product_id=product.product_id, location_id=clinic.clinic_id)
        )
        return ledger

    def published(kind: type, store: str) -> list:  # type: ignore[type-arg]
        return [e for e in stores[store].outbox if isinstance(e, kind)]

    print("1. A clinic opens; inventory learns it as a stock location from clinic.created")
    clinic = await app.execute(
        CreateClinic(
            actor=admin,
            name="Lyon Vet Clinic",
            address=AddressInput(lines=("12 Rue de la Paix",), locality="Lyon", country="FR"),
            time_zone="Europe/Paris",
        )
    )
    product = await app.execute(
        CreateProduct(
            actor=admin,
            sku="FLEA-CAT-S",
            name="Flea treatment for cats",
            unit="pack of 3",
            price=Money.of("19.95", "EUR"),
            species=("cat",),
        )
    )
    await events.drain()  # clinic.created → inventory; product.created → vendor's catalogue
    print(f"   {clinic.name}; product {product.sku} ({product.name})")

    print("2. Three vendors supply it")
    vendors = {}
    for name, lead_time, cost, pack in OFFERS:
        vendor = await app.execute(CreateVendor(actor=admin, name=name, lead_time_days=lead_time))
        vendors[name] = vendor
        await app.execute(
            AddSupplyItem(
                actor=admin,
                vendor_id=vendor.vendor_id,
                product_id=product.product_id,
                vendor_sku=f"{name.split()[0][:4].upper()}-FLEA",
                unit_cost=Money.of(cost, "EUR"),
                pack_size=pack,
            )
        )
        days = "day" if lead_time == 1 else "days"
        print(f"   {name}: {cost} EUR a unit, packs of {pack}, delivers in {lead_time} {days}")
    acme = vendors["Acme Pet Supply"]
    desk_user = await app.execute(
        CreateUser(
            actor=OPERATOR,
            email="orders@acme.example",
            display_name="Acme's order desk",
            password=PASSWORD,
            roles=frozenset({Role.VENDOR}),
        )
    )
    await app.execute(AddVendorMember(actor=admin, vendor_id=acme.vendor_id, user_id=desk_user.id))
    acme_desk = Actor(user_id=desk_user.id, roles=frozenset({Role.VENDOR.value}))

    print("3. The clinic receives 12 units and sets its reorder policy")
    await app.execute(
        ReceiveStock(
            actor=admin,
            product_id=product.product_id,
            location_id=clinic.clinic_id,
            quantity=12,
            reference="opening stock",
        )
    )
    await app.execute(
        SetReorderPolicy(
            actor=admin,
            product_id=product.product_id,
            location_id=clinic.clinic_id,
            threshold=5,
            reorder_quantity=20,
            needed_within_days=5,
        )
    )
    print(f"   stock: {describe(await stock())}")
    print("   policy: low at 5 or fewer (available + on order), reorder 20, within 5 days")

    print("4. Stock falls: 4 sold over the counter, 2 damaged, 1 reserved for an appointment")
    for delta, reason in ((-4, "sold over the counter"), (-2, "two packs damaged")):
        await app.execute(
            AdjustStock(
                actor=admin,
                product_id=product.product_id,
                location_id=clinic.clinic_id,
                delta=delta,
                reason=reason,
            )
        )
    await app.execute(
        ReserveProducts(
            reservation_id=new_id(),
            location_id=clinic.clinic_id,
            lines=(ReservationLine(product_id=product.product_id, quantity=1),),
            expires_at=clock.now() + timedelta(days=7),
            reference="booking:example",
        )
    )
    print(f"   stock: {describe(await stock())}")
    [low] = published(StockLow, "inventory")
    print(
        f"   inventory published stock.low: available {low.available} + on order "
        f"{low.on_order} <= threshold {low.threshold}, reorder {low.reorder_quantity}"
    )

    print("5. Nobody in the loop: the vendor context orders by itself")
    await events.drain()
    [order] = (await app.execute(ListPurchaseOrders(actor=admin))).items
    [created] = published(OrderCreated, "vendor")
    print(
        f"   purchase order {order.sku} x {order.quantity} from {order.vendor_name} "
        f"({order.vendor_sku}), {order.total_cost.amount} {order.total_cost.currency}, "
        f"expected {created.expected_on}"
    )
    within = low.needed_within_days
    print(f"   why: the cheapest of the vendors delivering within {within} days")
    for name, lead_time, cost, pack in OFFERS:
        units = -(-low.reorder_quantity // pack) * pack  # whole packs
        verdict = (
            f"{lead_time} days: too slow"
            if within is not None and lead_time > within
            else f"{units} units for {Decimal(cost) * units:.2f} EUR"
        )
        print(f"     {name}: {verdict}")
    [row] = await app.execute(GetVendorInventoryStatus(actor=admin, vendor_id=acme.vendor_id))
    print(
        f"   the decision, as recorded: {row.last_reorder.outcome.value}: {row.last_reorder.reason}"
    )
    print(f"   stock: {describe(await stock())}")

    print("6. Acme's desk confirms and ships")
    order = await app.execute(
        ConfirmPurchaseOrder(actor=acme_desk, purchase_order_id=order.purchase_order_id)
    )
    order = await app.execute(
        ShipPurchaseOrder(
            actor=acme_desk,
            purchase_order_id=order.purchase_order_id,
            carrier="DHL",
            tracking_number="JD014600003828",
            expected_delivery_on=order.expected_on,
        )
    )
    await events.drain()
    [shipment] = published(ShipmentCreated, "vendor")
    print(
        f"   {order.status.value}: {shipment.quantity} units with {shipment.carrier}, "
        f"tracking {shipment.tracking_number}, expected {shipment.expected_delivery_on}"
    )

    print("7. The goods arrive in two deliveries; inventory receives them")
    for quantity in (10, 14):
        order = await app.execute(
            DeliverPurchaseOrder(
                actor=acme_desk, purchase_order_id=order.purchase_order_id, quantity=quantity
            )
        )
        await events.drain()
        delivered = published(OrderDelivered, "vendor")[-1]
        received = published(StockReceived, "inventory")[-1]
        print(
            f"   {order.status.value}: {delivered.quantity_delivered} of "
            f"{delivered.quantity_ordered} delivered; stock.received {received.quantity}; "
            f"stock: {describe(await stock())}"
        )
    ledger = await stock()
    receipts = [m for m in ledger.movements if m.reference == f"po:{order.purchase_order_id}"]
    print(f"   ledger receipts for the order: {[m.on_hand_delta for m in receipts]}")

    print("8. The vendor's inventory status view")
    for row in await app.execute(
        GetVendorInventoryStatus(actor=acme_desk, vendor_id=acme.vendor_id)
    ):
        print(
            f"   {row.vendor_name} | {row.sku} ({row.vendor_sku}) | on hand {row.on_hand}, "
            f"reserved {row.reserved}, available {row.available}, threshold {row.threshold}, "
            f"needs_reorder {row.needs_reorder}, open order {row.open_purchase_order_id}"
        )

    print("9. Every event delivered again (outbox replay, the broker still doubling)")
    since = datetime.min.replace(tzinfo=UTC)
    replayed = sum(
        [await InMemoryOutboxStore(s, name).requeue(since) for name, s in stores.items()]
    )
    report = await events.drain()
    orders = (await app.execute(ListPurchaseOrders(actor=admin))).items
    print(f"   {replayed} events replayed, {report.settled} deliveries settled")
    print(f"   purchase orders: {len(orders)}; stock: {describe(await stock())}")


if __name__ == "__main__":
    asyncio.run(main())
