"""SQL repository of the booking saga's state, on the unit of work's connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, bindparam, func, insert, literal_column, or_, select, update
from sqlalchemy.exc import IntegrityError

from adapters.sql.booking.repositories import ConnectionGetter
from adapters.sql.booking.tables import SAGA_UNFINISHED_SQL, booking_sagas, bookings
from adapters.sql.errors import violates
from adapters.sql.statements import Statement
from petpro_core.booking.domain.saga import BookingSaga, SagaPhase
from petpro_core.booking.ports import StaleBooking
from petpro_core.booking.views import PaymentRecord, payment_record_of
from petpro_core.shared.money import Money

_INSERT = Statement(insert(booking_sagas))
_UPDATE = Statement(
    update(booking_sagas).where(
        booking_sagas.c.booking_id == bindparam("_booking_id"),
        booking_sagas.c.version == bindparam("_stored_version"),
    )
)
_GET = Statement(select(booking_sagas).where(booking_sagas.c.booking_id == bindparam("booking_id")))
_TIMESTAMP = booking_sagas.c.next_attempt_at.type
_KEY_MARKERS = ("pk_booking_sagas", "booking_sagas.booking_id")


def _due(earliest: Any) -> Select[Any]:
    """Unfinished (literal SQL, so PostgreSQL's planner matches the partial index
    `ix_booking_sagas_unfinished`) and due: its next attempt or its expiry has come; the
    longest due first. `earliest` is the dialect's two-argument minimum."""
    return (
        select(booking_sagas.c.booking_id)
        .where(
            literal_column(SAGA_UNFINISHED_SQL),
            or_(
                booking_sagas.c.next_attempt_at <= bindparam("now", type_=_TIMESTAMP),
                booking_sagas.c.expires_at <= bindparam("now", type_=_TIMESTAMP),
            ),
        )
        .order_by(
            earliest(booking_sagas.c.next_attempt_at, booking_sagas.c.expires_at),
            booking_sagas.c.booking_id,
        )
        .limit(bindparam("limit"))
    )


_DUE = {"postgresql": _due(func.least), "sqlite": _due(func.min)}


def _money_values(prefix: str, money: Money | None) -> dict[str, Any]:
    return {
        f"{prefix}_amount": None if money is None else money.amount,
        f"{prefix}_currency": None if money is None else money.currency,
    }


def _money(amount: Any, currency: str | None) -> Money | None:
    return None if amount is None or currency is None else Money(amount, currency)


def _values(saga: BookingSaga) -> dict[str, Any]:
    return {
        "booking_id": saga.booking_id,
        "phase": saga.phase.value,
        "payment_token": saga.payment_token,
        "amount": saga.amount.amount,
        "currency": saga.amount.currency,
        "payment_id": saga.payment_id,
        "gateway_reference": saga.gateway_reference,
        "payment_method": saga.payment_method,
        "charged_at": saga.charged_at,
        "reservation_id": saga.reservation_id,
        **_money_values("refund_due", saga.refund_due),
        "release_due": saga.release_due,
        **_money_values("refunded", saga.refunded),
        "failure_reason": saga.failure_reason,
        "attempts": saga.attempts,
        "next_attempt_at": saga.next_attempt_at,
        "expires_at": saga.expires_at,
        "version": saga.version,
        "updated_at": saga.updated_at,
    }


def saga_from(row: Any) -> BookingSaga:
    return BookingSaga(
        booking_id=row.booking_id,
        phase=SagaPhase(row.phase),
        payment_token=row.payment_token,
        amount=Money(row.amount, row.currency),
        payment_id=row.payment_id,
        gateway_reference=row.gateway_reference,
        payment_method=row.payment_method,
        charged_at=row.charged_at,
        reservation_id=row.reservation_id,
        refund_due=_money(row.refund_due_amount, row.refund_due_currency),
        release_due=row.release_due,
        refunded=_money(row.refunded_amount, row.refunded_currency),
        failure_reason=row.failure_reason,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        expires_at=row.expires_at,
        version=row.version,
        updated_at=row.updated_at,
    )


class SqlBookingSagaRepository:
    """The orchestrator's optimistic lock: `save` updates only the version it read, so of
    two orchestrators advancing one saga the second gets StaleBooking (so does adding a
    saga that exists). `due` answers ids only (no row locks): whoever then saves first
    wins."""

    def __init__(self, connection: ConnectionGetter) -> None:
        self._connection = connection
        # Set when PostgreSQL refused an add (the transaction is aborted until rolled back).
        self.aborted = False

    async def get(self, booking_id: UUID) -> BookingSaga | None:
        row = (await _GET.execute(self._connection(), {"booking_id": booking_id})).first()
        return None if row is None else saga_from(row)

    async def add(self, saga: BookingSaga) -> None:
        connection = self._connection()
        try:
            await _INSERT.execute(connection, _values(saga))
        except IntegrityError as exc:
            if violates(exc, *_KEY_MARKERS):
                self.aborted = connection.dialect.name == "postgresql"
                raise StaleBooking(f"the saga of booking {saga.booking_id} exists") from None
            raise

    async def save(self, saga: BookingSaga) -> None:
        values = _values(saga)
        values["_booking_id"] = values.pop("booking_id")
        values["_stored_version"] = saga.version - 1
        result = await _UPDATE.execute(self._connection(), values)
        if result.rowcount != 1:
            raise StaleBooking(
                f"the saga of booking {saga.booking_id} is not at version {saga.version - 1}"
            )

    async def due(self, now: datetime, limit: int) -> list[UUID]:
        connection = self._connection()
        statement = _DUE[connection.dialect.name]
        result = await connection.execute(statement, {"now": now, "limit": limit})
        return list(result.scalars())

    async def payments(
        self, charged_from: datetime | None, charged_to: datetime | None
    ) -> list[PaymentRecord]:
        charged_at = func.coalesce(booking_sagas.c.charged_at, booking_sagas.c.updated_at)
        statement = (
            select(booking_sagas, bookings.c.clinic_id)
            .join(bookings, bookings.c.booking_id == booking_sagas.c.booking_id)
            .where(
                booking_sagas.c.gateway_reference.is_not(None),
                booking_sagas.c.payment_id.is_not(None),
            )
            .order_by(charged_at, booking_sagas.c.payment_id)
        )
        if charged_from is not None:
            statement = statement.where(charged_at >= bindparam("start", type_=_TIMESTAMP))
        if charged_to is not None:
            statement = statement.where(charged_at < bindparam("end", type_=_TIMESTAMP))
        rows = await self._connection().execute(
            statement, {"start": charged_from, "end": charged_to}
        )
        records = [payment_record_of(saga_from(row), row.clinic_id) for row in rows]
        return [record for record in records if record is not None]
