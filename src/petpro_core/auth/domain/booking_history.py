"""Each user's booking history: auth's read model of the booking context's `booking.*` events.

One entry per booking, the booking as its latest event left it. It is a projection, so it
must never go backwards: an entry only replaces one with a lower booking version, which
makes duplicated and reordered deliveries harmless. A rescheduled booking stays confirmed
(only confirmed bookings move) with its new times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from petpro_core.shared.clock import ensure_aware


class BookingHistoryStatus(StrEnum):
    CREATED = "created"  # taken, while booking completes it (payment, products)
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    FAILED = "failed"  # booking gave up on it; nothing is owed


# The statuses an entry explains with a reason (why it was cancelled, why it failed).
STATUSES_WITH_REASON = frozenset({BookingHistoryStatus.CANCELLED, BookingHistoryStatus.FAILED})


@dataclass(frozen=True, kw_only=True)
class BookingHistoryEntry:
    booking_id: UUID
    owner_id: UUID
    pet_id: UUID
    clinic_id: UUID
    starts_at: datetime
    ends_at: datetime
    status: BookingHistoryStatus
    reason: str | None = None
    version: int  # the booking aggregate's version this entry reflects

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts_at", ensure_aware(self.starts_at))
        object.__setattr__(self, "ends_at", ensure_aware(self.ends_at))
        object.__setattr__(self, "status", BookingHistoryStatus(self.status))
        if self.ends_at <= self.starts_at:
            raise ValueError("a booking ends after it starts")
        if self.version < 1:
            raise ValueError("a booking's version starts at 1")
        if self.status in STATUSES_WITH_REASON:
            if self.reason is None or not self.reason.strip():
                raise ValueError(f"a {self.status} booking says why")
        elif self.reason is not None:
            raise ValueError(f"a {self.status} booking has no reason")

    def supersedes(self, current: BookingHistoryEntry | None) -> bool:
        """Whether this entry replaces `current`: only a strictly newer booking version does."""
        return current is None or self.version > current.version
