"""SQL repositories of the inventory's catalogue and receiving: categories, stock locations
and incoming purchase orders. They run on the unit of work's connection."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Row, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from adapters.sql.errors import violates
from adapters.sql.inventory.repositories import ConnectionGetter, _SqlRepository
from adapters.sql.inventory.tables import (
    CATEGORIES_SIBLING_NAME_UNIQUE,
    categories,
    incoming_orders,
    locations,
)
from petpro_core.inventory.domain.categories import Category
from petpro_core.inventory.domain.errors import CategoryNameTaken
from petpro_core.inventory.domain.incoming import IncomingOrder
from petpro_core.inventory.domain.locations import Location
from petpro_core.inventory.ports import StaleCategory

__all__ = [
    "ConnectionGetter",
    "SqlCategoryRepository",
    "SqlIncomingOrderRepository",
    "SqlLocationRepository",
]

_SIBLING_MARKERS = (CATEGORIES_SIBLING_NAME_UNIQUE, "categories.sibling_key")


def _category_values(category: Category) -> dict[str, Any]:
    return {
        "category_id": category.category_id,
        "name": category.name,
        "parent_id": category.parent_id,
        "sibling_key": category.sibling_key,
        "created_at": category.created_at,
        "updated_at": category.updated_at,
        "version": category.version,
    }


def _category_from(row: Row[Any]) -> Category:
    return Category(
        category_id=row.category_id,
        name=row.name,
        parent_id=row.parent_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


class SqlCategoryRepository(_SqlRepository):
    async def _guarded(self, statement: Any) -> Any:
        try:
            async with self.connection.begin_nested():
                return await self.connection.execute(statement)
        except IntegrityError as exc:
            if violates(exc, *_SIBLING_MARKERS):
                raise CategoryNameTaken(
                    "a category with this name exists under the same parent"
                ) from None
            raise

    async def add(self, category: Category) -> None:
        await self._guarded(insert(categories).values(_category_values(category)))

    async def get(self, category_id: UUID) -> Category | None:
        statement = select(categories).where(categories.c.category_id == category_id)
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _category_from(row)

    async def save(self, category: Category) -> None:
        values = _category_values(category)
        del values["category_id"], values["created_at"]
        result = await self._guarded(
            update(categories)
            .where(
                categories.c.category_id == category.category_id,
                categories.c.version == category.version - 1,
            )
            .values(values)
        )
        if result.rowcount != 1:
            raise StaleCategory(str(category.category_id))

    async def list_all(self) -> list[Category]:
        rows = await self.connection.execute(select(categories))
        found = [_category_from(row) for row in rows]
        return sorted(found, key=lambda c: (c.name.casefold(), c.category_id))


def _location_values(location: Location) -> dict[str, Any]:
    return {
        "location_id": location.location_id,
        "kind": location.kind.value,
        "name": location.name,
        "staff": sorted(str(user_id) for user_id in location.staff),
        "version": location.version,
        "updated_at": location.updated_at,
    }


def _location_from(row: Row[Any]) -> Location:
    return Location(
        location_id=row.location_id,
        kind=row.kind,
        name=row.name,
        staff=frozenset(UUID(user_id) for user_id in row.staff),
        version=row.version,
        updated_at=row.updated_at,
    )


class SqlLocationRepository(_SqlRepository):
    async def get(self, location_id: UUID) -> Location | None:
        statement = select(locations).where(locations.c.location_id == location_id)
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _location_from(row)

    async def list_all(self) -> list[Location]:
        statement = select(locations).order_by(locations.c.name, locations.c.location_id)
        return [_location_from(row) for row in await self.connection.execute(statement)]

    async def add(self, location: Location) -> None:
        await self.connection.execute(insert(locations).values(_location_values(location)))

    async def put_clinic(self, location: Location) -> bool:
        connection = self.connection
        insert_ = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        values = _location_values(location)
        statement = insert_(locations).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[locations.c.location_id],
            set_={k: v for k, v in values.items() if k != "location_id"},
            where=locations.c.version < statement.excluded.version,
        )
        result = await connection.execute(statement)
        return bool(result.rowcount)


def _incoming_values(order: IncomingOrder) -> dict[str, Any]:
    return {
        "purchase_order_id": order.purchase_order_id,
        "product_id": order.product_id,
        "location_id": order.location_id,
        "quantity_ordered": order.quantity_ordered,
        "quantity_received": order.quantity_received,
        "open": order.open,
        "version": order.version,
        "expected_on": order.expected_on,
        "updated_at": order.updated_at,
    }


def _incoming_from(row: Row[Any]) -> IncomingOrder:
    return IncomingOrder(
        purchase_order_id=row.purchase_order_id,
        product_id=row.product_id,
        location_id=row.location_id,
        quantity_ordered=row.quantity_ordered,
        quantity_received=row.quantity_received,
        open=row.open,
        version=row.version,
        expected_on=row.expected_on,
        updated_at=row.updated_at,
    )


class SqlIncomingOrderRepository(_SqlRepository):
    async def get(self, purchase_order_id: UUID) -> IncomingOrder | None:
        statement = select(incoming_orders).where(
            incoming_orders.c.purchase_order_id == purchase_order_id
        )
        if self.connection.dialect.name == "postgresql":
            statement = statement.with_for_update()  # SQLite's writers are serialised
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _incoming_from(row)

    async def add(self, order: IncomingOrder) -> bool:
        connection = self.connection
        insert_ = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        result = await connection.execute(
            insert_(incoming_orders)
            .values(_incoming_values(order))
            .on_conflict_do_nothing(index_elements=[incoming_orders.c.purchase_order_id])
        )
        return bool(result.rowcount)

    async def save(self, order: IncomingOrder) -> None:
        values = _incoming_values(order)
        del values["purchase_order_id"]
        result = await self.connection.execute(
            update(incoming_orders)
            .where(incoming_orders.c.purchase_order_id == order.purchase_order_id)
            .values(values)
        )
        if result.rowcount != 1:
            raise ValueError(f"no incoming order {order.purchase_order_id}")

    async def open_for(self, product_id: UUID, location_id: UUID) -> list[IncomingOrder]:
        c = incoming_orders.c
        statement = select(incoming_orders).where(
            c.product_id == product_id, c.location_id == location_id, c.open.is_(True)
        )
        found = [_incoming_from(row) for row in await self.connection.execute(statement)]
        return sorted(found, key=lambda o: (o.expected_on is None, o.expected_on, o.updated_at))
