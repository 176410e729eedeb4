"""Concurrent reservations on PostgreSQL (and SQLite): never oversold, all or nothing, every
number explained by the ledger, and each reservation released at most once.

Requests run in parallel over several `SqlDatabase`s (each its own connection pool), as
several processes would.
"""

from __future__ import annotations

import asyncio
import random
import shutil
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import select

from adapters.sql.database import SqlDatabase, sqlite_url_in
from adapters.sql.inventory.tables import outbox, reservations, stock_items, stock_movements
from adapters.sql.inventory.unit_of_work import SqlInventoryUnitOfWork
from petpro_core.contracts.inventory import ReservationLine
from petpro_core.inventory.commands import (
    CreateProduct,
    ExpireReservations,
    ReceiveStock,
    ReleaseReservation,
    ReservationResult,
    ReserveProducts,
    SetReorderPolicy,
)
from petpro_core.inventory.domain.locations import Location, LocationKind
from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.handlers import InventoryDependencies, InventoryHandlers
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money

CLINIC = UUID("00000000-0000-4000-8000-00000000c111")
ADMIN = Actor(user_id=new_id(), roles=frozenset({"admin"}))
PROCESSES = 4
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Cluster:
    """Several 'processes' on one database: a bus each, over its own SqlDatabase."""

    def __init__(self, url: str) -> None:
        self.clock = FixedClock(T0)
        self.databases = [SqlDatabase(url) for _ in range(PROCESSES)]
        self.buses = []
        for database in self.databases:
            bus = MessageBus()
            InventoryHandlers(
                InventoryDependencies(
                    uow=lambda database=database: SqlInventoryUnitOfWork(database),  # type: ignore[misc]
                    clock=self.clock,
                )
            ).register(bus)
            self.buses.append(bus)

    def bus(self, i: int) -> MessageBus:
        return self.buses[i % PROCESSES]

    async def product(self, sku: str, stock: int) -> Product:
        product: Product = await self.buses[0].execute(
            CreateProduct(actor=ADMIN, sku=sku, name=sku, unit="u", price=Money.of("1.00", "EUR"))
        )
        if stock:
            await self.receive(product, stock)
        return product

    async def receive(self, product: Product, stock: int) -> None:
        async with SqlInventoryUnitOfWork(self.databases[0]) as uow:  # as clinic.created does
            await uow.locations.put_clinic(
                Location(location_id=CLINIC, kind=LocationKind.CLINIC, name="C", updated_at=T0)
            )
            await uow.commit()
        await self.buses[0].execute(
            ReceiveStock(
                actor=ADMIN, product_id=product.product_id, location_id=CLINIC, quantity=stock
            )
        )

    async def reserve(
        self, i: int, lines: list[tuple[Product, int]], reservation_id: UUID | None = None
    ) -> ReservationResult:
        result: ReservationResult = await self.bus(i).execute(
            ReserveProducts(
                reservation_id=reservation_id or new_id(),
                location_id=CLINIC,
                lines=tuple(ReservationLine(product_id=p.product_id, quantity=q) for p, q in lines),
                expires_at=self.clock.now() + timedelta(minutes=15),
                reference=f"booking:{i}",
            )
        )
        return result

    async def stock(self, product: Product) -> tuple[int, int, int]:
        async with self.databases[0].engine.connect() as connection:
            row = (
                await connection.execute(
                    select(
                        stock_items.c.on_hand, stock_items.c.reserved, stock_items.c.version
                    ).where(stock_items.c.product_id == product.product_id)
                )
            ).one()
            ledger = (
                await connection.execute(
                    select(
                        stock_movements.c.on_hand_delta,
                        stock_movements.c.reserved_delta,
                        stock_movements.c.stock_version,
                    ).where(stock_movements.c.product_id == product.product_id)
                )
            ).all()
        # Every number is explained by the ledger, one movement per version.
        assert sum(m.on_hand_delta for m in ledger) == row.on_hand
        assert sum(m.reserved_delta for m in ledger) == row.reserved
        assert sorted(m.stock_version for m in ledger) == list(range(1, row.version + 1))
        return row.on_hand, row.reserved, row.version

    async def published(self) -> Counter[str]:
        async with self.databases[0].engine.connect() as connection:
            names = (await connection.execute(select(outbox.c.event_name))).scalars().all()
        return Counter(names)

    async def statuses(self) -> Counter[str]:
        async with self.databases[0].engine.connect() as connection:
            rows = (await connection.execute(select(reservations.c.status))).scalars().all()
        return Counter(rows)

    async def dispose(self) -> None:
        for database in self.databases:
            await database.dispose()


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database: PostgreSQL's cleaned one, or a copy of the SQLite template."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("clean_postgres_url")
        return url
    template: Path = request.getfixturevalue("_sqlite_template")
    shutil.copytree(template, tmp_path / "data")
    return sqlite_url_in(tmp_path / "data")


@pytest.fixture
async def cluster(database_url: str) -> AsyncIterator[Cluster]:
    cluster = Cluster(database_url)
    yield cluster
    await cluster.dispose()


def _id(product: Product) -> UUID:
    return product.product_id


async def test_forty_parallel_reservations_of_ten_units_reserve_exactly_ten(
    cluster: Cluster,
) -> None:
    product = await cluster.product("P", 10)

    results = await asyncio.gather(*(cluster.reserve(i, [(product, 1)]) for i in range(40)))

    assert sum(result.reserved for result in results) == 10
    assert all(
        r.reason == "not enough P: 1 requested, 0 available" for r in results if not r.reserved
    )
    assert await cluster.stock(product) == (10, 10, 11)
    assert await cluster.statuses() == Counter({"held": 10, "failed": 30})
    published = await cluster.published()
    assert (published["products.reserved"], published["products.reservation_failed"]) == (10, 30)
    assert published["product.stock_changed"] == 11  # the receipt and ten reservations


async def test_parallel_multi_line_reservations_are_all_or_nothing(cluster: Cluster) -> None:
    # B runs short, and comes later in lock (product id) order, so every failed request
    # had reserved its A line before it failed: all of that must be undone.
    a, b = sorted([await cluster.product("A", 0), await cluster.product("B", 0)], key=_id)
    await cluster.receive(a, 25)
    await cluster.receive(b, 20)
    rng = random.Random(7)

    def lines() -> list[tuple[Product, int]]:
        chosen = [(a, 1), (b, 2)]
        rng.shuffle(chosen)  # requests name lines in any order; stores lock in one order
        return chosen

    results = await asyncio.gather(*(cluster.reserve(i, lines()) for i in range(30)))

    assert sum(result.reserved for result in results) == 10
    assert await cluster.stock(b) == (20, 20, 11)
    assert await cluster.stock(a) == (25, 10, 11)  # no A held for a reservation that failed


async def test_parallel_repeats_of_one_reservation_reserve_once(cluster: Cluster) -> None:
    product = await cluster.product("P", 10)
    reservation_id = new_id()

    results = await asyncio.gather(
        *(cluster.reserve(i, [(product, 3)], reservation_id) for i in range(12))
    )

    assert set(results) == {ReservationResult(reserved=True)}
    assert await cluster.stock(product) == (10, 3, 2)
    assert (await cluster.published())["products.reserved"] == 1


async def test_parallel_releases_and_expiry_release_once(cluster: Cluster) -> None:
    product = await cluster.product("P", 10)
    reservation_id = new_id()
    assert (await cluster.reserve(0, [(product, 4)], reservation_id)).reserved
    cluster.clock.advance(timedelta(minutes=20))

    outcomes = await asyncio.gather(
        *(
            cluster.bus(i).execute(ReleaseReservation(reservation_id=reservation_id, reason="x"))
            for i in range(6)
        ),
        *(cluster.bus(i).execute(ExpireReservations(now=cluster.clock.now())) for i in range(6)),
    )

    assert sum(int(outcome) for outcome in outcomes) == 1
    assert await cluster.stock(product) == (10, 0, 3)
    assert (await cluster.published())["products.released"] == 1


async def test_parallel_reservations_crossing_the_threshold_publish_one_stock_low(
    cluster: Cluster,
) -> None:
    product = await cluster.product("P", 30)
    await cluster.buses[0].execute(
        SetReorderPolicy(
            actor=ADMIN,
            product_id=product.product_id,
            location_id=CLINIC,
            threshold=20,
            reorder_quantity=50,
        )
    )

    # 30 available, low at 20: the 10th reservation crosses; 15 more land below it.
    results = await asyncio.gather(*(cluster.reserve(i, [(product, 1)]) for i in range(25)))

    assert all(result.reserved for result in results)
    assert await cluster.stock(product) == (30, 25, 26)
    published = await cluster.published()
    assert published["stock.low"] == 1
    assert published["product.stock_changed"] == 26
    async with cluster.databases[0].engine.connect() as connection:
        flag = (await connection.execute(select(stock_items.c.low_reported))).scalar_one()
        [payload] = (
            await connection.execute(
                select(outbox.c.payload).where(outbox.c.event_name == "stock.low")
            )
        ).scalars()
    assert flag is True
    assert (payload["threshold"], payload["reorder_quantity"], payload["on_order"]) == (20, 50, 0)
    assert payload["available"] == 20  # the reservation that crossed: rows lock one by one
