"""Contract of the vendor ports (vendors, catalogues, purchase orders, the status view and
its journal, reorder decisions, the unit of work) and of the handlers on them, run against
every adapter: memory, SQLite, PostgreSQL. The in-memory adapter is the reference.

The rule "one open purchase order per product and location" is held by the stores too: on
PostgreSQL, reorders racing in parallel transactions end with exactly one order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from adapters.memory.vendor import InMemoryVendorUnitOfWork, in_memory_vendor_store
from adapters.sql import migrate
from adapters.sql.database import SqlDatabase, sqlite_url_in
from adapters.sql.vendor import tables as vendor_tables
from adapters.sql.vendor.unit_of_work import SqlVendorUnitOfWork
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import PageRequest
from petpro_core.vendor.commands import (
    ConfirmPurchaseOrder,
    DeliverPurchaseOrder,
    GetVendorInventoryStatus,
    ListPurchaseOrders,
    RebuildInventoryStatus,
    ShipPurchaseOrder,
)
from petpro_core.vendor.domain.catalogue import CatalogueProduct
from petpro_core.vendor.domain.errors import (
    ConcurrentVendorUpdate,
    OpenOrderExists,
    SupplyItemTaken,
)
from petpro_core.vendor.domain.orders import OrderStatus
from petpro_core.vendor.domain.status import ReorderOutcome
from petpro_core.vendor.ports import OrderFilter, VendorUnitOfWork
from tests.support.servers import fresh_postgres_database
from tests.support.vendor import (
    ADMIN,
    CLINIC,
    STAFF,
    T0,
    VendorHarness,
    stock_changed,
    stock_low,
    stock_received,
)

UnitOfWorkFactory = Callable[[], VendorUnitOfWork]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uow(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    if request.param == "memory":
        store = in_memory_vendor_store()
        return lambda: InMemoryVendorUnitOfWork(store)
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    database: SqlDatabase = request.getfixturevalue(fixture)
    return lambda: SqlVendorUnitOfWork(database)


@pytest.fixture
def harness(uow: UnitOfWorkFactory) -> VendorHarness:
    return VendorHarness(uow)


async def test_vendors_and_members_round_trip(harness: VendorHarness) -> None:
    acme = await harness.vendor("Acme", 3, email="a@acme.example", phone="+49 30 1234")
    await harness.vendor("Zeta", 1)
    member = await harness.member(acme)
    async with harness.uow() as uow:
        stored = await uow.vendors.get(acme.vendor_id)
        assert stored is not None and stored.member_ids == (member.user_id,)
        assert stored.version == 2 and stored.email == "a@acme.example"
        page, total = await uow.vendors.list(PageRequest(limit=1, offset=1))
        assert total == 2 and [v.name for v in page] == ["Zeta"]
        mine, total = await uow.vendors.list(PageRequest(), member=member.user_id)
        assert total == 1 and mine == [stored]
        assert await uow.vendors.of_member(member.user_id) == [stored]
        assert await uow.vendors.get_many([acme.vendor_id, new_id()]) == {acme.vendor_id: stored}
        with pytest.raises(ConcurrentVendorUpdate):
            await uow.vendors.save(replace(stored, name="Stale"))


async def test_the_product_catalogue_keeps_the_newest_version(uow: UnitOfWorkFactory) -> None:
    product = CatalogueProduct(
        product_id=new_id(), sku="FLEA-10", name="Flea", unit="box", active=True, version=2
    )
    async with uow() as unit:
        assert await unit.products.apply(product)
        assert not await unit.products.apply(replace(product, name="Old", version=1))
        assert not await unit.products.apply(replace(product, name="Same", version=2))
        assert await unit.products.apply(replace(product, name="New", active=False, version=3))
        await unit.commit()
    async with uow() as unit:
        stored = await unit.products.get(product.product_id)
        assert stored == replace(product, name="New", active=False, version=3)
        assert await unit.products.get_many([product.product_id]) == {product.product_id: stored}


async def test_supply_items_are_unique_per_vendor_product_and_vendor_sku(
    harness: VendorHarness,
) -> None:
    acme, zeta = await harness.vendor("Acme"), await harness.vendor("Zeta")
    p1, p2 = await harness.product("P1"), await harness.product("P2")
    item = await harness.supplies(
        acme, p1, "2.50", vendor_sku="AC-1", pack_size=6, minimum_order=12
    )
    await harness.supplies(zeta, p1, "2.40", vendor_sku="AC-1")  # another vendor may
    async with harness.uow() as uow:
        with pytest.raises(SupplyItemTaken):
            await uow.supply.add(replace(item, item_id=new_id(), vendor_sku="AC-2"))
        with pytest.raises(SupplyItemTaken):
            await uow.supply.add(replace(item, item_id=new_id(), product_id=p2))
        await uow.supply.add(replace(item, item_id=new_id(), product_id=p2, vendor_sku="AC-2"))
        await uow.commit()  # the failed inserts did not spoil the transaction
    async with harness.uow() as uow:
        items = await uow.supply.of_vendor(acme.vendor_id, include_inactive=False)
        assert [(i.vendor_sku, i.unit_cost) for i in items] == [
            ("AC-1", Money(Decimal("2.50"), "EUR")),
            ("AC-2", Money(Decimal("2.50"), "EUR")),
        ]
        assert [i.vendor_id for i in await uow.supply.for_product(p1)] == sorted(
            [acme.vendor_id, zeta.vendor_id]
        )
        with pytest.raises(SupplyItemTaken):
            await uow.supply.save(replace(items[1], vendor_sku="AC-1", version=2))
        await uow.supply.save(replace(items[1], active=False, version=2))
        await uow.commit()
    async with harness.uow() as uow:
        assert len(await uow.supply.of_vendor(acme.vendor_id, include_inactive=False)) == 1
        assert len(await uow.supply.of_vendor(acme.vendor_id, include_inactive=True)) == 2


async def test_an_order_and_its_events_round_trip(harness: VendorHarness) -> None:
    product = await harness.product()
    acme = await harness.vendor("Acme", 2)
    member = await harness.member(acme)
    await harness.supplies(acme, product, "2.50", pack_size=5)
    await harness.deliver([stock_low(product, reorder_quantity=12)])

    [order] = (await harness.execute(ListPurchaseOrders(actor=ADMIN))).items
    oid = order.purchase_order_id
    assert order.quantity == 15 and order.status is OrderStatus.CREATED
    await harness.execute(ConfirmPurchaseOrder(actor=member, purchase_order_id=oid))
    await harness.execute(
        ShipPurchaseOrder(
            actor=member,
            purchase_order_id=oid,
            carrier="DHL",
            tracking_number="JD1",
            expected_delivery_on=T0.date() + timedelta(days=2),
            quantity=10,
        )
    )
    delivery = new_id()
    await harness.execute(
        DeliverPurchaseOrder(actor=STAFF, purchase_order_id=oid, quantity=4, delivery_id=delivery)
    )
    async with harness.uow() as uow:
        stored = await uow.orders.get(oid)
        assert stored is not None
        assert stored.status is OrderStatus.PARTIALLY_DELIVERED and stored.version == 4
        assert [(s.carrier, s.quantity) for s in stored.shipments] == [("DHL", 10)]
        assert [(d.delivery_id, d.quantity) for d in stored.deliveries] == [(delivery, 4)]
        assert stored.shipments[0].shipped_at == T0 and stored.unit_cost.amount == Decimal("2.50")
        assert await uow.orders.open_for(product, CLINIC) == stored
        assert await uow.orders.open_for_products([product]) == [stored]
        with pytest.raises(ConcurrentVendorUpdate):
            await uow.orders.save(replace(stored, version=4))
        with pytest.raises(OpenOrderExists):
            await uow.orders.add(
                replace(stored, purchase_order_id=new_id(), origin_event_id=None, version=1)
            )
        # A closed order does not count.
        closed = replace(stored, purchase_order_id=new_id(), status=OrderStatus.DELIVERED)
        await uow.orders.add(replace(closed, origin_event_id=None))
        found, total = await uow.orders.list(
            OrderFilter(status=OrderStatus.DELIVERED), PageRequest()
        )
        assert total == 1 and found[0].purchase_order_id == closed.purchase_order_id
        found, total = await uow.orders.list(
            OrderFilter(vendor_ids=(acme.vendor_id,), product_id=product, location_id=CLINIC),
            PageRequest(limit=1),
        )
        assert total == 2 and len(found) == 1


async def test_the_status_view_journal_and_decisions(harness: VendorHarness) -> None:
    product = await harness.product()
    acme = await harness.vendor("Acme")
    await harness.supplies(acme, product, "1.00", vendor_sku="AC-1")
    await harness.deliver(
        [stock_changed(product, CLINIC, 3, on_hand=8, reserved=1)],
        [stock_low(product, CLINIC, 2, available=4, threshold=5)],
        [stock_changed(product, CLINIC, 1, on_hand=99)],  # older: ignored
        [stock_received(product, CLINIC, 4, quantity=2, on_hand=10, available=9)],
    )
    [row] = await harness.execute(GetVendorInventoryStatus(actor=ADMIN, vendor_id=acme.vendor_id))
    assert (row.on_hand, row.reserved, row.available, row.threshold) == (10, 1, 9, 5)
    assert not row.needs_reorder and row.vendor_sku == "AC-1"
    assert row.open_purchase_order_id is not None
    assert row.last_reorder is not None and row.last_reorder.outcome is ReorderOutcome.ORDERED
    async with harness.uow() as uow:
        live = await uow.status.all()
        assert len(await uow.journal.events()) == 3  # newest changed, low, received
    assert await harness.execute(RebuildInventoryStatus(actor=ADMIN)) == 1
    async with harness.uow() as uow:
        assert await uow.status.all() == live


async def test_concurrent_reorders_make_one_open_order(harness: VendorHarness) -> None:
    product = await harness.product()
    await harness.supplies(await harness.vendor("Acme"), product, "2.00")
    lows = [stock_low(product, version=v) for v in range(1, 7)]
    await asyncio.gather(*(harness.deliver([low]) for low in lows))
    page = await harness.execute(ListPurchaseOrders(actor=ADMIN))
    assert page.total == 1
    async with harness.uow() as uow:
        outcomes = [(await uow.decisions.get(low.event_id)) for low in lows]
    assert sorted(d.outcome.value for d in outcomes if d is not None) == ["already_ordered"] * 5 + [
        "ordered"
    ]


@pytest.mark.postgres
async def test_parallel_inserts_of_open_orders_on_postgres_end_with_one(
    postgres_database: SqlDatabase,
) -> None:
    """Two transactions both see no open order, then both insert: the partial unique index
    makes the second wait for the first and fail; the first commits."""
    harness = VendorHarness(lambda: SqlVendorUnitOfWork(postgres_database))
    product = await harness.product()
    await harness.supplies(await harness.vendor("Acme"), product, "2.00")
    both_checked = asyncio.Barrier(2)
    results: list[str] = []

    async def reorder() -> None:
        low = stock_low(product, version=len(results) + 1)
        async with harness.uow() as uow:
            assert await uow.orders.open_for(product, CLINIC) is None
            await both_checked.wait()
            handler = harness.subscription.handler_for(low)
            assert handler is not None
            await handler(low, uow)
            decision = await uow.decisions.get(low.event_id)
            assert decision is not None
            results.append(decision.outcome.value)
            await uow.commit()

    await asyncio.wait_for(asyncio.gather(reorder(), reorder()), 30)
    assert sorted(results) == ["already_ordered", "ordered"]
    assert (await harness.execute(ListPurchaseOrders(actor=ADMIN))).total == 1


async def test_events_reach_the_outbox_with_the_change(uow: UnitOfWorkFactory) -> None:
    harness = VendorHarness(uow)
    product = await harness.product()
    await harness.supplies(await harness.vendor("Acme"), product, "2.00")
    await harness.deliver([stock_low(product)])
    unit = uow()
    if isinstance(unit, InMemoryVendorUnitOfWork):
        assert [e.NAME for e in unit._store.outbox] == ["order.created"]
        return
    assert isinstance(unit, SqlVendorUnitOfWork)
    database: SqlDatabase = unit._database
    async with database.engine.connect() as connection:
        rows = (await connection.execute(select(vendor_tables.outbox))).all()
    assert [(r.event_type, r.aggregate_version) for r in rows] == [("petpro.order.created.v1", 1)]
    assert rows[0].envelope is not None


# --- migrations ------------------------------------------------------------------------------

VENDOR_TABLES = {
    "vendors",
    "vendor_members",
    "catalogue_products",
    "supply_items",
    "purchase_orders",
    "stock_status",
    "stock_event_journal",
    "reorder_decisions",
    "inbox",
    "outbox",
    "relay_checkpoint",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield SqlDatabase(sqlite_url_in(tmp_path / "data"))
        return
    with fresh_postgres_database() as url:
        yield SqlDatabase(url)


def _tables_of(database: SqlDatabase) -> set[str]:
    engine = database.create_sync_engine()
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            if "vendor" not in inspector.get_schema_names():
                return set()
            return set(inspector.get_table_names(schema="vendor"))
    finally:
        engine.dispose()


def test_vendor_upgrade_creates_its_schema_and_down_again(empty_database: SqlDatabase) -> None:
    assert migrate.head_revision("vendor") == "0001_vendor_initial"
    migrate.upgrade(empty_database, "vendor")
    assert migrate.is_up_to_date(empty_database, "vendor")
    assert _tables_of(empty_database) == VENDOR_TABLES | {"alembic_version"}
    command.downgrade(migrate.alembic_config("vendor", empty_database), "base")
    assert _tables_of(empty_database) <= {"alembic_version"}
    migrate.upgrade(empty_database, "vendor")
    assert _tables_of(empty_database) == VENDOR_TABLES | {"alembic_version"}


@pytest.mark.postgres
def test_the_vendor_migration_matches_the_table_metadata() -> None:
    with fresh_postgres_database() as url:
        database = SqlDatabase(url)
        migrate.upgrade(database, "vendor")
        engine = database.create_sync_engine()
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "target_metadata": vendor_tables.metadata,
                        "include_schemas": True,
                        "include_name": migrate.include_only_schema(vendor_tables.SCHEMA),
                        "version_table_schema": vendor_tables.SCHEMA,
                        "compare_type": True,
                        "compare_server_default": True,
                    },
                )
                differences = list(compare_metadata(context, vendor_tables.metadata))
        finally:
            engine.dispose()
    assert differences == []
