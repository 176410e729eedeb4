"""A harness of the inventory core on memory: the bus with its handlers, the consumer's
subscription fed by hand (inbox and commit as the consumer runtime does), and builders of
the clinic and vendor events it consumes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from adapters.memory.inventory import (
    InMemoryInventoryUnitOfWork,
    InventoryState,
    in_memory_inventory_store,
)
from adapters.memory.unit_of_work import InMemoryStore
from petpro_core.contracts.clinic import (
    BookingPolicy,
    ClinicCreated,
    ClinicSnapshot,
    PostalAddress,
    StaffMember,
)
from petpro_core.contracts.vendor import (
    OrderCancelled,
    OrderCreated,
    OrderDelivered,
    ShipmentCreated,
)
from petpro_core.inventory.commands import CreateProduct, ReceiveStock, SetReorderPolicy
from petpro_core.inventory.domain.locations import Location, LocationKind
from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.domain.stock import StockItem
from petpro_core.inventory.handlers import InventoryDependencies, InventoryHandlers
from petpro_core.inventory.subscriptions import inventory_subscription
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADMIN = Actor(user_id=new_id(), roles=frozenset({"admin"}))
STAFF = Actor(user_id=new_id(), roles=frozenset({"clinic_staff"}))
OTHER_STAFF = Actor(user_id=new_id(), roles=frozenset({"clinic_staff"}))
OWNER = Actor(user_id=new_id(), roles=frozenset({"pet_owner"}))
CLINIC = UUID("00000000-0000-4000-8000-00000000c111")
OTHER_CLINIC = UUID("00000000-0000-4000-8000-00000000c222")
WAREHOUSE = UUID("00000000-0000-4000-8000-00000000a001")
VENDOR = UUID("00000000-0000-4000-8000-00000000f001")


def clinic_event(
    clinic_id: UUID = CLINIC,
    *,
    version: int = 1,
    staff: tuple[UUID, ...] = (),
    event_type: type[ClinicSnapshot] = ClinicCreated,
    name: str | None = None,
) -> ClinicSnapshot:
    return event_type(
        occurred_at=T0 + timedelta(minutes=version),
        aggregate_version=version,
        clinic_id=clinic_id,
        name=name or f"Clinic v{version}",
        address=PostalAddress(
            lines=("1 Main St",), locality="Lyon", region=None, postal_code="69001", country="FR"
        ),
        phone=None,
        email=None,
        time_zone="Europe/Paris",
        booking_policy=BookingPolicy(),
        staff=tuple(StaffMember(user_id=u, role="clinic_staff") for u in staff),
    )


def order_created(po: UUID, product: Product, quantity: int, *, at: UUID = CLINIC) -> OrderCreated:
    unit_cost = Money.of("2.00", "EUR")
    return OrderCreated(
        occurred_at=T0,
        aggregate_version=1,
        purchase_order_id=po,
        vendor_id=VENDOR,
        product_id=product.product_id,
        location_id=at,
        vendor_name="Acme",
        quantity=quantity,
        unit_cost=unit_cost,
        total_cost=Money(unit_cost.amount * quantity, "EUR"),
        expected_on=date(2026, 3, 9),
    )


def shipment_created(
    po: UUID, product: Product, quantity: int, *, version: int = 3
) -> ShipmentCreated:
    return ShipmentCreated(
        occurred_at=T0 + timedelta(hours=version),
        aggregate_version=version,
        purchase_order_id=po,
        vendor_id=VENDOR,
        product_id=product.product_id,
        location_id=CLINIC,
        shipment_id=new_id(),
        quantity=quantity,
        carrier="DHL",
        tracking_number="TRK1",
        expected_delivery_on=date(2026, 3, 6),
    )


def order_delivered(
    po: UUID, product: Product, ordered: int, delivered: int, *, version: int = 4, at: UUID = CLINIC
) -> OrderDelivered:
    return OrderDelivered(
        occurred_at=T0 + timedelta(hours=version),
        aggregate_version=version,
        purchase_order_id=po,
        vendor_id=VENDOR,
        product_id=product.product_id,
        location_id=at,
        quantity_ordered=ordered,
        quantity_delivered=delivered,
        total_cost=Money(Decimal(2 * delivered), "EUR"),
        partial=delivered < ordered,
    )


def order_cancelled(
    po: UUID, product: Product, ordered: int, delivered: int, *, version: int = 5
) -> OrderCancelled:
    return OrderCancelled(
        occurred_at=T0 + timedelta(hours=version),
        aggregate_version=version,
        purchase_order_id=po,
        vendor_id=VENDOR,
        product_id=product.product_id,
        location_id=CLINIC,
        quantity_ordered=ordered,
        quantity_delivered=delivered,
        reason="vendor out of stock",
    )


class InventoryHarness:
    """The inventory core on memory, with a clinic (STAFF on its staff), another clinic
    and a warehouse known as locations."""

    def __init__(self) -> None:
        self.store: InMemoryStore[InventoryState] = in_memory_inventory_store()
        self.clock = FixedClock(T0)
        self.bus = MessageBus()
        InventoryHandlers(InventoryDependencies(uow=self.uow, clock=self.clock)).register(self.bus)
        self.subscription = inventory_subscription(self.uow)
        locations = self.store.state.locations
        for location in (
            Location(
                location_id=CLINIC,
                kind=LocationKind.CLINIC,
                name="Clinic",
                staff=frozenset({STAFF.user_id}),
                updated_at=T0,
            ),
            Location(
                location_id=OTHER_CLINIC,
                kind=LocationKind.CLINIC,
                name="Other clinic",
                staff=frozenset({OTHER_STAFF.user_id}),
                updated_at=T0,
            ),
            Location(
                location_id=WAREHOUSE, kind=LocationKind.WAREHOUSE, name="Warehouse", updated_at=T0
            ),
        ):
            locations[location.location_id] = location

    def uow(self) -> InMemoryInventoryUnitOfWork:
        return InMemoryInventoryUnitOfWork(self.store)

    async def deliver(self, *events: Event) -> None:
        """Hand events to the subscription as the consumer does: inbox, effects, commit."""
        async with self.uow() as uow:
            new = await uow.inbox.claim(self.subscription.consumer, [e.event_id for e in events])
            for event in events:
                if event.event_id in new:
                    new.discard(event.event_id)
                    handler = self.subscription.handler_for(event)
                    assert handler is not None, event.NAME
                    await handler(event, uow)
            await uow.commit()

    async def product(self, sku: str = "P1", **fields: Any) -> Product:
        values: dict[str, Any] = {
            "name": f"Product {sku}",
            "unit": "box",
            "price": Money.of("9.90", "EUR"),
        }
        product: Product = await self.bus.execute(
            CreateProduct(actor=ADMIN, sku=sku, **{**values, **fields})
        )
        return product

    async def receive(self, product: Product, quantity: int, *, at: UUID = CLINIC) -> StockItem:
        item: StockItem = await self.bus.execute(
            ReceiveStock(
                actor=ADMIN, product_id=product.product_id, location_id=at, quantity=quantity
            )
        )
        return item

    async def policy(
        self,
        product: Product,
        threshold: int,
        reorder: int = 10,
        *,
        at: UUID = CLINIC,
        days: int | None = None,
    ) -> StockItem:
        item: StockItem = await self.bus.execute(
            SetReorderPolicy(
                actor=ADMIN,
                product_id=product.product_id,
                location_id=at,
                threshold=threshold,
                reorder_quantity=reorder,
                needed_within_days=days,
            )
        )
        return item

    async def item(self, product: Product, at: UUID = CLINIC) -> StockItem:
        async with self.uow() as uow:
            item = await uow.stock.get(product.product_id, at)
        assert item is not None
        return item

    def events(self, *types: type[Event]) -> list[Any]:
        return [e for e in self.store.outbox if not types or isinstance(e, types)]
