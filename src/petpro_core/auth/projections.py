"""Auth's projections of other contexts' events: each user's booking history, from booking's
`booking.*` events.

Handlers run inside the consumer's unit of work and never commit: the consumer commits a
whole batch together with its inbox rows. Every booking event carries the whole booking, so
an entry is built from the event alone; reordering is harmless because the history only
accepts a higher booking version (see `BookingHistoryEntry.supersedes`).
"""

from __future__ import annotations

from petpro_core.auth.domain.booking_history import BookingHistoryEntry, BookingHistoryStatus
from petpro_core.auth.ports import AuthUnitOfWork
from petpro_core.contracts.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingCreated,
    BookingFailed,
    BookingRescheduled,
    BookingSnapshot,
)

# What each event leaves the booking as. Only confirmed bookings are rescheduled: a
# rescheduled booking stays confirmed, with its new times.
STATUS_AFTER: dict[type[BookingSnapshot], BookingHistoryStatus] = {
    BookingCreated: BookingHistoryStatus.CREATED,
    BookingConfirmed: BookingHistoryStatus.CONFIRMED,
    BookingRescheduled: BookingHistoryStatus.CONFIRMED,
    BookingCancelled: BookingHistoryStatus.CANCELLED,
    BookingFailed: BookingHistoryStatus.FAILED,
}


def history_entry_from(event: BookingSnapshot) -> BookingHistoryEntry:
    reason = event.reason if isinstance(event, BookingCancelled | BookingFailed) else None
    return BookingHistoryEntry(
        booking_id=event.booking_id,
        owner_id=event.owner_id,
        pet_id=event.pet_id,
        clinic_id=event.clinic_id,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        status=STATUS_AFTER[type(event)],
        reason=reason,
        version=event.aggregate_version,
    )


async def project_booking(event: BookingSnapshot, uow: AuthUnitOfWork) -> None:
    uow.booking_history.apply(history_entry_from(event))
