"""SQL repositories of the vendor context. They run on the unit of work's connection.

Saves are guarded by the version (the row is updated only where its stored version is one
less), inserts that may break a unique rule run in a savepoint so the violation can be
answered as a domain error without losing the transaction. Projections are upserts that
keep the newer version (`ON CONFLICT … DO UPDATE … WHERE stored.version < new.version`).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Table, and_, delete, func, insert, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.codec.events import decode_payload, encode_payload
from adapters.sql.errors import violates
from adapters.sql.vendor.tables import (
    OPEN_ORDER_UNIQUE,
    OPEN_STATUSES,
    SUPPLY_PRODUCT_UNIQUE,
    SUPPLY_SKU_UNIQUE,
    catalogue_products,
    purchase_orders,
    reorder_decisions,
    stock_event_journal,
    stock_status,
    supply_items,
    vendor_members,
    vendors,
)
from petpro_core.contracts.catalog import resolve
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import PageRequest
from petpro_core.vendor.domain.catalogue import CatalogueProduct, SupplyItem
from petpro_core.vendor.domain.errors import (
    ConcurrentVendorUpdate,
    OpenOrderExists,
    SupplyItemTaken,
)
from petpro_core.vendor.domain.orders import (
    Delivery,
    OrderOrigin,
    OrderStatus,
    PurchaseOrder,
    Shipment,
)
from petpro_core.vendor.domain.status import (
    ReorderDecision,
    ReorderOutcome,
    StockEvent,
    StockStatus,
)
from petpro_core.vendor.domain.vendors import Vendor
from petpro_core.vendor.ports import OrderFilter

ConnectionGetter = Callable[[], AsyncConnection]

_OPEN_ORDER_MARKERS = (OPEN_ORDER_UNIQUE, "purchase_orders.product_id")
_SUPPLY_PRODUCT_MARKERS = (SUPPLY_PRODUCT_UNIQUE, "supply_items.product_id")
_SUPPLY_SKU_MARKERS = (SUPPLY_SKU_UNIQUE, "supply_items.vendor_sku")


class _SqlRepository:
    def __init__(self, connection: ConnectionGetter) -> None:
        self._connection = connection

    @property
    def connection(self) -> AsyncConnection:
        return self._connection()

    def _insert(self, table: Table) -> Any:
        dialect = self.connection.dialect.name
        return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)


def _stale(what: str) -> ConcurrentVendorUpdate:
    return ConcurrentVendorUpdate(f"the {what} was changed by someone else; retry")


# --- vendors ---------------------------------------------------------------------------------


def _vendor_values(vendor: Vendor) -> dict[str, Any]:
    return {
        "vendor_id": vendor.vendor_id,
        "name": vendor.name,
        "email": vendor.email,
        "phone": vendor.phone,
        "lead_time_days": vendor.lead_time_days,
        "active": vendor.active,
        "created_at": vendor.created_at,
        "updated_at": vendor.updated_at,
        "version": vendor.version,
    }


class SqlVendorRepository(_SqlRepository):
    async def get(self, vendor_id: UUID) -> Vendor | None:
        found = await self._with_members(select(vendors).where(vendors.c.vendor_id == vendor_id))
        return found[0] if found else None

    async def get_many(self, vendor_ids: Sequence[UUID]) -> dict[UUID, Vendor]:
        if not vendor_ids:
            return {}
        statement = select(vendors).where(vendors.c.vendor_id.in_(list(set(vendor_ids))))
        return {v.vendor_id: v for v in await self._with_members(statement)}

    async def add(self, vendor: Vendor) -> None:
        await self.connection.execute(insert(vendors).values(_vendor_values(vendor)))
        await self._write_members(vendor)

    async def save(self, vendor: Vendor) -> None:
        values = _vendor_values(vendor)
        del values["vendor_id"], values["created_at"]
        result = await self.connection.execute(
            update(vendors)
            .where(vendors.c.vendor_id == vendor.vendor_id)
            .where(vendors.c.version == vendor.version - 1)
            .values(values)
        )
        if result.rowcount != 1:
            raise _stale("vendor")
        await self.connection.execute(
            delete(vendor_members).where(vendor_members.c.vendor_id == vendor.vendor_id)
        )
        await self._write_members(vendor)

    async def list(
        self, page: PageRequest, *, member: UUID | None = None
    ) -> tuple[Sequence[Vendor], int]:
        statement = select(vendors)
        counted = select(func.count()).select_from(vendors)
        if member is not None:
            mine = select(vendor_members.c.vendor_id).where(vendor_members.c.user_id == member)
            statement = statement.where(vendors.c.vendor_id.in_(mine))
            counted = counted.where(vendors.c.vendor_id.in_(mine))
        total = await self.connection.scalar(counted)
        found = await self._with_members(
            statement.order_by(vendors.c.name, vendors.c.vendor_id)
            .limit(page.limit)
            .offset(page.offset)
        )
        return found, int(total or 0)

    async def of_member(self, user_id: UUID) -> builtins.list[Vendor]:
        mine = select(vendor_members.c.vendor_id).where(vendor_members.c.user_id == user_id)
        return await self._with_members(
            select(vendors)
            .where(vendors.c.vendor_id.in_(mine))
            .order_by(vendors.c.name, vendors.c.vendor_id)
        )

    async def _write_members(self, vendor: Vendor) -> None:
        if vendor.member_ids:
            rows = [
                {"vendor_id": vendor.vendor_id, "user_id": user_id, "position": n}
                for n, user_id in enumerate(vendor.member_ids)
            ]
            await self.connection.execute(insert(vendor_members), rows)

    async def _with_members(self, statement: Any) -> builtins.list[Vendor]:
        rows = (await self.connection.execute(statement)).all()
        if not rows:
            return []
        members: dict[UUID, builtins.list[UUID]] = {}
        result = await self.connection.execute(
            select(vendor_members)
            .where(vendor_members.c.vendor_id.in_([row.vendor_id for row in rows]))
            .order_by(vendor_members.c.vendor_id, vendor_members.c.position)
        )
        for member in result:
            members.setdefault(member.vendor_id, []).append(member.user_id)
        return [
            Vendor(
                vendor_id=row.vendor_id,
                name=row.name,
                email=row.email,
                phone=row.phone,
                lead_time_days=row.lead_time_days,
                active=row.active,
                member_ids=tuple(members.get(row.vendor_id, ())),
                created_at=row.created_at,
                updated_at=row.updated_at,
                version=row.version,
            )
            for row in rows
        ]


# --- catalogues ------------------------------------------------------------------------------


def _product_from(row: Row[Any]) -> CatalogueProduct:
    return CatalogueProduct(
        product_id=row.product_id,
        sku=row.sku,
        name=row.name,
        unit=row.unit,
        active=row.active,
        version=row.version,
    )


class SqlProductCatalogue(_SqlRepository):
    async def get(self, product_id: UUID) -> CatalogueProduct | None:
        statement = select(catalogue_products).where(catalogue_products.c.product_id == product_id)
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _product_from(row)

    async def get_many(self, product_ids: Sequence[UUID]) -> dict[UUID, CatalogueProduct]:
        if not product_ids:
            return {}
        statement = select(catalogue_products).where(
            catalogue_products.c.product_id.in_(list(set(product_ids)))
        )
        return {r.product_id: _product_from(r) for r in await self.connection.execute(statement)}

    async def apply(self, product: CatalogueProduct) -> bool:
        values = {
            "product_id": product.product_id,
            "sku": product.sku,
            "name": product.name,
            "unit": product.unit,
            "active": product.active,
            "version": product.version,
        }
        statement = self._insert(catalogue_products).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[catalogue_products.c.product_id],
            set_={k: statement.excluded[k] for k in values if k != "product_id"},
            where=catalogue_products.c.version < statement.excluded.version,
        ).returning(catalogue_products.c.product_id)
        return (await self.connection.execute(statement)).first() is not None


def _item_values(item: SupplyItem) -> dict[str, Any]:
    return {
        "item_id": item.item_id,
        "vendor_id": item.vendor_id,
        "product_id": item.product_id,
        "vendor_sku": item.vendor_sku,
        "unit_cost_amount": item.unit_cost.amount,
        "unit_cost_currency": item.unit_cost.currency,
        "minimum_order": item.minimum_order,
        "pack_size": item.pack_size,
        "active": item.active,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "version": item.version,
    }


def _item_from(row: Row[Any]) -> SupplyItem:
    return SupplyItem(
        item_id=row.item_id,
        vendor_id=row.vendor_id,
        product_id=row.product_id,
        vendor_sku=row.vendor_sku,
        unit_cost=Money(row.unit_cost_amount, row.unit_cost_currency),
        minimum_order=row.minimum_order,
        pack_size=row.pack_size,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def _supply_taken(error: IntegrityError) -> SupplyItemTaken | None:
    if violates(error, *_SUPPLY_PRODUCT_MARKERS):
        return SupplyItemTaken("the vendor already lists this product")
    if violates(error, *_SUPPLY_SKU_MARKERS):
        return SupplyItemTaken("the vendor already uses this vendor SKU")
    return None


class SqlSupplyCatalogue(_SqlRepository):
    async def get(self, item_id: UUID) -> SupplyItem | None:
        row = (
            await self.connection.execute(
                select(supply_items).where(supply_items.c.item_id == item_id)
            )
        ).first()
        return None if row is None else _item_from(row)

    async def add(self, item: SupplyItem) -> None:
        try:
            async with self.connection.begin_nested():
                await self.connection.execute(insert(supply_items).values(_item_values(item)))
        except IntegrityError as exc:
            taken = _supply_taken(exc)
            if taken is not None:
                raise taken from None
            raise

    async def save(self, item: SupplyItem) -> None:
        values = _item_values(item)
        del values["item_id"], values["created_at"]
        try:
            async with self.connection.begin_nested():
                result = await self.connection.execute(
                    update(supply_items)
                    .where(supply_items.c.item_id == item.item_id)
                    .where(supply_items.c.version == item.version - 1)
                    .values(values)
                )
        except IntegrityError as exc:
            taken = _supply_taken(exc)
            if taken is not None:
                raise taken from None
            raise
        if result.rowcount != 1:
            raise _stale("supply item")

    async def of_vendor(self, vendor_id: UUID, *, include_inactive: bool) -> list[SupplyItem]:
        statement = select(supply_items).where(supply_items.c.vendor_id == vendor_id)
        if not include_inactive:
            statement = statement.where(supply_items.c.active.is_(True))
        statement = statement.order_by(supply_items.c.vendor_sku, supply_items.c.item_id)
        return [_item_from(row) for row in await self.connection.execute(statement)]

    async def for_product(self, product_id: UUID) -> list[SupplyItem]:
        statement = (
            select(supply_items)
            .where(supply_items.c.product_id == product_id)
            .order_by(supply_items.c.vendor_id)
        )
        return [_item_from(row) for row in await self.connection.execute(statement)]


# --- purchase orders -------------------------------------------------------------------------


def _order_values(order: PurchaseOrder) -> dict[str, Any]:
    return {
        "purchase_order_id": order.purchase_order_id,
        "vendor_id": order.vendor_id,
        "vendor_name": order.vendor_name,
        "product_id": order.product_id,
        "sku": order.sku,
        "vendor_sku": order.vendor_sku,
        "location_id": order.location_id,
        "quantity": order.quantity,
        "unit_cost_amount": order.unit_cost.amount,
        "unit_cost_currency": order.unit_cost.currency,
        "status": order.status.value,
        "expected_on": order.expected_on,
        "origin": order.origin.value,
        "origin_event_id": order.origin_event_id,
        "note": order.note,
        "shipments": [
            {
                "shipment_id": str(s.shipment_id),
                "carrier": s.carrier,
                "tracking_number": s.tracking_number,
                "expected_on": s.expected_on.isoformat(),
                "quantity": s.quantity,
                "shipped_at": s.shipped_at.isoformat(),
            }
            for s in order.shipments
        ],
        "deliveries": [
            {
                "delivery_id": str(d.delivery_id),
                "quantity": d.quantity,
                "delivered_at": d.delivered_at.isoformat(),
            }
            for d in order.deliveries
        ],
        "quantity_delivered": order.quantity_delivered,
        "cancel_reason": order.cancel_reason,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "version": order.version,
    }


def _order_from(row: Row[Any]) -> PurchaseOrder:
    return PurchaseOrder(
        purchase_order_id=row.purchase_order_id,
        vendor_id=row.vendor_id,
        vendor_name=row.vendor_name,
        product_id=row.product_id,
        sku=row.sku,
        vendor_sku=row.vendor_sku,
        location_id=row.location_id,
        quantity=row.quantity,
        unit_cost=Money(row.unit_cost_amount, row.unit_cost_currency),
        status=OrderStatus(row.status),
        expected_on=row.expected_on,
        origin=OrderOrigin(row.origin),
        origin_event_id=row.origin_event_id,
        note=row.note,
        shipments=tuple(
            Shipment(
                shipment_id=UUID(s["shipment_id"]),
                carrier=s["carrier"],
                tracking_number=s["tracking_number"],
                expected_on=date.fromisoformat(s["expected_on"]),
                quantity=s["quantity"],
                shipped_at=datetime.fromisoformat(s["shipped_at"]),
            )
            for s in row.shipments
        ),
        deliveries=tuple(
            Delivery(
                delivery_id=UUID(d["delivery_id"]),
                quantity=d["quantity"],
                delivered_at=datetime.fromisoformat(d["delivered_at"]),
            )
            for d in row.deliveries
        ),
        quantity_delivered=row.quantity_delivered,
        cancel_reason=row.cancel_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


class SqlPurchaseOrderRepository(_SqlRepository):
    async def get(self, purchase_order_id: UUID) -> PurchaseOrder | None:
        statement = select(purchase_orders).where(
            purchase_orders.c.purchase_order_id == purchase_order_id
        )
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _order_from(row)

    async def add(self, order: PurchaseOrder) -> None:
        try:
            async with self.connection.begin_nested():
                await self.connection.execute(insert(purchase_orders).values(_order_values(order)))
        except IntegrityError as exc:
            if violates(exc, *_OPEN_ORDER_MARKERS):
                raise OpenOrderExists(
                    "an open purchase order exists for this product and location"
                ) from None
            raise

    async def save(self, order: PurchaseOrder) -> None:
        values = _order_values(order)
        del values["purchase_order_id"], values["created_at"]
        result = await self.connection.execute(
            update(purchase_orders)
            .where(purchase_orders.c.purchase_order_id == order.purchase_order_id)
            .where(purchase_orders.c.version == order.version - 1)
            .values(values)
        )
        if result.rowcount != 1:
            raise _stale("purchase order")

    async def open_for(self, product_id: UUID, location_id: UUID) -> PurchaseOrder | None:
        statement = select(purchase_orders).where(
            purchase_orders.c.product_id == product_id,
            purchase_orders.c.location_id == location_id,
            purchase_orders.c.status.in_(OPEN_STATUSES),
        )
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _order_from(row)

    async def open_for_products(self, product_ids: Sequence[UUID]) -> builtins.list[PurchaseOrder]:
        if not product_ids:
            return []
        statement = select(purchase_orders).where(
            purchase_orders.c.product_id.in_(list(set(product_ids))),
            purchase_orders.c.status.in_(OPEN_STATUSES),
        )
        return [_order_from(row) for row in await self.connection.execute(statement)]

    async def list(
        self, filter: OrderFilter, page: PageRequest
    ) -> tuple[Sequence[PurchaseOrder], int]:
        c = purchase_orders.c
        conditions: builtins.list[Any] = []
        if filter.vendor_ids is not None:
            conditions.append(c.vendor_id.in_(list(filter.vendor_ids)))
        if filter.status is not None:
            conditions.append(c.status == filter.status.value)
        if filter.product_id is not None:
            conditions.append(c.product_id == filter.product_id)
        if filter.location_id is not None:
            conditions.append(c.location_id == filter.location_id)
        where = and_(true(), *conditions)
        total = await self.connection.scalar(
            select(func.count()).select_from(purchase_orders).where(where)
        )
        statement = (
            select(purchase_orders)
            .where(where)
            .order_by(c.created_at.desc(), c.purchase_order_id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        rows = await self.connection.execute(statement)
        return [_order_from(row) for row in rows], int(total or 0)


# --- the status view, its journal, the reorder decisions -------------------------------------


def _status_values(row: StockStatus) -> dict[str, Any]:
    return {
        "product_id": row.product_id,
        "location_id": row.location_id,
        "stock_item_id": row.stock_item_id,
        "sku": row.sku,
        "product_name": row.product_name,
        "on_hand": row.on_hand,
        "reserved": row.reserved,
        "available": row.available,
        "stock_version": row.stock_version,
        "threshold": row.threshold,
        "reorder_quantity": row.reorder_quantity,
        "low_version": row.low_version,
    }


def _status_from(row: Row[Any]) -> StockStatus:
    return StockStatus(**dict(row._mapping))


class SqlStockStatusRepository(_SqlRepository):
    async def get(self, product_id: UUID, location_id: UUID) -> StockStatus | None:
        statement = select(stock_status).where(
            stock_status.c.product_id == product_id, stock_status.c.location_id == location_id
        )
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _status_from(row)

    async def put(self, row: StockStatus) -> None:
        values = _status_values(row)
        statement = self._insert(stock_status).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[stock_status.c.product_id, stock_status.c.location_id],
            set_={
                k: statement.excluded[k] for k in values if k not in ("product_id", "location_id")
            },
        )
        await self.connection.execute(statement)

    async def of_products(self, product_ids: Sequence[UUID]) -> builtins.list[StockStatus]:
        if not product_ids:
            return []
        statement = (
            select(stock_status)
            .where(stock_status.c.product_id.in_(list(set(product_ids))))
            .order_by(stock_status.c.product_id, stock_status.c.location_id)
        )
        return [_status_from(row) for row in await self.connection.execute(statement)]

    async def all(self) -> builtins.list[StockStatus]:
        statement = select(stock_status).order_by(
            stock_status.c.product_id, stock_status.c.location_id
        )
        return [_status_from(row) for row in await self.connection.execute(statement)]

    async def clear(self) -> int:
        result = await self.connection.execute(delete(stock_status))
        return int(result.rowcount or 0)


class SqlStockEventJournal(_SqlRepository):
    async def keep(self, event: StockEvent) -> None:
        values = {
            "stock_item_id": event.stock_item_id,
            "event_name": event.NAME,
            "event_type": event.type_name(),
            "aggregate_version": event.aggregate_version,
            "payload": encode_payload(event),
        }
        statement = self._insert(stock_event_journal).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[stock_event_journal.c.stock_item_id, stock_event_journal.c.event_name],
            set_={k: statement.excluded[k] for k in ("event_type", "aggregate_version", "payload")},
            where=stock_event_journal.c.aggregate_version < statement.excluded.aggregate_version,
        )
        await self.connection.execute(statement)

    async def events(self) -> builtins.list[StockEvent]:
        statement = select(stock_event_journal).order_by(
            stock_event_journal.c.stock_item_id, stock_event_journal.c.event_name
        )
        events: builtins.list[StockEvent] = []
        for row in await self.connection.execute(statement):
            event_class, payload = resolve(row.event_type, row.payload)
            events.append(decode_payload(event_class, payload))  # type: ignore[arg-type]
        return events


def _decision_from(row: Row[Any]) -> ReorderDecision:
    return ReorderDecision(
        event_id=row.event_id,
        product_id=row.product_id,
        location_id=row.location_id,
        outcome=ReorderOutcome(row.outcome),
        purchase_order_id=row.purchase_order_id,
        reason=row.reason,
        decided_at=row.decided_at,
    )


class SqlReorderDecisionRepository(_SqlRepository):
    async def get(self, event_id: UUID) -> ReorderDecision | None:
        statement = select(reorder_decisions).where(reorder_decisions.c.event_id == event_id)
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _decision_from(row)

    async def add(self, decision: ReorderDecision) -> None:
        statement = (
            self._insert(reorder_decisions)
            .values(
                event_id=decision.event_id,
                product_id=decision.product_id,
                location_id=decision.location_id,
                outcome=decision.outcome.value,
                purchase_order_id=decision.purchase_order_id,
                reason=decision.reason,
                decided_at=decision.decided_at,
            )
            .on_conflict_do_nothing(index_elements=[reorder_decisions.c.event_id])
        )
        await self.connection.execute(statement)

    async def latest_for(
        self, keys: Sequence[tuple[UUID, UUID]]
    ) -> dict[tuple[UUID, UUID], ReorderDecision]:
        if not keys:
            return {}
        c = reorder_decisions.c
        wanted = or_(*(and_(c.product_id == p, c.location_id == loc) for p, loc in set(keys)))
        statement = select(reorder_decisions).where(wanted).order_by(c.decided_at, c.event_id)
        latest: dict[tuple[UUID, UUID], ReorderDecision] = {}
        for row in await self.connection.execute(statement):
            latest[(row.product_id, row.location_id)] = _decision_from(row)
        return latest


__all__ = [
    "SqlProductCatalogue",
    "SqlPurchaseOrderRepository",
    "SqlReorderDecisionRepository",
    "SqlStockEventJournal",
    "SqlStockStatusRepository",
    "SqlSupplyCatalogue",
    "SqlVendorRepository",
]
