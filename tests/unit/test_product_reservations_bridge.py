"""The in-process bridge behind booking's ProductReservations: inventory's real handlers on
memory reserve (all or nothing, idempotently) and release what the booking saga asks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.memory.inventory import InMemoryInventoryUnitOfWork, in_memory_inventory_store
from petpro_core.booking.domain.bookings import ProductLine
from petpro_core.booking.ports import (
    ProductReservations,
    ReservationOutcome,
    ReservationsUnavailable,
)
from petpro_core.inventory.commands import CreateProduct, GetStock, ReceiveStock
from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.handlers import InventoryDependencies, InventoryHandlers
from petpro_core.shared.actors import OPERATOR_ACTOR
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.errors import ServiceUnavailable
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money
from runtimes.bridges.product_reservations import InventoryProductReservations
from runtimes.containers import build_container
from runtimes.settings import Settings

CLINIC = new_id()


async def _inventory() -> tuple[MessageBus, FixedClock, Product]:
    store, clock, bus = in_memory_inventory_store(), FixedClock(), MessageBus()
    InventoryHandlers(
        InventoryDependencies(uow=lambda: InMemoryInventoryUnitOfWork(store), clock=clock)
    ).register(bus)
    product: Product = await bus.execute(
        CreateProduct(
            actor=OPERATOR_ACTOR, sku="WORMER", name="W", unit="tab", price=Money.of("2.00", "EUR")
        )
    )
    await bus.execute(
        ReceiveStock(
            actor=OPERATOR_ACTOR, product_id=product.product_id, location_id=CLINIC, quantity=3
        )
    )
    return bus, clock, product


async def _reserved(bus: MessageBus, product: Product) -> int:
    item = await bus.execute(
        GetStock(actor=OPERATOR_ACTOR, product_id=product.product_id, location_id=CLINIC)
    )
    return int(item.reserved)


async def test_the_saga_reserves_and_releases_through_inventory() -> None:
    bus, clock, product = await _inventory()
    reservations: ProductReservations = InventoryProductReservations(lambda: bus)
    booking_id = new_id()

    async def reserve(quantity: int, reservation_id: UUID = booking_id) -> ReservationOutcome:
        return await reservations.reserve(
            reservation_id=reservation_id,
            location_id=CLINIC,
            lines=(ProductLine(product_id=product.product_id, quantity=quantity),),
            expires_at=clock.now() + timedelta(minutes=15),
            reference=f"booking:{booking_id}",
        )

    assert await reserve(2) == ReservationOutcome(reserved=True)
    assert await reserve(2) == ReservationOutcome(reserved=True)  # a retry: nothing more
    assert await _reserved(bus, product) == 2
    short = await reserve(2, new_id())
    assert not short.reserved and short.reason == "not enough WORMER: 2 requested, 1 available"

    await reservations.release(booking_id, "payment declined")
    await reservations.release(booking_id, "payment declined")  # compensation runs twice
    await reservations.release(new_id(), "never reserved")
    assert await _reserved(bus, product) == 0


async def test_a_booking_without_products_reserves_nothing() -> None:
    bus, clock, product = await _inventory()
    outcome = await InventoryProductReservations(lambda: bus).reserve(
        reservation_id=new_id(),
        location_id=CLINIC,
        lines=(),
        expires_at=clock.now() + timedelta(minutes=15),
        reference="booking:1",
    )
    assert outcome == ReservationOutcome(reserved=True)
    assert await _reserved(bus, product) == 0


async def test_an_unreachable_inventory_is_reported_as_unavailable() -> None:
    class Down(MessageBus):
        async def execute(self, command: Any) -> Any:
            raise ServiceUnavailable("inventory is down")

    class Broken(MessageBus):
        async def execute(self, command: Any) -> Any:
            raise LookupError("a bug, not an outage")

    down = InventoryProductReservations(Down)
    with pytest.raises(ReservationsUnavailable):
        await down.release(new_id(), "x")
    with pytest.raises(ReservationsUnavailable):
        await down.reserve(
            reservation_id=new_id(),
            location_id=CLINIC,
            lines=(ProductLine(product_id=new_id(), quantity=1),),
            expires_at=FixedClock().now(),
            reference="booking:1",
        )
    with pytest.raises(LookupError):
        await InventoryProductReservations(Broken).release(new_id(), "x")


async def test_the_application_wires_inventory_and_its_outbox(tmp_path: Path) -> None:
    fields: dict[str, Any] = {"database_url": "memory://", "data_dir": tmp_path}
    settings = Settings(**fields)
    container = build_container(settings, clock=FixedClock())
    bus = container.bus()
    product: Product = await bus.execute(
        CreateProduct(
            actor=OPERATOR_ACTOR, sku="W1", name="W", unit="tab", price=Money.of("2.00", "EUR")
        )
    )
    await bus.execute(
        ReceiveStock(
            actor=OPERATOR_ACTOR, product_id=product.product_id, location_id=CLINIC, quantity=1
        )
    )
    outcome = await InventoryProductReservations(container.bus).reserve(
        reservation_id=new_id(),
        location_id=CLINIC,
        lines=(ProductLine(product_id=product.product_id, quantity=1),),
        expires_at=FixedClock().now() + timedelta(minutes=15),
        reference="booking:1",
    )

    assert outcome.reserved
    backbone = container.backbone()
    assert "inventory" in backbone.publishing_contexts
    names = [e.NAME for e in container.inventory.memory_store().outbox]
    assert names == [
        "product.created",
        "product.stock_changed",
        "product.stock_changed",
        "products.reserved",
    ]
    status = await backbone.outbox("inventory").status()
    assert status.pending == 4
