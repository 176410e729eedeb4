"""A booking: one pet's appointment for one service with one vet at one clinic.

`starts_at`/`ends_at` are the appointment; `blocked_from`/`blocked_until` add the service's
buffers and are what the vet's calendar loses. While a booking is held or confirmed no other
active booking of the same vet may overlap its blocked interval (the stores enforce it).
All times are UTC; the clinic's zone only matters for display and availability.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from petpro_core.contracts.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingCreated,
    BookingFailed,
    BookingRescheduled,
)
from petpro_core.contracts.clinic import BookingPolicy
from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.money import MINOR_UNITS, Money


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

    # -- behaviour: each change answers the new booking and the event that records it --------

    @classmethod
    def hold(
        cls,
        *,
        booking_id: UUID,
        owner_id: UUID,
        pet_id: UUID,
        clinic_id: UUID,
        service_id: UUID,
        vet_id: UUID,
        starts_at: datetime,
        ends_at: datetime,
        blocked_from: datetime,
        blocked_until: datetime,
        price: Money,
        products: tuple[ProductLine, ...],
        now: datetime,
    ) -> tuple[Booking, BookingCreated]:
        """A new booking holding its slot while the saga takes payment (version 1)."""
        booking = cls(
            booking_id=booking_id,
            owner_id=owner_id,
            pet_id=pet_id,
            clinic_id=clinic_id,
            service_id=service_id,
            vet_id=vet_id,
            starts_at=starts_at,
            ends_at=ends_at,
            blocked_from=blocked_from,
            blocked_until=blocked_until,
            price=price,
            products=products,
            status=BookingStatus.HELD,
            created_at=now,
            updated_at=now,
        )
        return booking, BookingCreated(**booking._snapshot(now))

    def confirm(self, now: datetime) -> tuple[Booking, BookingConfirmed]:
        self._require(BookingStatus.HELD, to="confirm")
        booking = self._changed(now, status=BookingStatus.CONFIRMED)
        return booking, BookingConfirmed(**booking._snapshot(now))

    def fail(self, reason: str, now: datetime) -> tuple[Booking, BookingFailed]:
        """The saga gave up: the slot is free again (compensation is the saga's business)."""
        self._require(BookingStatus.HELD, to="fail")
        booking = self._changed(now, status=BookingStatus.FAILED, failure_reason=reason)
        return booking, BookingFailed(**booking._snapshot(now), reason=reason)

    def cancel(
        self,
        *,
        by: str,
        by_user_id: UUID | None,
        reason: str,
        refund: Money,
        now: datetime,
    ) -> tuple[Booking, BookingCancelled]:
        """Cancelled at once: the slot is free; the refund is owed by the saga."""
        if not self.is_active:
            raise ValueError(f"a {self.status} booking cannot be cancelled")
        booking = self._changed(
            now,
            status=BookingStatus.CANCELLED,
            cancelled_by=by,
            cancelled_by_user_id=by_user_id,
            cancellation_reason=reason,
            refund=refund,
        )
        return booking, BookingCancelled(
            **booking._snapshot(now),
            cancelled_by=by,
            cancelled_by_user_id=by_user_id,
            reason=reason,
            refund=refund,
        )

    def reschedule(
        self,
        *,
        vet_id: UUID,
        starts_at: datetime,
        ends_at: datetime,
        blocked_from: datetime,
        blocked_until: datetime,
        now: datetime,
    ) -> tuple[Booking, BookingRescheduled]:
        self._require(BookingStatus.CONFIRMED, to="reschedule")
        booking = self._changed(
            now,
            vet_id=vet_id,
            starts_at=starts_at,
            ends_at=ends_at,
            blocked_from=blocked_from,
            blocked_until=blocked_until,
        )
        return booking, BookingRescheduled(
            **booking._snapshot(now),
            previous_starts_at=self.starts_at,
            previous_vet_id=self.vet_id,
        )

    def _require(self, status: BookingStatus, *, to: str) -> None:
        if self.status != status:
            raise ValueError(f"cannot {to} a {self.status} booking")

    def _changed(self, now: datetime, **changes: Any) -> Booking:
        return replace(self, **changes, version=self.version + 1, updated_at=now)

    def _snapshot(self, now: datetime) -> dict[str, Any]:
        return {
            "booking_id": self.booking_id,
            "owner_id": self.owner_id,
            "pet_id": self.pet_id,
            "clinic_id": self.clinic_id,
            "service_id": self.service_id,
            "vet_id": self.vet_id,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "price": self.price,
            "occurred_at": now,
            "aggregate_version": self.version,
        }


# -- why a booking failed: `failure_reason` starts with one of these ----------------------------

FAILURE_EXPIRED = "expired"
PAYMENT_DECLINED_PREFIX = "payment declined: "
PRODUCTS_UNAVAILABLE_PREFIX = "products unavailable: "


def payment_declined_reason(gateway_reason: str | None) -> str:
    return PAYMENT_DECLINED_PREFIX + (gateway_reason or "declined")


def products_unavailable_reason(reason: str | None) -> str:
    return PRODUCTS_UNAVAILABLE_PREFIX + (reason or "not enough stock")


# -- the refund policy ---------------------------------------------------------------------


def refund_for(
    *,
    price: Money,
    starts_at: datetime,
    now: datetime,
    policy: BookingPolicy,
    by_clinic: bool,
) -> Money:
    """What a cancellation of a confirmed booking gives back.

    The clinic cancelling always refunds everything. The owner cancelling
    `policy.full_refund_hours` or more before the start (elapsed time, so a daylight-saving
    change in between does not move the line) gets everything back; later but before the
    start `policy.late_refund_percent` of the price, rounded down to the currency's minor
    unit; once the appointment has started nothing.
    """
    if by_clinic:
        return price
    notice = ensure_aware(starts_at) - ensure_aware(now)
    if notice >= timedelta(hours=policy.full_refund_hours):
        return price
    if notice <= timedelta(0):
        return Money(Decimal(0).quantize(_minor_unit(price.currency)), price.currency)
    share = price.amount * Decimal(policy.late_refund_percent) / Decimal(100)
    return Money(share.quantize(_minor_unit(price.currency), rounding=ROUND_DOWN), price.currency)


def _minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS[currency])
