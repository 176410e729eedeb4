"""The SQL repository of the shop's customer orders, on the inventory unit of work's
connection. `save` is a conditional update on the version: on PostgreSQL a concurrent
transaction that updated the row first makes it wait, then match nothing (StaleCustomerOrder)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.errors import violates
from adapters.sql.inventory.customer_order_tables import customer_order_lines, customer_orders
from petpro_core.inventory.domain.customer_orders import (
    CustomerOrder,
    CustomerOrderStatus,
    OrderLine,
    PaymentState,
)
from petpro_core.inventory.ports import DuplicateCustomerOrder, StaleCustomerOrder
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import Page, PageRequest

ConnectionGetter = Callable[[], AsyncConnection]

# The reservation id is derived from the order id: taken, it is the same order again.
_ID_MARKERS = (
    "pk_customer_orders",
    "customer_orders.customer_order_id",
    "uq_customer_orders_reservation_id",
    "customer_orders.reservation_id",
)
_UNSETTLED = (PaymentState.CHARGING.value, PaymentState.REFUNDING.value)


def _values(order: CustomerOrder) -> dict[str, Any]:
    return {
        "customer_order_id": order.customer_order_id,
        "customer_id": order.customer_id,
        "location_id": order.location_id,
        "status": order.status.value,
        "payment": order.payment.value,
        "total_amount": order.total.amount,
        "currency": order.total.currency,
        "reservation_id": order.reservation_id,
        "pick_up_by": order.pick_up_by,
        "payment_deadline": order.payment_deadline,
        "payment_token": order.payment_token,
        "charge_reference": order.charge_reference,
        "refund_amount": None if order.refund is None else order.refund.amount,
        "refund_reference": order.refund_reference,
        "failure_kind": None if order.failure_kind is None else order.failure_kind.value,
        "failure_reason": order.failure_reason,
        "cancelled_by": None if order.cancelled_by is None else order.cancelled_by.value,
        "cancel_reason": order.cancel_reason,
        "payment_attempts": order.payment_attempts,
        "next_attempt_at": order.next_attempt_at,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "version": order.version,
    }


def _order_from(row: Row[Any], lines: tuple[OrderLine, ...]) -> CustomerOrder:
    currency = row.currency
    return CustomerOrder(
        customer_order_id=row.customer_order_id,
        customer_id=row.customer_id,
        location_id=row.location_id,
        lines=lines,
        total=Money(row.total_amount, currency),
        status=row.status,
        payment=row.payment,
        reservation_id=row.reservation_id,
        pick_up_by=row.pick_up_by,
        payment_deadline=row.payment_deadline,
        payment_token=row.payment_token,
        charge_reference=row.charge_reference,
        refund=None if row.refund_amount is None else Money(row.refund_amount, currency),
        refund_reference=row.refund_reference,
        failure_kind=row.failure_kind,
        failure_reason=row.failure_reason,
        cancelled_by=row.cancelled_by,
        cancel_reason=row.cancel_reason,
        payment_attempts=row.payment_attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


class SqlCustomerOrderRepository:
    def __init__(self, connection: ConnectionGetter) -> None:
        self._connection = connection

    @property
    def connection(self) -> AsyncConnection:
        return self._connection()

    async def _with_lines(self, rows: list[Row[Any]]) -> list[CustomerOrder]:
        if not rows:
            return []
        currency = {row.customer_order_id: row.currency for row in rows}
        statement = (
            select(customer_order_lines)
            .where(customer_order_lines.c.customer_order_id.in_(list(currency)))
            .order_by(customer_order_lines.c.customer_order_id, customer_order_lines.c.product_id)
        )
        lines: dict[UUID, list[OrderLine]] = {order_id: [] for order_id in currency}
        for line in await self.connection.execute(statement):
            lines[line.customer_order_id].append(
                OrderLine(
                    product_id=line.product_id,
                    sku=line.sku,
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=Money(line.unit_price_amount, currency[line.customer_order_id]),
                )
            )
        return [_order_from(row, tuple(lines[row.customer_order_id])) for row in rows]

    async def get(self, customer_order_id: UUID) -> CustomerOrder | None:
        statement = select(customer_orders).where(
            customer_orders.c.customer_order_id == customer_order_id
        )
        row = (await self.connection.execute(statement)).first()
        if row is None:
            return None
        [order] = await self._with_lines([row])
        return order

    async def add(self, order: CustomerOrder) -> None:
        connection = self.connection
        try:
            async with connection.begin_nested():
                await connection.execute(insert(customer_orders).values(_values(order)))
        except IntegrityError as exc:
            if violates(exc, *_ID_MARKERS):
                raise DuplicateCustomerOrder(str(order.customer_order_id)) from None
            raise
        await connection.execute(
            insert(customer_order_lines),
            [
                {
                    "customer_order_id": order.customer_order_id,
                    "product_id": line.product_id,
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price_amount": line.unit_price.amount,
                }
                for line in order.lines
            ],
        )

    async def save(self, order: CustomerOrder) -> None:
        values = _values(order)
        for fixed in ("customer_order_id", "customer_id", "location_id", "created_at"):
            del values[fixed]
        statement = (
            update(customer_orders)
            .where(
                customer_orders.c.customer_order_id == order.customer_order_id,
                customer_orders.c.version == order.version - 1,
            )
            .values(values)
        )
        result = await self.connection.execute(statement)
        if result.rowcount != 1:
            raise StaleCustomerOrder(str(order.customer_order_id))

    async def _page(
        self, condition: Any, page: PageRequest, status: CustomerOrderStatus | None
    ) -> Page[CustomerOrder]:
        conditions = [condition]
        if status is not None:
            conditions.append(customer_orders.c.status == status.value)
        total = (
            await self.connection.execute(
                select(func.count()).select_from(customer_orders).where(*conditions)
            )
        ).scalar_one()
        statement = (
            select(customer_orders)
            .where(*conditions)
            .order_by(
                customer_orders.c.created_at.desc(), customer_orders.c.customer_order_id.desc()
            )
            .limit(page.limit)
            .offset(page.offset)
        )
        rows = list((await self.connection.execute(statement)).all())
        return Page(
            items=await self._with_lines(rows),
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    async def list_for_customer(
        self, customer_id: UUID, page: PageRequest, status: CustomerOrderStatus | None = None
    ) -> Page[CustomerOrder]:
        return await self._page(customer_orders.c.customer_id == customer_id, page, status)

    async def list_at(
        self, location_id: UUID, page: PageRequest, status: CustomerOrderStatus | None = None
    ) -> Page[CustomerOrder]:
        return await self._page(customer_orders.c.location_id == location_id, page, status)

    async def payment_due(self, now: datetime, limit: int) -> list[UUID]:
        c = customer_orders.c
        statement = (
            select(c.customer_order_id)
            .where(
                c.payment.in_(_UNSETTLED),
                or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now),
            )
            .order_by(c.created_at, c.customer_order_id)
            .limit(limit)
        )
        return list((await self.connection.execute(statement)).scalars())

    async def uncollected(self, now: datetime, limit: int) -> list[UUID]:
        c = customer_orders.c
        statement = (
            select(c.customer_order_id)
            .where(c.status == CustomerOrderStatus.PLACED.value, c.pick_up_by <= now)
            .order_by(c.pick_up_by, c.customer_order_id)
            .limit(limit)
        )
        return list((await self.connection.execute(statement)).scalars())
