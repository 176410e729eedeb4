"""SQL repository of bookings, on the unit of work's connection.

No double booking, per dialect:

- PostgreSQL: the exclusion constraint `ex_bookings_vet_overlap` answers (also under any
  concurrency); its violation becomes `SlotTaken`. The insert or update runs without a
  SAVEPOINT (two round trips fewer on the hot path), so a `SlotTaken` leaves the
  transaction aborted: the caller must roll the unit of work back (the handlers do), and
  `SqlBookingUnitOfWork.commit` refuses until it has.
- SQLite: every write transaction begins IMMEDIATE, so writers are serialised and a check
  for an overlapping active booking in the same transaction, before the write, holds. The
  transaction stays usable after `SlotTaken`.

Adding a booking whose id exists is refused with `SlotTaken` too (as the memory store does).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    Uuid,
    and_,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnClause

from adapters.sql.booking.repositories import ConnectionGetter
from adapters.sql.booking.tables import ACTIVE_STATUS_SQL, BOOKINGS_NO_OVERLAP, bookings
from adapters.sql.errors import DEADLOCK_DETECTED, sqlstate, violates
from adapters.sql.statements import Statement
from petpro_core.booking.availability_memo import busy_fingerprint_of
from petpro_core.booking.domain.bookings import Booking, BookingStatus, ProductLine
from petpro_core.booking.ports import BusyInterval, SlotTaken, StaleBooking
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import Page, PageRequest

_SLOT_TAKEN = "another active booking of this vet overlaps the slot"
_KEY_MARKERS = ("pk_bookings", "bookings.booking_id")
# Literal SQL, so PostgreSQL's planner matches the partial index `ix_bookings_vet_active`.
_ACTIVE: ColumnClause[Any] = literal_column(ACTIVE_STATUS_SQL)

_INSERT = Statement(insert(bookings))
_TIMESTAMP = bookings.c.blocked_from.type
_UPDATE = Statement(
    update(bookings).where(
        bookings.c.booking_id == bindparam("_booking_id"),
        bookings.c.version == bindparam("_stored_version"),
    )
)
_GET = Statement(select(bookings).where(bookings.c.booking_id == bindparam("booking_id")))
# SQLite: is an active booking of this vet, other than this one, overlapping [from, until)?
_OVERLAP: Select[Any] = (
    select(literal_column("1"))
    .select_from(bookings)
    .where(
        bookings.c.vet_id == bindparam("vet_id"),
        _ACTIVE,
        bookings.c.blocked_from < bindparam("until", type_=_TIMESTAMP),
        bookings.c.blocked_until > bindparam("from", type_=_TIMESTAMP),
        bookings.c.booking_id != bindparam("booking_id"),
    )
    .limit(1)
)
# Active bookings of these vets whose blocked interval overlaps [start, end). The vets are
# one array parameter on PostgreSQL (one statement whatever their number, run on asyncpg
# directly), an expanding IN on SQLite.
_VETS: dict[str, ColumnElement[bool]] = {
    "postgresql": bookings.c.vet_id == any_(bindparam("vet_ids", type_=ARRAY(Uuid()))),
    "sqlite": bookings.c.vet_id.in_(bindparam("vet_ids", expanding=True)),
}


def busy_where(vets: ColumnElement[bool]) -> ColumnElement[bool]:
    """Active bookings of `vets` whose blocked interval overlaps [:start, :end)."""
    return and_(
        vets,
        _ACTIVE,
        bookings.c.blocked_from < bindparam("end", type_=_TIMESTAMP),
        bookings.c.blocked_until > bindparam("start", type_=_TIMESTAMP),
    )


def busy_fingerprint_on_postgresql(vets: ColumnElement[bool]) -> Select[Any]:
    """PostgreSQL sums a 64-bit hash of each blocking booking's id, seeded with its version,
    in the database, so a search that finds its answer kept sends no rows
    (`uuid_hash_extended` hashes the id as it is stored: half the cost of hashing its text).
    Columns `busy_count` and `busy_total` (see `fingerprint_text`)."""
    return select(
        func.count().label("busy_count"),
        func.coalesce(
            func.sum(func.uuid_hash_extended(bookings.c.booking_id, bookings.c.version)), 0
        ).label("busy_total"),
    ).where(busy_where(vets))


def fingerprint_text(count: int, total: int) -> str:
    return f"{count}:{total}"


# The blocked intervals of the vets' active bookings overlapping [start, end).
_BUSY = {
    dialect: Statement(
        select(bookings.c.vet_id, bookings.c.blocked_from, bookings.c.blocked_until)
        .where(busy_where(_VETS[dialect]))
        .order_by(bookings.c.blocked_from, bookings.c.vet_id)
    )
    for dialect in _VETS
}
_BUSY_FINGERPRINT_PG = Statement(busy_fingerprint_on_postgresql(_VETS["postgresql"]))
_BUSY_PAIRS: Select[Any] = select(bookings.c.booking_id, bookings.c.version).where(
    busy_where(_VETS["sqlite"])
)


def _values(booking: Booking) -> dict[str, Any]:
    refund = booking.refund
    return {
        "booking_id": booking.booking_id,
        "owner_id": booking.owner_id,
        "pet_id": booking.pet_id,
        "clinic_id": booking.clinic_id,
        "service_id": booking.service_id,
        "vet_id": booking.vet_id,
        "starts_at": booking.starts_at,
        "ends_at": booking.ends_at,
        "blocked_from": booking.blocked_from,
        "blocked_until": booking.blocked_until,
        "price_amount": booking.price.amount,
        "price_currency": booking.price.currency,
        "products": [
            {"product_id": str(line.product_id), "quantity": line.quantity}
            for line in booking.products
        ],
        "status": booking.status.value,
        "created_at": booking.created_at,
        "updated_at": booking.updated_at,
        "version": booking.version,
        "failure_reason": booking.failure_reason,
        "cancelled_by": booking.cancelled_by,
        "cancelled_by_user_id": booking.cancelled_by_user_id,
        "cancellation_reason": booking.cancellation_reason,
        "refund_amount": None if refund is None else refund.amount,
        "refund_currency": None if refund is None else refund.currency,
    }


def booking_from(row: Any) -> Booking:
    refund = None if row.refund_amount is None else Money(row.refund_amount, row.refund_currency)
    return Booking(
        booking_id=row.booking_id,
        owner_id=row.owner_id,
        pet_id=row.pet_id,
        clinic_id=row.clinic_id,
        service_id=row.service_id,
        vet_id=row.vet_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        blocked_from=row.blocked_from,
        blocked_until=row.blocked_until,
        price=Money(row.price_amount, row.price_currency),
        products=tuple(
            ProductLine(product_id=UUID(line["product_id"]), quantity=line["quantity"])
            for line in row.products
        ),
        status=BookingStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        failure_reason=row.failure_reason,
        cancelled_by=row.cancelled_by,
        cancelled_by_user_id=row.cancelled_by_user_id,
        cancellation_reason=row.cancellation_reason,
        refund=refund,
    )


class SqlBookingRepository:
    def __init__(self, connection: ConnectionGetter) -> None:
        self._connection = connection
        # Set when PostgreSQL refused a write with the exclusion constraint: the transaction
        # is aborted and only a rollback helps (the unit of work checks this before commit).
        self.aborted = False

    async def get(self, booking_id: UUID) -> Booking | None:
        row = (await _GET.execute(self._connection(), {"booking_id": booking_id})).first()
        return None if row is None else booking_from(row)

    async def add(self, booking: Booking) -> None:
        connection = self._connection()
        on_postgresql = connection.dialect.name == "postgresql"
        if not on_postgresql and booking.is_active:
            await self._refuse_overlap(booking)
        try:
            await _INSERT.execute(connection, _values(booking))
        except DBAPIError as exc:
            self._raise_if_slot_taken(exc, on_postgresql)
            raise

    async def save(self, booking: Booking) -> None:
        connection = self._connection()
        on_postgresql = connection.dialect.name == "postgresql"
        if not on_postgresql and booking.is_active:
            await self._refuse_overlap(booking)
        values = _values(booking)
        values["_booking_id"] = values.pop("booking_id")
        values["_stored_version"] = booking.version - 1
        try:
            result = await _UPDATE.execute(connection, values)
        except DBAPIError as exc:
            self._raise_if_slot_taken(exc, on_postgresql)
            raise
        if result.rowcount != 1:
            raise StaleBooking(
                f"booking {booking.booking_id} is not at version {booking.version - 1}"
            )

    async def _refuse_overlap(self, booking: Booking) -> None:
        overlapping = await self._connection().execute(
            _OVERLAP,
            {
                "vet_id": booking.vet_id,
                "from": booking.blocked_from,
                "until": booking.blocked_until,
                "booking_id": booking.booking_id,
            },
        )
        if overlapping.first() is not None:
            raise SlotTaken(_SLOT_TAKEN)

    def _raise_if_slot_taken(self, error: DBAPIError, on_postgresql: bool) -> None:
        if on_postgresql and sqlstate(error) == DEADLOCK_DETECTED:
            # Two transactions inserting overlapping bookings at once each wait for the
            # other's entry in the exclusion index; PostgreSQL aborts one of them: it lost
            # the slot to the other, as with a violation.
            self.aborted = True
            raise SlotTaken(_SLOT_TAKEN) from None
        if not isinstance(error, IntegrityError):
            return
        if on_postgresql and violates(error, BOOKINGS_NO_OVERLAP):
            self.aborted = True
            raise SlotTaken(_SLOT_TAKEN) from None
        if violates(error, *_KEY_MARKERS):  # the id is taken (as the memory store says)
            self.aborted = on_postgresql
            raise SlotTaken("a booking with this id exists") from None

    async def busy(
        self, vet_ids: Sequence[UUID], start: datetime, end: datetime
    ) -> list[BusyInterval]:
        if not vet_ids:
            return []
        connection = self._connection()
        rows = await _BUSY[connection.dialect.name].execute(
            connection, {"vet_ids": list(vet_ids), "start": start, "end": end}
        )
        return [
            BusyInterval(
                vet_id=row.vet_id, blocked_from=row.blocked_from, blocked_until=row.blocked_until
            )
            for row in rows
        ]

    async def busy_fingerprint(
        self, vet_ids: Sequence[UUID], start: datetime, end: datetime
    ) -> str:
        return await busy_fingerprint(self._connection(), vet_ids, start, end)

    async def list_for_owner(
        self, owner_id: UUID, page: PageRequest, status: BookingStatus | None = None
    ) -> Page[Booking]:
        conditions = [bookings.c.owner_id == owner_id]
        if status is not None:
            conditions.append(bookings.c.status == status.value)
        order = (bookings.c.starts_at, bookings.c.booking_id)
        return await self._page(conditions, order, page)

    async def list_for_clinic(
        self, clinic_id: UUID, start: datetime, end: datetime, page: PageRequest
    ) -> Page[Booking]:
        conditions = [
            bookings.c.clinic_id == clinic_id,
            bookings.c.starts_at >= start,
            bookings.c.starts_at < end,
        ]
        order = (bookings.c.starts_at, bookings.c.vet_id, bookings.c.booking_id)
        return await self._page(conditions, order, page)

    async def _page(
        self, conditions: list[Any], order: tuple[Any, ...], page: PageRequest
    ) -> Page[Booking]:
        """One statement: the page's rows, each carrying the total (a window count); a
        second only when the page is past the end and so carries no total."""
        connection = self._connection()
        statement: Select[Any] = (
            select(bookings, func.count().over().label("total_count"))
            .where(*conditions)
            .order_by(*order)
            .limit(page.limit)
            .offset(page.offset)
        )
        rows = (await connection.execute(statement)).all()
        if rows:
            total = int(rows[0].total_count)
        elif page.offset == 0:
            total = 0
        else:
            count = select(func.count()).select_from(bookings).where(*conditions)
            total = int((await connection.execute(count)).scalar_one())
        return Page(
            items=[booking_from(row) for row in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )


async def busy_fingerprint(
    connection: AsyncConnection, vet_ids: Sequence[UUID], start: datetime, end: datetime
) -> str:
    """`BookingRepository.busy_fingerprint` on `connection`. SQLite (local, no such hash
    function) sends the pairs and they are hashed here."""
    parameters = {"vet_ids": list(vet_ids), "start": start, "end": end}
    if connection.dialect.name == "postgresql":
        row = (await _BUSY_FINGERPRINT_PG.execute(connection, parameters)).one()
        return fingerprint_text(row.busy_count, row.busy_total)
    rows = (await connection.execute(_BUSY_PAIRS, parameters)).all()
    return busy_fingerprint_of((row.booking_id, row.version) for row in rows)
