"""Appointment reminders: one per confirmed booking, due 24 hours before its start.

`booking.confirmed` schedules it (no reminder when that moment has already passed),
`booking.rescheduled` moves it, `booking.cancelled` cancels it; a newer booking version
always wins and an older event changes nothing. The reminder's deliveries are keyed by
`source_id` (booking and start time), so a booking moved after its reminder went out gets a
reminder for the new time, and never two for the same time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid5

from petpro_core.notification.domain.deliveries import NOTIFICATION_NAMESPACE

REMINDER_LEAD = timedelta(hours=24)
REMINDER_KIND = "booking.reminder"


class ReminderStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    CANCELLED = "cancelled"


def reminder_source_id(booking_id: UUID, starts_at: datetime) -> UUID:
    return uuid5(NOTIFICATION_NAMESPACE, f"reminder:{booking_id}:{starts_at.isoformat()}")


@dataclass(frozen=True, kw_only=True)
class Reminder:
    booking_id: UUID
    owner_id: UUID
    clinic_id: UUID
    starts_at: datetime
    due_at: datetime
    status: ReminderStatus
    booking_version: int  # the booking's aggregate version this reminder reflects
    version: int  # the row's own version (1 when first stored)
    sent_source_id: UUID | None = None  # the source id of the reminder last sent

    @property
    def source_id(self) -> UUID:
        return reminder_source_id(self.booking_id, self.starts_at)

    @classmethod
    def schedule(
        cls,
        *,
        booking_id: UUID,
        owner_id: UUID,
        clinic_id: UUID,
        starts_at: datetime,
        booking_version: int,
        now: datetime,
        stored: Reminder | None,
    ) -> Reminder | None:
        """The reminder after a booking was confirmed or moved to `starts_at` (or None when
        nothing changes: an older booking version, or no stored reminder and the due time
        already past)."""
        if stored is not None and booking_version <= stored.booking_version:
            return None
        due_at = starts_at - REMINDER_LEAD
        if stored is None:
            if due_at <= now:
                return None
            return cls(
                booking_id=booking_id,
                owner_id=owner_id,
                clinic_id=clinic_id,
                starts_at=starts_at,
                due_at=due_at,
                status=ReminderStatus.SCHEDULED,
                booking_version=booking_version,
                version=1,
            )
        # A booking is not moved after it was cancelled (a newer version than the
        # cancellation cannot be a move), so a newer version reopens a cancelled reminder.
        status: ReminderStatus
        if starts_at == stored.starts_at and stored.status is not ReminderStatus.CANCELLED:
            status = stored.status
        elif due_at > now:
            status = ReminderStatus.SCHEDULED
        else:
            # Moved to within 24 hours: too late to remind for the new time.
            status = ReminderStatus.CANCELLED
        return replace(
            stored,
            owner_id=owner_id,
            clinic_id=clinic_id,
            starts_at=starts_at,
            due_at=due_at,
            status=status,
            booking_version=booking_version,
            version=stored.version + 1,
        )

    @classmethod
    def cancelled_before_seen(
        cls,
        *,
        booking_id: UUID,
        owner_id: UUID,
        clinic_id: UUID,
        starts_at: datetime,
        booking_version: int,
    ) -> Reminder:
        """A cancelled reminder for a booking whose cancellation came first (events of
        different streams may arrive out of order): an older confirmation finds it and
        schedules nothing."""
        return cls(
            booking_id=booking_id,
            owner_id=owner_id,
            clinic_id=clinic_id,
            starts_at=starts_at,
            due_at=starts_at - REMINDER_LEAD,
            status=ReminderStatus.CANCELLED,
            booking_version=booking_version,
            version=1,
        )

    def cancelled(self, booking_version: int) -> Reminder | None:
        """Cancelled by the booking's cancellation (None when that event is older)."""
        if booking_version <= self.booking_version:
            return None
        return replace(
            self,
            status=ReminderStatus.CANCELLED,
            booking_version=booking_version,
            version=self.version + 1,
        )

    def is_due(self, now: datetime) -> bool:
        return self.status is ReminderStatus.SCHEDULED and self.due_at <= now

    def marked_sent(self) -> Reminder:
        return replace(
            self,
            status=ReminderStatus.SENT,
            sent_source_id=self.source_id,
            version=self.version + 1,
        )
