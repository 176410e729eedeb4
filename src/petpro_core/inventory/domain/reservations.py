"""Reservations: stock set aside at one location for someone's purpose, all lines or none.

A reservation is held until it expires, unless it is released (the purpose fell through)
or fulfilled (the units left with the customer) first. A request that could not be met
is kept too, as a failed reservation, so a repeat of the same reservation id answers the
first outcome and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from petpro_core.contracts.inventory import (
    ProductsReleased,
    ProductsReservationFailed,
    ProductsReserved,
    ReservationLine,
)
from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.errors import InvalidInput

MAX_REFERENCE_LENGTH = 200
MAX_REASON_LENGTH = 500
MAX_LINES = 100


class ReservationStatus(StrEnum):
    HELD = "held"
    RELEASED = "released"
    FULFILLED = "fulfilled"
    EXPIRED = "expired"
    FAILED = "failed"  # nothing was reserved; kept so that a repeat answers the same


@dataclass(frozen=True, kw_only=True)
class ReservationResult:
    """The answer to ReserveProducts: every line reserved, or none and why not."""

    reserved: bool
    reason: str | None = None


def _text(value: str, field: str, max_length: int) -> str:
    cleaned = value.strip()
    if not 1 <= len(cleaned) <= max_length:
        raise InvalidInput(f"{field} must be 1 to {max_length} characters", field=field)
    return cleaned


def reservation_lines(lines: tuple[ReservationLine, ...]) -> tuple[ReservationLine, ...]:
    """The lines in product-id order (the order stores lock stock items in, so concurrent
    reservations never dead-lock); at least one, at most MAX_LINES, one per product."""
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidInput(f"a reservation has 1 to {MAX_LINES} lines", field="lines")
    if len({line.product_id for line in lines}) != len(lines):
        raise InvalidInput("a reservation has one line per product", field="lines")
    return tuple(sorted(lines, key=lambda line: line.product_id))


@dataclass(frozen=True, kw_only=True)
class Reservation:
    reservation_id: UUID
    location_id: UUID
    reference: str  # whose purpose, e.g. `booking:<id>`, `order:<id>`
    lines: tuple[ReservationLine, ...]
    status: ReservationStatus
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int = 1
    failure_reason: str | None = None  # why nothing was reserved (status failed)
    release_reason: str | None = None  # why it was released (status released or expired)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "reference", _text(self.reference, "reference", MAX_REFERENCE_LENGTH))
        set_(self, "lines", reservation_lines(tuple(self.lines)))
        set_(self, "status", ReservationStatus(self.status))
        for name in ("expires_at", "created_at", "updated_at"):
            set_(self, name, ensure_aware(getattr(self, name)))
        if self.version < 1:
            raise ValueError("a reservation's version starts at 1")
        if (self.status is ReservationStatus.FAILED) != (self.failure_reason is not None):
            raise ValueError("a failed reservation, and only one, has a failure reason")

    @property
    def result(self) -> ReservationResult:
        """The outcome of the request that made it (a later release does not change it)."""
        if self.status is ReservationStatus.FAILED:
            return ReservationResult(reserved=False, reason=self.failure_reason)
        return ReservationResult(reserved=True)

    @property
    def held(self) -> bool:
        return self.status is ReservationStatus.HELD

    def is_due(self, now: datetime) -> bool:
        """Held past its expiry: the expiry job releases it."""
        return self.held and self.expires_at <= now

    @classmethod
    def hold(
        cls,
        *,
        reservation_id: UUID,
        location_id: UUID,
        reference: str,
        lines: tuple[ReservationLine, ...],
        expires_at: datetime,
        now: datetime,
    ) -> tuple[Reservation, ProductsReserved]:
        reservation = cls(
            reservation_id=reservation_id,
            location_id=location_id,
            reference=reference,
            lines=lines,
            status=ReservationStatus.HELD,
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
        )
        return reservation, ProductsReserved(
            occurred_at=now,
            aggregate_version=reservation.version,
            reservation_id=reservation.reservation_id,
            location_id=reservation.location_id,
            reference=reservation.reference,
            lines=reservation.lines,
            expires_at=reservation.expires_at,
        )

    @classmethod
    def fail(
        cls,
        *,
        reservation_id: UUID,
        location_id: UUID,
        reference: str,
        lines: tuple[ReservationLine, ...],
        expires_at: datetime,
        reason: str,
        now: datetime,
    ) -> tuple[Reservation, ProductsReservationFailed]:
        reservation = cls(
            reservation_id=reservation_id,
            location_id=location_id,
            reference=reference,
            lines=lines,
            status=ReservationStatus.FAILED,
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
            failure_reason=_text(reason, "reason", MAX_REASON_LENGTH),
        )
        assert reservation.failure_reason is not None
        return reservation, ProductsReservationFailed(
            occurred_at=now,
            aggregate_version=reservation.version,
            reservation_id=reservation.reservation_id,
            location_id=reservation.location_id,
            reference=reservation.reference,
            lines=reservation.lines,
            reason=reservation.failure_reason,
        )

    def release(
        self, reason: str, now: datetime, *, expired: bool = False
    ) -> tuple[Reservation, ProductsReleased]:
        """Held → released (or expired): its units are available again."""
        if not self.held:
            raise ValueError(f"a {self.status.value} reservation cannot be released")
        released = replace(
            self,
            status=ReservationStatus.EXPIRED if expired else ReservationStatus.RELEASED,
            release_reason=_text(reason, "reason", MAX_REASON_LENGTH),
            updated_at=now,
            version=self.version + 1,
        )
        assert released.release_reason is not None
        return released, ProductsReleased(
            occurred_at=now,
            aggregate_version=released.version,
            reservation_id=released.reservation_id,
            location_id=released.location_id,
            reference=released.reference,
            lines=released.lines,
            reason=released.release_reason,
        )

    def fulfil(self, now: datetime) -> Reservation:
        """Held → fulfilled: the reserved units left (a sale movement per line)."""
        if not self.held:
            raise ValueError(f"a {self.status.value} reservation cannot be fulfilled")
        return replace(
            self, status=ReservationStatus.FULFILLED, updated_at=now, version=self.version + 1
        )
