"""Errors of the booking context, each a branch of the shared PetProError tree."""

from __future__ import annotations

from petpro_core.booking.domain.bookings import (
    FAILURE_EXPIRED,
    PAYMENT_DECLINED_PREFIX,
    PRODUCTS_UNAVAILABLE_PREFIX,
    Booking,
    BookingStatus,
)
from petpro_core.shared.errors import (
    Conflict,
    NotFound,
    PaymentRequired,
    PetProError,
    RuleViolated,
)


class CachedPetNotFound(NotFound):
    """Booking has not heard of the pet (yet), or heard that it was deleted."""

    code = "pet-not-found"
    title = "Pet not found"


class BookingNotFound(NotFound):
    """No such booking, or not one the actor may see (never a 403: ids are not leaked)."""

    code = "booking-not-found"
    title = "Booking not found"


class ClinicNotFound(NotFound):
    code = "clinic-not-found"
    title = "Clinic not found"


class ServiceNotFound(NotFound):
    code = "service-not-found"
    title = "Service not found"


class PetNotBookable(RuleViolated):
    """The pet was deleted (its tombstone is not bookable)."""

    code = "pet-not-bookable"
    title = "The pet cannot be booked"


class ServiceNotBookable(RuleViolated):
    """The service is withdrawn, belongs to another clinic, or does not treat the species."""

    code = "service-not-bookable"
    title = "The service cannot be booked"


class VetNotBookable(RuleViolated):
    """The vet does not perform the service at this clinic."""

    code = "vet-not-bookable"
    title = "The vet cannot be booked for this service"


class OutsideAvailability(RuleViolated):
    """The start is not a slot of the clinic's schedule: outside the vet's hours, on a day
    off, off the slot grid, too short notice or too far ahead."""

    code = "outside-availability"
    title = "Not a bookable time"


class SlotUnavailable(Conflict):
    """Another active booking holds (part of) the vet's time."""

    code = "slot-unavailable"
    title = "Slot no longer available"


class BookingNotCancellable(Conflict):
    """Only held or confirmed bookings can be cancelled."""

    code = "booking-not-cancellable"
    title = "The booking cannot be cancelled"


class BookingNotReschedulable(Conflict):
    """Only confirmed bookings that have not started can be moved."""

    code = "booking-not-reschedulable"
    title = "The booking cannot be rescheduled"


class BookingIdTaken(Conflict):
    """The caller-chosen booking id names another owner's booking."""

    code = "booking-id-taken"
    title = "Booking id already used"


class ConcurrentBookingUpdate(Conflict):
    code = "concurrent-update"
    title = "The booking was changed by someone else; retry"


class PaymentDeclined(PaymentRequired):
    """The payment gateway declined the charge (HTTP 402); the booking failed."""

    code = "payment-declined"
    title = "Payment declined"


class ProductsUnavailable(Conflict):
    """Inventory could not reserve the products the visit needs; the payment was refunded."""

    code = "products-unavailable"
    title = "Products unavailable"


class HoldExpired(Conflict):
    """The booking was not confirmed in time (the payment or inventory stayed unreachable);
    anything charged was refunded."""

    code = "booking-hold-expired"
    title = "Booking hold expired"


def booking_failure(booking: Booking) -> PetProError | None:
    """The error a failed booking stands for (None unless it failed), carrying the booking
    id, for runtimes that answer a failed `CreateBooking` as a problem: a declined payment
    (`PaymentDeclined`, HTTP 402), products inventory could not reserve
    (`ProductsUnavailable`), a hold that expired (`HoldExpired`)."""
    if booking.status != BookingStatus.FAILED:
        return None
    reason = booking.failure_reason or ""
    extra = {"booking_id": str(booking.booking_id)}
    if reason.startswith(PAYMENT_DECLINED_PREFIX):
        return PaymentDeclined(reason.removeprefix(PAYMENT_DECLINED_PREFIX), **extra)
    if reason.startswith(PRODUCTS_UNAVAILABLE_PREFIX):
        return ProductsUnavailable(reason.removeprefix(PRODUCTS_UNAVAILABLE_PREFIX), **extra)
    if reason == FAILURE_EXPIRED:
        return HoldExpired("the booking was not confirmed in time", **extra)
    return Conflict(reason or "the booking failed", **extra)
