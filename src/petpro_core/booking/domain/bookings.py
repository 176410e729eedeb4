"""A booking: one pet's appointment for one service with one vet at one clinic.

`starts_at`/`ends_at` are the appointment; `blocked_from`/`blocked_until` add the service's
buffers and are what the vet's calendar loses. While a booking is held or confirmed no other
active booking of the same vet may overlap its blocked interval (the stores enforce it).
All times are UTC; the clinic's zone only matters for display and availability.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.money import Money


class BookingStatus(StrEnum):
    HELD = "held"  # the slot is held while the saga takes payment and reserves products
    CONFIRMED = "confirmed"
    FAILED = "failed"  # the saga gave up and compensated; nothing is owed
    CANCELLED = "cancelled"


# The statuses in which a booking occupies its vet's time.
ACTIVE_STATUSES = frozenset({BookingStatus.HELD, BookingStatus.CONFIRMED})


@dataclass(frozen=True, kw_only=True)
class ProductLine:
    """A product the clinic prepares for the visit (reserved in inventory at the clinic)."""

    product_id: UUID
    quantity: int

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not 1 <= self.quantity <= 1000:
            raise ValueError("a product quantity is between 1 and 1000")


@dataclass(frozen=True, kw_only=True)
class Booking:
    booking_id: UUID
    owner_id: UUID
    pet_id: UUID
    clinic_id: UUID
    service_id: UUID
    vet_id: UUID
    starts_at: datetime
    ends_at: datetime
    blocked_from: datetime
    blocked_until: datetime
    price: Money
    products: tuple[ProductLine, ...]
    status: BookingStatus
    created_at: datetime
    updated_at: datetime
    # The aggregate version: 1 when held, +1 per change; the events' aggregate_version, and
    # the optimistic lock the stores check on save.
    version: int = 1
    failure_reason: str | None = None
    cancelled_by: str | None = None  # "owner" | "clinic" | "system"
    cancelled_by_user_id: UUID | None = None
    cancellation_reason: str | None = None
    refund: Money | None = None  # what a cancellation gives back

    def __post_init__(self) -> None:
        for name in (
            "starts_at",
            "ends_at",
            "blocked_from",
            "blocked_until",
            "created_at",
            "updated_at",
        ):
            object.__setattr__(self, name, ensure_aware(getattr(self, name)))
        if not self.blocked_from <= self.starts_at < self.ends_at <= self.blocked_until:
            raise ValueError("a booking ends after it starts, inside its blocked interval")
        if self.version < 1:
            raise ValueError("a booking's version starts at 1")

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
