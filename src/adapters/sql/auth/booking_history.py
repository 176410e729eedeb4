"""The SQL booking history of the auth context (a projection of booking's events).

`apply` buffers; the unit of work flushes the buffer in one statement before commit, like
the booking context's pet cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, select, text
from sqlalchemy.dialects.sqlite import Insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.auth.tables import booking_history
from petpro_core.auth.domain.booking_history import BookingHistoryEntry
from petpro_core.shared.pagination import Page, PageRequest

ConnectionGetter = Callable[[], AsyncConnection]


def _row_values(entry: BookingHistoryEntry) -> dict[str, Any]:
    return {
        "booking_id": entry.booking_id,
        "owner_id": entry.owner_id,
        "pet_id": entry.pet_id,
        "clinic_id": entry.clinic_id,
        "starts_at": entry.starts_at,
        "ends_at": entry.ends_at,
        "status": entry.status.value,
        "reason": entry.reason,
        "version": entry.version,
    }


def _entry_from(row: Row[Any]) -> BookingHistoryEntry:
    return BookingHistoryEntry(
        booking_id=row.booking_id,
        owner_id=row.owner_id,
        pet_id=row.pet_id,
        clinic_id=row.clinic_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        status=row.status,
        reason=row.reason,
        version=row.version,
    )


# PostgreSQL: one fixed statement whatever the batch size (one array per column), compiled
# once; the WHERE keeps a stored entry that is as new or newer.
_UPSERT_FROM_ARRAYS = text(
    """
    INSERT INTO auth.booking_history AS stored
        (booking_id, owner_id, pet_id, clinic_id, starts_at, ends_at, status, reason, version)
    SELECT * FROM unnest(
        CAST(:booking_ids AS uuid[]), CAST(:owner_ids AS uuid[]), CAST(:pet_ids AS uuid[]),
        CAST(:clinic_ids AS uuid[]), CAST(:starts_at AS timestamptz[]),
        CAST(:ends_at AS timestamptz[]), CAST(:statuses AS varchar[]),
        CAST(:reasons AS text[]), CAST(:versions AS int[]))
    ON CONFLICT (booking_id) DO UPDATE SET
        owner_id = excluded.owner_id, pet_id = excluded.pet_id, clinic_id = excluded.clinic_id,
        starts_at = excluded.starts_at, ends_at = excluded.ends_at, status = excluded.status,
        reason = excluded.reason, version = excluded.version
    WHERE stored.version < excluded.version
    """
)


def _as_arrays(entries: list[BookingHistoryEntry]) -> dict[str, list[Any]]:
    return {
        "booking_ids": [e.booking_id for e in entries],
        "owner_ids": [e.owner_id for e in entries],
        "pet_ids": [e.pet_id for e in entries],
        "clinic_ids": [e.clinic_id for e in entries],
        "starts_at": [e.starts_at for e in entries],
        "ends_at": [e.ends_at for e in entries],
        "statuses": [e.status.value for e in entries],
        "reasons": [e.reason for e in entries],
        "versions": [e.version for e in entries],
    }


def _upsert_rows(entries: list[BookingHistoryEntry]) -> Insert:
    """SQLite: a multi-row VALUES upsert."""
    statement = sqlite_insert(booking_history).values([_row_values(e) for e in entries])
    return statement.on_conflict_do_update(
        index_elements=[booking_history.c.booking_id],
        set_={
            column.name: statement.excluded[column.name]
            for column in booking_history.columns
            if column.name != "booking_id"
        },
        where=booking_history.c.version < statement.excluded.version,
    )


class SqlBookingHistoryRepository:
    """The buffer holds the newest entry per booking, so the flush upserts each booking once
    (one statement may not touch a row twice on PostgreSQL)."""

    def __init__(self, connection: ConnectionGetter) -> None:
        self._connection = connection
        self._pending: dict[UUID, BookingHistoryEntry] = {}

    async def get(self, booking_id: UUID) -> BookingHistoryEntry | None:
        result = await self._connection().execute(
            select(booking_history).where(booking_history.c.booking_id == booking_id)
        )
        row = result.first()
        stored = None if row is None else _entry_from(row)
        pending = self._pending.get(booking_id)
        # What commit will leave: the buffered entry only if it beats the stored one.
        return pending if pending is not None and pending.supersedes(stored) else stored

    def apply(self, entry: BookingHistoryEntry) -> None:
        if entry.supersedes(self._pending.get(entry.booking_id)):
            self._pending[entry.booking_id] = entry

    async def list_for_owner(self, owner_id: UUID, page: PageRequest) -> Page[BookingHistoryEntry]:
        await self.flush()  # a unit of work reads its own writes
        connection = self._connection()
        of_owner = booking_history.c.owner_id == owner_id
        statement = (
            select(booking_history)
            .where(of_owner)
            .order_by(booking_history.c.starts_at.desc(), booking_history.c.booking_id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        rows = (await connection.execute(statement)).all()
        count = select(func.count()).select_from(booking_history).where(of_owner)
        total = (await connection.execute(count)).scalar_one()
        return Page(
            items=[_entry_from(row) for row in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    async def flush(self) -> None:
        if not self._pending:
            return
        connection = self._connection()
        entries = list(self._pending.values())
        if connection.dialect.name == "postgresql":
            await connection.execute(_UPSERT_FROM_ARRAYS, _as_arrays(entries))
        else:
            await connection.execute(_upsert_rows(entries))
        self._pending = {}

    def discard(self) -> None:
        self._pending = {}
