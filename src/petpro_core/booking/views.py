"""Read models the booking context answers: a clinic's day sheet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from petpro_core.booking.domain.bookings import Booking


@dataclass(frozen=True, kw_only=True)
class VetDay:
    vet_id: UUID
    bookings: tuple[Booking, ...]  # by start


@dataclass(frozen=True, kw_only=True)
class DaySheet:
    """One local day of a clinic: every vet (those on the clinic's staff as vets, and any
    other with a booking that day), each with that day's bookings."""

    clinic_id: UUID
    clinic_name: str
    time_zone: str
    day: date
    vets: tuple[VetDay, ...]  # by vet id
