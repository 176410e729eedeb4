"""The booking saga's persisted state: what has been done towards confirming a held booking,
and what compensation is still owed.

The orchestrator (`petpro_core.booking.saga`) advances it one step at a time: each step is an
idempotent call to another system (the payment gateway, inventory) followed by a commit of
its outcome here. A crash between the call and the commit repeats the call on resume, with
the same idempotency key, so nothing happens twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.money import Money


class SagaPhase(StrEnum):
    CHARGING = "charging"  # take the payment
    RESERVING = "reserving"  # reserve the products (skipped without products)
    COMPENSATING = "compensating"  # refund and/or release what was done, then finish
    FINISHED = "finished"


@dataclass(frozen=True, kw_only=True)
class BookingSaga:
    booking_id: UUID
    phase: SagaPhase
    payment_token: str  # the owner's payment method token at the gateway
    amount: Money  # what the booking costs
    # Set once the gateway charged: our payment id, the gateway's reference, the method kind.
    payment_id: UUID | None = None
    gateway_reference: str | None = None
    payment_method: str | None = None
    reservation_id: UUID | None = None  # set once inventory reserved the products
    # Compensation still owed: money to give back, and whether to release the reservation.
    refund_due: Money | None = None
    release_due: bool = False
    refunded: Money | None = None  # given back so far
    failure_reason: str | None = None  # why the booking fails, once it does
    attempts: int = 0  # failed attempts of the current step (transient errors)
    # When the saga is next due: now while an orchestrator works on it (a lease that ends
    # at this time), later after a transient error (backoff). The recovery worker takes up
    # unfinished sagas whose time has come.
    next_attempt_at: datetime
    # A held booking not confirmed by then fails and is compensated.
    expires_at: datetime
    version: int = 1  # optimistic lock, checked on save
    updated_at: datetime

    def __post_init__(self) -> None:
        for name in ("next_attempt_at", "expires_at", "updated_at"):
            object.__setattr__(self, name, ensure_aware(getattr(self, name)))
        if not self.payment_token.strip():
            raise ValueError("a payment token is required")
