"""Read models the booking context answers: a clinic's day sheet, its payment records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from petpro_core.booking.domain.bookings import Booking
from petpro_core.booking.domain.saga import BookingSaga
from petpro_core.shared.money import Money


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


@dataclass(frozen=True, kw_only=True)
class PaymentRecord:
    """A payment the booking saga took, as it stands: what was charged and given back so far
    (zero when nothing). `charged_at` is when the charge was recorded (the saga's last
    change for sagas charged before that was kept)."""

    payment_id: UUID
    booking_id: UUID
    clinic_id: UUID
    charged: Money
    refunded: Money
    charged_at: datetime
    gateway_reference: str


def payment_record_of(saga: BookingSaga, clinic_id: UUID) -> PaymentRecord | None:
    """The saga's payment, when its charge went through."""
    if saga.gateway_reference is None or saga.payment_id is None:
        return None
    return PaymentRecord(
        payment_id=saga.payment_id,
        booking_id=saga.booking_id,
        clinic_id=clinic_id,
        charged=saga.amount,
        refunded=saga.refunded or Money(saga.amount.amount * 0, saga.amount.currency),
        charged_at=saga.charged_at or saga.updated_at,
        gateway_reference=saga.gateway_reference,
    )
