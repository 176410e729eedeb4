"""Events published by the booking context: bookings through their life, and their payments.

Every booking event carries the whole booking, so a consumer (a clinic's day list, an owner's
history, a notification) needs nothing else to act on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from petpro_core.contracts.checks import require_positive_money, require_text
from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.events import Event
from petpro_core.shared.money import Money

# Who can cancel a booking: the pet's owner, the clinic, or the platform (e.g. a timeout).
CANCELLING_PARTIES = frozenset({"owner", "clinic", "system"})
PAYMENT_METHOD_KINDS = frozenset({"card", "cash", "bank_transfer", "digital_wallet", "insurance"})


@dataclass(frozen=True, kw_only=True)
class BookingSnapshot(Event):
    """The booking as it stands after the event. `vet_id` is None when any vet may take it."""

    AGGREGATE = "booking"

    booking_id: UUID
    owner_id: UUID
    pet_id: UUID
    clinic_id: UUID
    service_id: UUID
    vet_id: UUID | None
    starts_at: datetime
    ends_at: datetime
    price: Money

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "starts_at", ensure_aware(self.starts_at))
        object.__setattr__(self, "ends_at", ensure_aware(self.ends_at))
        if self.ends_at <= self.starts_at:
            raise ValueError("a booking ends after it starts")
        if self.price.amount < 0:
            raise ValueError("price must not be negative")

    @property
    def aggregate_id(self) -> UUID:
        return self.booking_id


@dataclass(frozen=True, kw_only=True)
class BookingCreated(BookingSnapshot):
    NAME = "booking.created"


@dataclass(frozen=True, kw_only=True)
class BookingConfirmed(BookingSnapshot):
    NAME = "booking.confirmed"


@dataclass(frozen=True, kw_only=True)
class BookingCancelled(BookingSnapshot):
    """`refund` is what the owner gets back (zero, in the price's currency, for none);
    `cancelled_by_user_id` is None when the system cancelled."""

    NAME = "booking.cancelled"

    cancelled_by: str
    cancelled_by_user_id: UUID | None
    reason: str
    refund: Money

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.cancelled_by not in CANCELLING_PARTIES:
            raise ValueError(
                f"cancelled_by must be one of: {', '.join(sorted(CANCELLING_PARTIES))}"
            )
        if (self.cancelled_by == "system") != (self.cancelled_by_user_id is None):
            raise ValueError("a user id names who cancelled, unless the system did")
        require_text(self.reason, "reason")
        if self.refund.currency != self.price.currency:
            raise ValueError("the refund is in the price's currency")
        if not 0 <= self.refund.amount <= self.price.amount:
            raise ValueError("the refund is between zero and the price")


@dataclass(frozen=True, kw_only=True)
class BookingRescheduled(BookingSnapshot):
    """The booking moved to another time (and maybe vet); the snapshot holds the new one."""

    NAME = "booking.rescheduled"

    previous_starts_at: datetime
    previous_vet_id: UUID | None

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "previous_starts_at", ensure_aware(self.previous_starts_at))


@dataclass(frozen=True, kw_only=True)
class BookingFailed(BookingSnapshot):
    """The booking could not be completed (payment declined, slot lost); nothing is owed."""

    NAME = "booking.failed"

    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text(self.reason, "reason")


REFUND_CAUSES = frozenset({"cancelled", "failed"})


@dataclass(frozen=True, kw_only=True)
class PaymentProcessed(Event):
    NAME = "payment.processed"
    AGGREGATE = "payment"

    payment_id: UUID
    booking_id: UUID
    clinic_id: UUID
    owner_id: UUID
    amount: Money
    method: str

    def __post_init__(self) -> None:
        super().__post_init__()
        require_positive_money(self.amount, "amount")
        if self.method not in PAYMENT_METHOD_KINDS:
            raise ValueError(f"method must be one of: {', '.join(sorted(PAYMENT_METHOD_KINDS))}")

    @property
    def aggregate_id(self) -> UUID:
        return self.payment_id


@dataclass(frozen=True, kw_only=True)
class PaymentRefunded(Event):
    """Money returned on a payment; `owner_id` is who receives it (and the notification).

    `cause` says why: "cancelled" (the booking was cancelled; `booking.cancelled` carried
    the refund owed) or "failed" (the booking never completed, so all that was taken goes
    back). None on messages from before the field existed."""

    NAME = "payment.refunded"
    AGGREGATE = "payment"

    payment_id: UUID
    booking_id: UUID
    clinic_id: UUID
    owner_id: UUID
    amount: Money
    cause: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        require_positive_money(self.amount, "amount")
        if self.cause is not None and self.cause not in REFUND_CAUSES:
            raise ValueError(f"cause must be one of: {', '.join(sorted(REFUND_CAUSES))}")

    @property
    def aggregate_id(self) -> UUID:
        return self.payment_id


BOOKING_EVENTS: tuple[type[Event], ...] = (
    BookingCreated,
    BookingConfirmed,
    BookingCancelled,
    BookingRescheduled,
    BookingFailed,
    PaymentProcessed,
    PaymentRefunded,
)
