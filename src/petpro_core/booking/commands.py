"""Messages the booking context accepts. Queries are commands that change nothing.

What each answers and raises is documented on the handler (`handlers.BookingHandlers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from petpro_core.booking.domain.bookings import BookingStatus, ProductLine
from petpro_core.shared.actors import Actor
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.messagebus import Command
from petpro_core.shared.pagination import PageRequest

MAX_PRODUCT_LINES = 50
MAX_REASON_LENGTH = 500
MAX_TOKEN_LENGTH = 200


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{name} must include a time zone offset", field=name)


@dataclass(frozen=True, kw_only=True)
class GetCachedPet(Command):
    """Booking's copy of one pet. Internal for now: no actor, so no runtime exposes it to
    callers until a booking feature decides who may see what."""

    pet_id: UUID
    include_deleted: bool = False  # answer a deleted pet's tombstone instead of not-found


@dataclass(frozen=True, kw_only=True)
class CreateBooking(Command):
    """Book `service_id` at `clinic_id` for the actor's pet at `starts_at`, paying with
    `payment_token`. `booking_id` is the caller's (the HTTP layer derives it from the
    Idempotency-Key): a repeat with the same id answers the booking it made, never a second
    one. `vet_id` None takes the first free vet (by id)."""

    actor: Actor
    pet_id: UUID
    clinic_id: UUID
    service_id: UUID
    starts_at: datetime
    payment_token: str = field(repr=False)
    vet_id: UUID | None = None
    products: tuple[ProductLine, ...] = ()
    booking_id: UUID | None = None  # None: a new id from `BookingDependencies.ids`

    def __post_init__(self) -> None:
        _require_aware(self.starts_at, "starts_at")
        token = self.payment_token.strip()
        if not token or len(token) > MAX_TOKEN_LENGTH or not token.isprintable():
            raise InvalidInput("payment_token is required", field="payment_token")
        if len(self.products) > MAX_PRODUCT_LINES:
            raise InvalidInput(f"at most {MAX_PRODUCT_LINES} product lines", field="products")
        if len({line.product_id for line in self.products}) != len(self.products):
            raise InvalidInput("each product appears once", field="products")


@dataclass(frozen=True, kw_only=True)
class GetBooking(Command):
    actor: Actor
    booking_id: UUID


@dataclass(frozen=True, kw_only=True)
class ListOwnerBookings(Command):
    """The actor's own bookings, soonest start first."""

    actor: Actor
    page: PageRequest = field(default_factory=PageRequest)
    status: BookingStatus | None = None


@dataclass(frozen=True, kw_only=True)
class ListClinicBookings(Command):
    """A clinic's bookings (any status) starting in [window_start, window_end), at most 31
    days; for the clinic's staff and admins."""

    actor: Actor
    clinic_id: UUID
    window_start: datetime
    window_end: datetime
    page: PageRequest = field(default_factory=PageRequest)

    def __post_init__(self) -> None:
        _require_aware(self.window_start, "window_start")
        _require_aware(self.window_end, "window_end")


@dataclass(frozen=True, kw_only=True)
class GetDaySheet(Command):
    """A clinic's plan for one local day: per vet, the active bookings by start."""

    actor: Actor
    clinic_id: UUID
    day: date
    vet_id: UUID | None = None
    include_cancelled: bool = False  # also list cancelled and failed bookings


@dataclass(frozen=True, kw_only=True)
class CancelBooking(Command):
    actor: Actor
    booking_id: UUID
    reason: str = ""  # blank: "cancelled by the owner" / "cancelled by the clinic"

    def __post_init__(self) -> None:
        if len(self.reason) > MAX_REASON_LENGTH:
            raise InvalidInput(f"reason is at most {MAX_REASON_LENGTH} characters", field="reason")


@dataclass(frozen=True, kw_only=True)
class RescheduleBooking(Command):
    """Move a confirmed booking that has not started. `vet_id` None keeps the vet if free at
    the new start, else takes the first free vet (by id)."""

    actor: Actor
    booking_id: UUID
    starts_at: datetime
    vet_id: UUID | None = None

    def __post_init__(self) -> None:
        _require_aware(self.starts_at, "starts_at")


@dataclass(frozen=True, kw_only=True)
class FindAvailability(Command):
    """The free slots of a service in [window_start, window_end) (at most 31 days). Public:
    no actor."""

    clinic_id: UUID
    service_id: UUID
    window_start: datetime
    window_end: datetime
    vet_id: UUID | None = None

    def __post_init__(self) -> None:
        _require_aware(self.window_start, "window_start")
        _require_aware(self.window_end, "window_end")


@dataclass(frozen=True, kw_only=True)
class AdvanceDueSagas(Command):
    """The recovery worker's step: resume up to `limit` sagas that are due (an orchestrator
    died, a backoff ended, a hold expired). Answers how many advanced."""

    limit: int = 100

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not 1 <= self.limit <= 1000:
            raise InvalidInput("limit is between 1 and 1000", field="limit")


@dataclass(frozen=True, kw_only=True)
class ListPaymentRecords(Command):
    """The payments bookings were charged, charged in [charged_from, charged_to) (an open
    end: unbounded), by charge time then payment id. Administrators only (finance
    reconciles its ledger with them)."""

    actor: Actor
    charged_from: datetime | None = None
    charged_to: datetime | None = None

    def __post_init__(self) -> None:
        if self.charged_from is not None:
            _require_aware(self.charged_from, "charged_from")
        if self.charged_to is not None:
            _require_aware(self.charged_to, "charged_to")
