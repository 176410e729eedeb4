"""Pydantic response models of a user's booking history (auth's projection of booking's
events)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from petpro_core.auth.domain.booking_history import BookingHistoryEntry, BookingHistoryStatus
from petpro_core.shared.pagination import Page


class BookingHistoryItem(BaseModel):
    booking_id: UUID
    pet_id: UUID
    clinic_id: UUID
    starts_at: datetime
    ends_at: datetime
    status: BookingHistoryStatus = Field(
        description="created, confirmed (also after a reschedule), cancelled or failed."
    )
    reason: str | None = Field(description="Why it was cancelled or failed; otherwise null.")
    version: int = Field(description="The booking's version this entry reflects.")

    @classmethod
    def of(cls, entry: BookingHistoryEntry) -> BookingHistoryItem:
        return cls(
            booking_id=entry.booking_id,
            pet_id=entry.pet_id,
            clinic_id=entry.clinic_id,
            starts_at=entry.starts_at,
            ends_at=entry.ends_at,
            status=entry.status,
            reason=entry.reason,
            version=entry.version,
        )


class BookingHistoryPage(BaseModel):
    """A user's bookings, the latest start first. Kept from booking's events, so a booking
    made a moment ago may take a moment to appear."""

    owner_id: UUID
    items: list[BookingHistoryItem]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, owner_id: UUID, page: Page[BookingHistoryEntry]) -> BookingHistoryPage:
        return cls(
            owner_id=owner_id,
            items=[BookingHistoryItem.of(entry) for entry in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )
