"""The shop on PostgreSQL under contention: many customers order the last units of one
product at once, over several connection pools (as several processes would). Exactly as
many orders are placed as there are units, the rest fail as out of stock with nothing
charged; the stock is never oversold, and every number is explained by the ledger. Then
cancellations racing pick-ups of the same orders: each order ends one way, refunded at most
once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID

import pytest
from sqlalchemy import select

from adapters.payments.fake_gateway import FakePaymentGateway
from adapters.sql.database import SqlDatabase
from adapters.sql.inventory.customer_order_tables import customer_orders
from adapters.sql.inventory.tables import stock_items, stock_movements
from adapters.sql.inventory.unit_of_work import SqlInventoryUnitOfWork
from petpro_core.inventory.commands import CreateProduct, ReceiveStock
from petpro_core.inventory.customer_order_commands import (
    CancelCustomerOrder,
    FulfilCustomerOrder,
    PlaceCustomerOrder,
    RequestedLine,
)
from petpro_core.inventory.customer_orders import (
    CustomerOrderDependencies,
    CustomerOrderHandlers,
)
from petpro_core.inventory.domain.customer_orders import OutOfStock
from petpro_core.inventory.domain.locations import Location, LocationKind
from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.handlers import InventoryDependencies, InventoryHandlers
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.errors import PetProError
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money

pytestmark = pytest.mark.postgres

CLINIC = UUID("00000000-0000-4000-8000-00000000c111")
ADMIN = Actor(user_id=new_id(), roles=frozenset({"admin"}))
PROCESSES = 4
UNITS = 7
CUSTOMERS = 40
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Cluster:
    def __init__(self, url: str) -> None:
        self.clock = FixedClock(T0)
        self.payments = FakePaymentGateway()  # one provider account for every process
        self.databases = [SqlDatabase(url) for _ in range(PROCESSES)]
        self.buses = []
        for database in self.databases:

            def uow(database: SqlDatabase = database) -> SqlInventoryUnitOfWork:
                return SqlInventoryUnitOfWork(database)

            bus = MessageBus()
            InventoryHandlers(InventoryDependencies(uow=uow, clock=self.clock)).register(bus)
            CustomerOrderHandlers(
                CustomerOrderDependencies(uow=uow, payments=self.payments, clock=self.clock)
            ).register(bus)
            self.buses.append(bus)

    async def setup(self) -> Product:
        unit = SqlInventoryUnitOfWork(self.databases[0])
        async with unit:
            await unit.locations.put_clinic(
                Location(location_id=CLINIC, kind=LocationKind.CLINIC, name="C", updated_at=T0)
            )
            await unit.commit()
        product: Product = await self.buses[0].execute(
            CreateProduct(
                actor=ADMIN, sku="LAST", name="Last ones", unit="u", price=Money.of("5", "EUR")
            )
        )
        await self.buses[0].execute(
            ReceiveStock(
                actor=ADMIN, product_id=product.product_id, location_id=CLINIC, quantity=UNITS
            )
        )
        return product

    async def stock(self, product: Product) -> tuple[int, int]:
        async with self.databases[0].engine.connect() as connection:
            row = (
                await connection.execute(
                    select(stock_items.c.on_hand, stock_items.c.reserved).where(
                        stock_items.c.product_id == product.product_id
                    )
                )
            ).one()
            ledger = (
                await connection.execute(
                    select(stock_movements.c.on_hand_delta, stock_movements.c.reserved_delta).where(
                        stock_movements.c.product_id == product.product_id
                    )
                )
            ).all()
        assert sum(m.on_hand_delta for m in ledger) == row.on_hand
        assert sum(m.reserved_delta for m in ledger) == row.reserved
        return row.on_hand, row.reserved

    async def statuses(self) -> Counter[str]:
        async with self.databases[0].engine.connect() as connection:
            rows = (await connection.execute(select(customer_orders.c.status))).scalars().all()
        return Counter(rows)

    async def dispose(self) -> None:
        for database in self.databases:
            await database.dispose()


@pytest.fixture
async def cluster(clean_postgres_url: str) -> AsyncIterator[Cluster]:
    cluster = Cluster(clean_postgres_url)
    yield cluster
    await cluster.dispose()


async def test_parallel_orders_for_the_last_units_never_oversell(cluster: Cluster) -> None:
    product = await cluster.setup()

    async def order(i: int) -> UUID | None:
        customer = Actor(user_id=new_id(), roles=frozenset({"pet_owner"}))
        try:
            placed = await cluster.buses[i % PROCESSES].execute(
                PlaceCustomerOrder(
                    actor=customer,
                    customer_order_id=new_id(),
                    location_id=CLINIC,
                    lines=(RequestedLine(product_id=product.product_id, quantity=1),),
                    payment_token="tok_visa",
                )
            )
        except OutOfStock:
            return None
        customer_order_id: UUID = placed.customer_order_id
        return customer_order_id

    outcomes = await asyncio.gather(*(order(i) for i in range(CUSTOMERS)))
    placed = [o for o in outcomes if o is not None]

    assert len(placed) == UNITS
    assert await cluster.stock(product) == (UNITS, UNITS)
    assert await cluster.statuses() == Counter({"placed": UNITS, "failed": CUSTOMERS - UNITS})
    assert len(cluster.payments.charges) == UNITS  # the short ones were never charged

    # Each placed order is cancelled and fulfilled at the same time: one of them wins.
    async def race(i: int, order_id: UUID) -> None:
        commands = [
            CancelCustomerOrder(actor=ADMIN, customer_order_id=order_id),
            FulfilCustomerOrder(actor=ADMIN, customer_order_id=order_id),
        ]
        results = await asyncio.gather(
            *(cluster.buses[(i + k) % PROCESSES].execute(c) for k, c in enumerate(commands)),
            return_exceptions=True,
        )
        for result in results:
            assert not isinstance(result, Exception) or isinstance(result, PetProError), result

    await asyncio.gather(*(race(i, order_id) for i, order_id in enumerate(placed)))
    statuses = await cluster.statuses()
    assert statuses["cancelled"] + statuses["fulfilled"] == UNITS
    on_hand, reserved = await cluster.stock(product)
    assert (on_hand, reserved) == (UNITS - statuses["fulfilled"], 0)
    assert len(cluster.payments.refunds) == statuses["cancelled"]
