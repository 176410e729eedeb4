"""Reservation throughput on PostgreSQL under contention: N concurrent tasks reserving one
unit each of ONE hot product, against the same N spread over many products.

Each reservation goes through the real inventory handlers and the SQL unit of work (a
conditional UPDATE of the stock row, a ledger row, the reservation and its outbox events, in
one transaction). On the hot product every transaction waits for the row lock of the one
before it; spread over many products they run side by side. Prints reservations per second
of both and the ratio hot / uncontended, measured in the same run, then checks that nothing
was oversold: on a product with only a few units, many more parallel requests than units
reserve exactly the units, and every stock row equals its ledger.

Run:  .venv/bin/python bench/reservation_contention.py [--tasks 32] [--seconds 5]
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import func, select

from adapters.sql import migrate
from adapters.sql.inventory.tables import stock_items, stock_movements
from adapters.sql.inventory.unit_of_work import SqlInventoryUnitOfWork
from bench._support import ClientDatabase, arguments, display, fresh_database
from petpro_core.contracts.inventory import ReservationLine
from petpro_core.inventory.commands import CreateProduct, ReceiveStock, ReserveProducts
from petpro_core.inventory.domain.locations import Location, LocationKind
from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.handlers import InventoryDependencies, InventoryHandlers
from petpro_core.shared.actors import OPERATOR_ACTOR
from petpro_core.shared.clock import SystemClock
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money

CLINIC = UUID("00000000-0000-4000-8000-0000000be4c1")
PLENTY = 10_000_000  # never runs out during a timed phase
SCARCE = 50  # the oversell check: this many units, 4x as many parallel requests


def _bus(database: ClientDatabase) -> MessageBus:
    bus = MessageBus()
    InventoryHandlers(
        InventoryDependencies(uow=lambda: SqlInventoryUnitOfWork(database), clock=SystemClock())
    ).register(bus)
    return bus


async def _stocked(bus: MessageBus, sku: str, units: int) -> Product:
    product: Product = await bus.execute(
        CreateProduct(
            actor=OPERATOR_ACTOR, sku=sku, name=sku, unit="u", price=Money.of("1.00", "EUR")
        )
    )
    await bus.execute(
        ReceiveStock(
            actor=OPERATOR_ACTOR, product_id=product.product_id, location_id=CLINIC, quantity=units
        )
    )
    return product


async def _reserve(bus: MessageBus, product: Product) -> bool:
    reservation_id = new_id()
    result = await bus.execute(
        ReserveProducts(
            reservation_id=reservation_id,
            location_id=CLINIC,
            lines=(ReservationLine(product_id=product.product_id, quantity=1),),
            expires_at=datetime.now(UTC) + timedelta(hours=1),
            reference=f"bench:{reservation_id}",
        )
    )
    return bool(result.reserved)


async def _phase(bus: MessageBus, products: list[Product], tasks: int, seconds: float) -> float:
    """Reservations per second of `tasks` concurrent loops, task i on products[i % len]."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def loop(i: int) -> None:
        nonlocal done
        product = products[i % len(products)]
        while time.perf_counter() < deadline:
            if await _reserve(bus, product):
                done += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(tasks)))
    return done / (time.perf_counter() - started)


async def _consistent(database: ClientDatabase) -> bool:
    """Every stock row within the rule and equal to the sums of its ledger."""
    async with database.engine.connect() as connection:
        ledger = (
            select(
                stock_movements.c.stock_item_id,
                func.sum(stock_movements.c.on_hand_delta).label("on_hand"),
                func.sum(stock_movements.c.reserved_delta).label("reserved"),
            )
            .group_by(stock_movements.c.stock_item_id)
            .subquery()
        )
        rows = (
            await connection.execute(
                select(
                    stock_items.c.on_hand,
                    stock_items.c.reserved,
                    ledger.c.on_hand,
                    ledger.c.reserved,
                ).join(ledger, ledger.c.stock_item_id == stock_items.c.stock_item_id)
            )
        ).all()
    return bool(rows) and all(
        0 <= reserved <= on_hand and (on_hand, reserved) == (l_on_hand, l_reserved)
        for on_hand, reserved, l_on_hand, l_reserved in rows
    )


async def measure(url: str, tasks: int, seconds: float, spread: int) -> bool:
    database = ClientDatabase(url, pool_size=tasks)
    try:
        await asyncio.to_thread(migrate.upgrade, database, "inventory")
        async with SqlInventoryUnitOfWork(database) as uow:
            await uow.locations.put_clinic(
                Location(
                    location_id=CLINIC,
                    kind=LocationKind.CLINIC,
                    name="Bench clinic",
                    updated_at=datetime.now(UTC),
                )
            )
            await uow.commit()
        bus = _bus(database)
        hot = await _stocked(bus, "HOT", PLENTY)
        many = [await _stocked(bus, f"COOL-{i}", PLENTY) for i in range(spread)]

        await _phase(bus, many, tasks, min(1.0, seconds / 5))  # warm the pool and caches
        uncontended = await _phase(bus, many, tasks, seconds)
        contended = await _phase(bus, [hot], tasks, seconds)

        scarce = await _stocked(bus, "SCARCE", SCARCE)
        won = sum(await asyncio.gather(*(_reserve(bus, scarce) for _ in range(SCARCE * 4))))
        consistent = await _consistent(database)
    finally:
        await database.dispose()

    print(f"uncontended ({tasks} tasks over {spread} products): {uncontended:9.1f} reservations/s")
    print(f"hot product  ({tasks} tasks on 1 product):   {contended:9.1f} reservations/s")
    print(f"RATIO hot / uncontended: {contended / uncontended:.2f}")
    print(
        f"oversell check: {won} of {SCARCE * 4} parallel requests reserved {SCARCE} units "
        f"-> {'ok' if won == SCARCE else 'OVERSOLD' if won > SCARCE else 'UNDERSOLD'}; "
        f"stock rows match their ledger: {'ok' if consistent else 'NO'}"
    )
    return won == SCARCE and consistent


def main() -> None:
    options = arguments(
        __doc__.split("\n\n")[0],
        events=(0, "unused"),
        seconds=(5.0, "how long each timed phase runs"),
        extra=(
            ("tasks", 32, "concurrent tasks (each with its own pooled connection)"),
            ("products", 64, "products the uncontended phase spreads over"),
        ),
    )
    print(f"PostgreSQL {display(options.database_url)}")
    with fresh_database(options.database_url) as url:
        ok = asyncio.run(measure(url, options.tasks, options.seconds, options.products))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
