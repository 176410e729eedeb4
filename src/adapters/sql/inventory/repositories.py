"""SQL repositories of the inventory context. They run on the unit of work's connection.

Stock changes are conditional updates: `UPDATE … SET reserved = reserved + :q WHERE … AND
on_hand >= reserved + :q`, so the rule is checked against the row as it is when the update
runs. On PostgreSQL a concurrent transaction that changed the row first makes the update
wait for it and re-check its WHERE against the committed numbers (READ COMMITTED), so
parallel reservations never oversell; SQLite's writers are serialised (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, String, and_, cast, func, insert, not_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.errors import violates
from adapters.sql.inventory.tables import (
    PRODUCTS_SKU_UNIQUE,
    products,
    reservation_lines,
    reservations,
    stock_items,
    stock_movements,
)
from petpro_core.contracts.inventory import ReservationLine
from petpro_core.inventory.domain.errors import SkuAlreadyUsed, StaleProduct
from petpro_core.inventory.domain.products import Product, ProductFilter
from petpro_core.inventory.domain.reservations import Reservation, ReservationStatus
from petpro_core.inventory.domain.stock import (
    ReorderPolicy,
    StockChange,
    StockItem,
    StockMovement,
)
from petpro_core.inventory.ports import DuplicateReservation, StaleReservation
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import Page, PageRequest

ConnectionGetter = Callable[[], AsyncConnection]

_SKU_MARKERS = (PRODUCTS_SKU_UNIQUE, "products.sku")
_RESERVATION_ID_MARKERS = ("pk_reservations", "reservations.reservation_id")


class _SqlRepository:
    def __init__(self, connection: ConnectionGetter) -> None:
        self._connection = connection

    @property
    def connection(self) -> AsyncConnection:
        return self._connection()


# --- products --------------------------------------------------------------------------------


def _product_values(product: Product) -> dict[str, Any]:
    return {
        "product_id": product.product_id,
        "sku": product.sku,
        "name": product.name,
        "unit": product.unit,
        "price_amount": product.price.amount,
        "price_currency": product.price.currency,
        "category_id": product.category_id,
        "species": list(product.species),
        "active": product.active,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
        "version": product.version,
    }


def _product_from(row: Row[Any]) -> Product:
    return Product(
        product_id=row.product_id,
        sku=row.sku,
        name=row.name,
        unit=row.unit,
        price=Money(row.price_amount, row.price_currency),
        category_id=row.category_id,
        species=tuple(row.species),
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


class SqlProductRepository(_SqlRepository):
    async def add(self, product: Product) -> None:
        try:
            async with self.connection.begin_nested():
                await self.connection.execute(insert(products).values(_product_values(product)))
        except IntegrityError as exc:
            if violates(exc, *_SKU_MARKERS):
                raise SkuAlreadyUsed("this SKU is already used by another product") from None
            raise

    async def get(self, product_id: UUID) -> Product | None:
        statement = select(products).where(products.c.product_id == product_id)
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _product_from(row)

    async def get_by_sku(self, sku: str) -> Product | None:
        row = (await self.connection.execute(select(products).where(products.c.sku == sku))).first()
        return None if row is None else _product_from(row)

    async def get_many(self, product_ids: Sequence[UUID]) -> dict[UUID, Product]:
        if not product_ids:
            return {}
        statement = select(products).where(products.c.product_id.in_(list(set(product_ids))))
        rows = (await self.connection.execute(statement)).all()
        return {row.product_id: _product_from(row) for row in rows}

    async def save(self, product: Product) -> None:
        values = _product_values(product)
        del values["product_id"], values["sku"], values["created_at"]
        statement = (
            update(products)
            .where(
                products.c.product_id == product.product_id,
                products.c.version == product.version - 1,
            )
            .values(values)
        )
        if (await self.connection.execute(statement)).rowcount != 1:
            raise StaleProduct("the product was changed meanwhile")

    async def find(self, where: ProductFilter, page: PageRequest) -> Page[Product]:
        c = products.c
        conditions: list[Any] = []
        if where.category_ids is not None:
            conditions.append(c.category_id.in_(sorted(where.category_ids)))
        if where.species is not None:
            # Species are a sorted JSON array of names; an empty one means any species.
            species_text = cast(c.species, String())
            conditions.append(
                or_(
                    species_text == "[]",
                    species_text.contains(json.dumps(where.species), autoescape=True),
                )
            )
        if where.active is not None:
            conditions.append(c.active.is_(where.active))
        if where.text is not None:
            needle = where.text.lower()
            conditions.append(
                or_(
                    func.lower(c.name).contains(needle, autoescape=True),
                    func.lower(c.sku).contains(needle, autoescape=True),
                )
            )
        condition = and_(True, *conditions)
        total = (
            await self.connection.execute(
                select(func.count()).select_from(products).where(condition)
            )
        ).scalar_one()
        statement = (
            select(products).where(condition).order_by(c.sku).limit(page.limit).offset(page.offset)
        )
        items = [_product_from(row) for row in await self.connection.execute(statement)]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)


# --- stock and its ledger ----------------------------------------------------------------------


def _stock_item_from(row: Row[Any]) -> StockItem:
    policy = (
        None
        if row.threshold is None
        else ReorderPolicy(
            threshold=row.threshold,
            reorder_quantity=row.reorder_quantity,
            needed_within_days=row.needed_within_days,
        )
    )
    return StockItem(
        stock_item_id=row.stock_item_id,
        product_id=row.product_id,
        location_id=row.location_id,
        on_hand=row.on_hand,
        reserved=row.reserved,
        version=row.version,
        updated_at=row.updated_at,
        policy=policy,
        on_order=row.on_order,
        low_reported=row.low_reported,
    )


def _is_low() -> Any:
    """The low-stock condition on the stored numbers (StockItem.is_low in SQL)."""
    c = stock_items.c
    return and_(c.threshold.is_not(None), c.on_hand - c.reserved + c.on_order <= c.threshold)


def _movement_values(movement: StockMovement) -> dict[str, Any]:
    return {
        "movement_id": movement.movement_id,
        "stock_item_id": movement.stock_item_id,
        "product_id": movement.product_id,
        "location_id": movement.location_id,
        "kind": movement.kind.value,
        "on_hand_delta": movement.on_hand_delta,
        "reserved_delta": movement.reserved_delta,
        "reason": movement.reason,
        "reference": movement.reference,
        "reservation_id": movement.reservation_id,
        "stock_version": movement.stock_version,
        "occurred_at": movement.occurred_at,
    }


def _movement_from(row: Row[Any]) -> StockMovement:
    return StockMovement(
        movement_id=row.movement_id,
        stock_item_id=row.stock_item_id,
        product_id=row.product_id,
        location_id=row.location_id,
        kind=row.kind,
        on_hand_delta=row.on_hand_delta,
        reserved_delta=row.reserved_delta,
        reason=row.reason,
        reference=row.reference,
        reservation_id=row.reservation_id,
        stock_version=row.stock_version,
        occurred_at=row.occurred_at,
    )


class SqlStockRepository(_SqlRepository):
    async def get(self, product_id: UUID, location_id: UUID) -> StockItem | None:
        statement = select(stock_items).where(
            stock_items.c.product_id == product_id, stock_items.c.location_id == location_id
        )
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _stock_item_from(row)

    async def ensure(self, item: StockItem) -> StockItem:
        values = {
            "stock_item_id": item.stock_item_id,
            "product_id": item.product_id,
            "location_id": item.location_id,
            "on_hand": 0,
            "reserved": 0,
            "version": 0,
            "updated_at": item.updated_at,
            "on_order": 0,
            "low_reported": False,
        }
        connection = self.connection
        insert_ = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        # A racing insert of the same product and location waits for the first, then does
        # nothing; the select below reads whichever row won.
        await connection.execute(
            insert_(stock_items)
            .values(values)
            .on_conflict_do_nothing(
                index_elements=[stock_items.c.product_id, stock_items.c.location_id]
            )
        )
        stored = await self.get(item.product_id, item.location_id)
        if stored is None:  # pragma: no cover - inserted or found just now
            raise RuntimeError("the stock item vanished")
        return stored

    async def list_at(self, location_id: UUID) -> list[StockItem]:
        statement = (
            select(stock_items)
            .where(stock_items.c.location_id == location_id)
            .order_by(stock_items.c.product_id)
        )
        return [_stock_item_from(row) for row in await self.connection.execute(statement)]

    async def apply(
        self, stock_item_id: UUID, change: StockChange, *, movement_id: UUID, at: datetime
    ) -> StockItem | None:
        on_hand_delta, reserved_delta = change.on_hand_delta, change.reserved_delta
        c = stock_items.c
        statement = (
            update(stock_items)
            .where(
                c.stock_item_id == stock_item_id,
                c.reserved + reserved_delta >= 0,
                c.on_hand + on_hand_delta >= c.reserved + reserved_delta,
            )
            .values(
                on_hand=c.on_hand + on_hand_delta,
                reserved=c.reserved + reserved_delta,
                version=c.version + 1,
                updated_at=at,
            )
            .returning(*stock_items.c)
        )
        row = (await self.connection.execute(statement)).first()
        if row is None:
            return None  # the change would break the rule: nothing changed
        after = _stock_item_from(row)
        movement = StockMovement.of(change, after, movement_id)
        await self.connection.execute(insert(stock_movements).values(_movement_values(movement)))
        return after

    async def movements(self, stock_item_id: UUID) -> list[StockMovement]:
        statement = (
            select(stock_movements)
            .where(stock_movements.c.stock_item_id == stock_item_id)
            .order_by(stock_movements.c.stock_version)
        )
        return [_movement_from(row) for row in await self.connection.execute(statement)]

    async def _update(
        self, stock_item_id: UUID, *conditions: Any, **values: Any
    ) -> StockItem | None:
        statement = (
            update(stock_items)
            .where(stock_items.c.stock_item_id == stock_item_id, *conditions)
            .values(**values)
            .returning(*stock_items.c)
        )
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _stock_item_from(row)

    async def set_policy(
        self, stock_item_id: UUID, policy: ReorderPolicy, *, at: datetime
    ) -> StockItem:
        after = await self._update(
            stock_item_id,
            threshold=policy.threshold,
            reorder_quantity=policy.reorder_quantity,
            needed_within_days=policy.needed_within_days,
            updated_at=at,
        )
        if after is None:
            raise ValueError(f"no stock item {stock_item_id}")
        return after

    async def add_on_order(self, stock_item_id: UUID, delta: int, *, at: datetime) -> StockItem:
        after = await self._update(
            stock_item_id, on_order=stock_items.c.on_order + delta, updated_at=at
        )
        if after is None:
            raise ValueError(f"no stock item {stock_item_id}")
        return after

    async def mark_low(self, stock_item_id: UUID) -> StockItem | None:
        # Only the transaction whose update flips the flag gets a row back: concurrent ones
        # wait for its row lock, then re-check `low_reported = false` and match nothing.
        return await self._update(
            stock_item_id, stock_items.c.low_reported.is_(False), _is_low(), low_reported=True
        )

    async def clear_low(self, stock_item_id: UUID) -> bool:
        cleared = await self._update(
            stock_item_id, stock_items.c.low_reported.is_(True), not_(_is_low()), low_reported=False
        )
        return cleared is not None


# --- reservations --------------------------------------------------------------------------


def _reservation_values(reservation: Reservation) -> dict[str, Any]:
    return {
        "reservation_id": reservation.reservation_id,
        "location_id": reservation.location_id,
        "reference": reservation.reference,
        "status": reservation.status.value,
        "expires_at": reservation.expires_at,
        "failure_reason": reservation.failure_reason,
        "release_reason": reservation.release_reason,
        "created_at": reservation.created_at,
        "updated_at": reservation.updated_at,
        "version": reservation.version,
    }


class SqlReservationRepository(_SqlRepository):
    async def get(self, reservation_id: UUID) -> Reservation | None:
        statement = select(reservations).where(reservations.c.reservation_id == reservation_id)
        row = (await self.connection.execute(statement)).first()
        if row is None:
            return None
        lines_statement = (
            select(reservation_lines.c.product_id, reservation_lines.c.quantity)
            .where(reservation_lines.c.reservation_id == reservation_id)
            .order_by(reservation_lines.c.product_id)
        )
        lines = tuple(
            ReservationLine(product_id=line.product_id, quantity=line.quantity)
            for line in await self.connection.execute(lines_statement)
        )
        return Reservation(
            reservation_id=row.reservation_id,
            location_id=row.location_id,
            reference=row.reference,
            lines=lines,
            status=ReservationStatus(row.status),
            expires_at=row.expires_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            failure_reason=row.failure_reason,
            release_reason=row.release_reason,
        )

    async def add(self, reservation: Reservation) -> None:
        connection = self.connection
        try:
            async with connection.begin_nested():
                await connection.execute(
                    insert(reservations).values(_reservation_values(reservation))
                )
        except IntegrityError as exc:
            if violates(exc, *_RESERVATION_ID_MARKERS):
                raise DuplicateReservation(str(reservation.reservation_id)) from None
            raise
        await connection.execute(
            insert(reservation_lines),
            [
                {
                    "reservation_id": reservation.reservation_id,
                    "product_id": line.product_id,
                    "quantity": line.quantity,
                }
                for line in reservation.lines
            ],
        )

    async def save(self, reservation: Reservation) -> None:
        values = _reservation_values(reservation)
        del values["reservation_id"]
        statement = (
            update(reservations)
            .where(
                reservations.c.reservation_id == reservation.reservation_id,
                reservations.c.version == reservation.version - 1,
            )
            .values(values)
        )
        result = await self.connection.execute(statement)
        if result.rowcount != 1:
            raise StaleReservation(str(reservation.reservation_id))

    async def due(self, now: datetime, limit: int) -> list[UUID]:
        statement = (
            select(reservations.c.reservation_id)
            .where(
                reservations.c.status == ReservationStatus.HELD.value,
                reservations.c.expires_at <= now,
            )
            .order_by(reservations.c.expires_at, reservations.c.reservation_id)
            .limit(limit)
        )
        return list((await self.connection.execute(statement)).scalars())
