"""The vendor context on memory for tests: its bus, its subscription fed by a consumer loop
in miniature, and builders of the inventory events it consumes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from adapters.memory.unit_of_work import InMemoryStore
from adapters.memory.vendor import InMemoryVendorUnitOfWork, VendorState, in_memory_vendor_store
from petpro_core.contracts.inventory import (
    ProductCreated,
    ProductUpdated,
    StockChanged,
    StockLow,
    StockReceived,
)
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money
from petpro_core.shared.subscriptions import Subscription
from petpro_core.vendor.commands import AddSupplyItem, AddVendorMember, CreateVendor
from petpro_core.vendor.domain.catalogue import SupplyItem
from petpro_core.vendor.domain.vendors import Vendor
from petpro_core.vendor.handlers import VendorDependencies, VendorHandlers
from petpro_core.vendor.ports import VendorUnitOfWorkFactory
from petpro_core.vendor.subscriptions import vendor_subscription
from tests.support.consuming import deliver_batches

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADMIN = Actor(user_id=UUID(int=1), roles=frozenset({"admin"}))
STAFF = Actor(user_id=UUID(int=2), roles=frozenset({"clinic_staff"}))
OWNER = Actor(user_id=UUID(int=3), roles=frozenset({"pet_owner"}))
CLINIC = UUID("00000000-0000-4000-8000-00000000c111")
WAREHOUSE = UUID("00000000-0000-4000-8000-00000000c222")


class FakeUsers:
    def __init__(self) -> None:
        self.roles: dict[UUID, frozenset[str]] = {}

    async def roles_of(self, user_id: UUID) -> frozenset[str] | None:
        return self.roles.get(user_id)


class VendorHarness:
    def __init__(self, uow: VendorUnitOfWorkFactory | None = None) -> None:
        self.store: InMemoryStore[VendorState] | None = None
        if uow is None:
            store = in_memory_vendor_store()
            self.store = store
            uow = lambda: InMemoryVendorUnitOfWork(store)  # noqa: E731
        self.uow = uow
        self.clock = FixedClock(T0)
        self.users = FakeUsers()
        self.bus = MessageBus()
        VendorHandlers(VendorDependencies(uow=uow, users=self.users, clock=self.clock)).register(
            self.bus
        )
        self.subscription: Subscription = vendor_subscription(uow, self.clock)

    async def execute(self, command: Any) -> Any:
        return await self.bus.execute(command)

    async def deliver(self, *batches: Sequence[Event]) -> list[UUID]:
        """Each batch in one unit of work, as the consumer does (see `deliver_batches`)."""
        return await deliver_batches(self.subscription, *batches)

    def outbox(self) -> list[Event]:
        assert self.store is not None
        return list(self.store.outbox)

    async def vendor(
        self, name: str, lead_time_days: int = 3, *, active: bool = True, **fields: Any
    ) -> Vendor:
        vendor: Vendor = await self.execute(
            CreateVendor(
                actor=ADMIN, name=name, lead_time_days=lead_time_days, active=active, **fields
            )
        )
        return vendor

    async def member(self, vendor: Vendor, user_id: UUID | None = None) -> Actor:
        user_id = user_id or new_id()
        self.users.roles[user_id] = frozenset({"vendor"})
        await self.execute(
            AddVendorMember(actor=ADMIN, vendor_id=vendor.vendor_id, user_id=user_id)
        )
        return Actor(user_id=user_id, roles=frozenset({"vendor"}))

    async def product(self, sku: str = "FLEA-10", version: int = 1, **fields: Any) -> UUID:
        product_id: UUID = fields.pop("product_id", None) or new_id()
        await self.deliver([product_event(product_id, sku, version, **fields)])
        return product_id

    async def supplies(
        self,
        vendor: Vendor,
        product_id: UUID,
        cost: str,
        *,
        pack_size: int = 1,
        minimum_order: int = 1,
        vendor_sku: str | None = None,
        currency: str = "EUR",
    ) -> SupplyItem:
        item: SupplyItem = await self.execute(
            AddSupplyItem(
                actor=ADMIN,
                vendor_id=vendor.vendor_id,
                product_id=product_id,
                vendor_sku=vendor_sku or f"V-{new_id().hex[:8]}",
                unit_cost=Money(Decimal(cost), currency),
                pack_size=pack_size,
                minimum_order=minimum_order,
            )
        )
        return item


def product_event(
    product_id: UUID,
    sku: str = "FLEA-10",
    version: int = 1,
    *,
    name: str = "Flea drops",
    active: bool = True,
    event_id: UUID | None = None,
) -> ProductCreated | ProductUpdated:
    kind = ProductCreated if version == 1 else ProductUpdated
    return kind(
        occurred_at=T0 + timedelta(minutes=version),
        aggregate_version=version,
        event_id=event_id or new_id(),
        product_id=product_id,
        sku=sku,
        name=name,
        unit="box of 3",
        price=Money.of("19.95", "EUR"),
        category_id=None,
        species=(),
        active=active,
    )


def _stock_fields(
    product_id: UUID, location_id: UUID, version: int, stock_item_id: UUID | None
) -> dict[str, Any]:
    return {
        "occurred_at": T0 + timedelta(minutes=version),
        "aggregate_version": version,
        "stock_item_id": stock_item_id or UUID(int=product_id.int ^ location_id.int),
        "product_id": product_id,
        "sku": "FLEA-10",
        "product_name": "Flea drops",
        "location_id": location_id,
    }


def stock_changed(
    product_id: UUID,
    location_id: UUID,
    version: int,
    on_hand: int,
    reserved: int = 0,
    *,
    stock_item_id: UUID | None = None,
) -> StockChanged:
    return StockChanged(
        **_stock_fields(product_id, location_id, version, stock_item_id),
        on_hand=on_hand,
        reserved=reserved,
        available=on_hand - reserved,
        reason="sale",
    )


def stock_low(
    product_id: UUID,
    location_id: UUID = CLINIC,
    version: int = 1,
    *,
    available: int = 2,
    threshold: int = 5,
    reorder_quantity: int = 20,
    on_order: int = 0,
    needed_within_days: int | None = None,
    stock_item_id: UUID | None = None,
) -> StockLow:
    return StockLow(
        **_stock_fields(product_id, location_id, version, stock_item_id),
        available=available,
        threshold=threshold,
        reorder_quantity=reorder_quantity,
        on_order=on_order,
        needed_within_days=needed_within_days,
    )


def stock_received(
    product_id: UUID,
    location_id: UUID,
    version: int,
    quantity: int,
    on_hand: int,
    available: int,
    *,
    purchase_order_id: UUID | None = None,
    stock_item_id: UUID | None = None,
) -> StockReceived:
    return StockReceived(
        **_stock_fields(product_id, location_id, version, stock_item_id),
        quantity=quantity,
        purchase_order_id=purchase_order_id,
        on_hand=on_hand,
        available=available,
    )
