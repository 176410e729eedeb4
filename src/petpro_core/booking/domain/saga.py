"""The booking saga's persisted state: what has been done towards confirming a held booking,
and what compensation is still owed.

The orchestrator (`petpro_core.booking.saga`) advances it one step at a time: each step is an
idempotent call to another system (the payment gateway, inventory) followed by a commit of
its outcome here. A crash between the call and the commit repeats the call on resume, with
the same idempotency key, so nothing happens twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.money import Money

# Deterministic ids and idempotency keys, derived from the booking id, so that a step repeated
# after a crash (by this process or another) asks the other system for the same thing again.
_NAMESPACE = UUID("6f1d3c52-8a3e-4c59-9a57-2f1c0b7e5d10")


def payment_id_for(booking_id: UUID) -> UUID:
    return uuid5(_NAMESPACE, f"booking:{booking_id}:payment")


def reservation_id_for(booking_id: UUID) -> UUID:
    return uuid5(_NAMESPACE, f"booking:{booking_id}:reservation")


def charge_key(booking_id: UUID) -> str:
    return f"booking:{booking_id}:charge"


def refund_key(booking_id: UUID) -> str:
    return f"booking:{booking_id}:refund"


def payment_description(booking_id: UUID) -> str:
    return f"PetPro booking {booking_id}"


def reservation_reference(booking_id: UUID) -> str:
    return f"booking:{booking_id}"


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
    # When the gateway's charge was recorded (the payment.processed event's time); None
    # before, and on sagas charged before the field existed.
    charged_at: datetime | None = None
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
        if self.charged_at is not None:
            object.__setattr__(self, "charged_at", ensure_aware(self.charged_at))
        if not self.payment_token.strip():
            raise ValueError("a payment token is required")

    # -- state --------------------------------------------------------------------------------

    @property
    def is_finished(self) -> bool:
        return self.phase == SagaPhase.FINISHED

    @property
    def owes_nothing(self) -> bool:
        return self.refund_due is None and not self.release_due

    @property
    def charge_may_have_happened(self) -> bool:
        """Whether the gateway may hold a charge for this booking. Every charge call is made
        under a lease saved first, and nothing else saves a saga that is still charging, so
        a charging saga still at version 1 has never sent one."""
        if self.gateway_reference is not None:
            return True
        return self.phase == SagaPhase.CHARGING and self.version > 1

    # -- transitions: each answers the next version -------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        booking_id: UUID,
        payment_token: str,
        amount: Money,
        now: datetime,
        expires_at: datetime,
        leased_until: datetime,
    ) -> BookingSaga:
        """A saga for a booking just held, charging first, leased to the request that held
        it (so the recovery job leaves it to that request until `leased_until`)."""
        return cls(
            booking_id=booking_id,
            phase=SagaPhase.CHARGING,
            payment_token=payment_token,
            amount=amount,
            next_attempt_at=leased_until,
            expires_at=expires_at,
            updated_at=now,
        )

    def leased(self, now: datetime, until: datetime) -> BookingSaga:
        """Taken by an orchestrator until `until` (others leave it alone till then)."""
        return self._next(now, next_attempt_at=until)

    def retry_later(self, now: datetime, at: datetime) -> BookingSaga:
        """A transient failure of the current step: try again at `at`."""
        return self._next(now, attempts=self.attempts + 1, next_attempt_at=at)

    def charged(self, now: datetime, *, reference: str, method: str, products: bool) -> BookingSaga:
        """The gateway charged: reserve the products next, or finish (the booking confirms)."""
        return self._next(
            now,
            phase=SagaPhase.RESERVING if products else SagaPhase.FINISHED,
            payment_id=payment_id_for(self.booking_id),
            gateway_reference=reference,
            payment_method=method,
            charged_at=now,
            attempts=0,
            next_attempt_at=now,
        )

    def reserved(self, now: datetime) -> BookingSaga:
        """Inventory reserved the products: the booking confirms, the saga is done."""
        return self._next(
            now,
            phase=SagaPhase.FINISHED,
            reservation_id=reservation_id_for(self.booking_id),
            attempts=0,
            next_attempt_at=now,
        )

    def failed(self, now: datetime, reason: str) -> BookingSaga:
        """Nothing was done that needs undoing (e.g. the charge was declined)."""
        return self._next(
            now, phase=SagaPhase.FINISHED, failure_reason=reason, attempts=0, next_attempt_at=now
        )

    def compensate(
        self,
        now: datetime,
        *,
        refund: Money | None,
        release: bool,
        reason: str | None = None,
    ) -> BookingSaga:
        """Owe a refund and/or a release (finished at once when nothing is owed)."""
        refund_due = refund if refund is not None and refund.amount > 0 else None
        owes = refund_due is not None or release
        return self._next(
            now,
            phase=SagaPhase.COMPENSATING if owes else SagaPhase.FINISHED,
            refund_due=refund_due,
            release_due=release,
            failure_reason=reason if reason is not None else self.failure_reason,
            attempts=0,
            next_attempt_at=now,
        )

    def cancelled(self, now: datetime, *, refund: Money) -> BookingSaga:
        """The booking was cancelled: owe `refund` of the charge if one may have happened,
        and the release of a reservation that may exist."""
        if self.phase == SagaPhase.RESERVING:
            return self.compensate(now, refund=refund, release=True)
        if self.phase == SagaPhase.CHARGING:
            owed = refund if self.charge_may_have_happened else None
            return self.compensate(now, refund=owed, release=False)
        return self.compensate(
            now,
            refund=refund if self.gateway_reference is not None else None,
            release=self.reservation_id is not None,
        )

    def charge_resolved(self, now: datetime, *, reference: str, method: str) -> BookingSaga:
        """While compensating, a replay of the charge showed that it happened."""
        return self._next(
            now,
            payment_id=payment_id_for(self.booking_id),
            gateway_reference=reference,
            payment_method=method,
            charged_at=now,
            attempts=0,
            next_attempt_at=now,
        )

    def nothing_to_refund(self, now: datetime) -> BookingSaga:
        """While compensating, a replay of the charge showed that it never went through."""
        return self._settle(self._next(now, refund_due=None, attempts=0, next_attempt_at=now))

    def refund_made(self, now: datetime, amount: Money) -> BookingSaga:
        given = amount if self.refunded is None else self.refunded + amount
        return self._settle(
            self._next(now, refund_due=None, refunded=given, attempts=0, next_attempt_at=now)
        )

    def reservation_released(self, now: datetime) -> BookingSaga:
        return self._settle(self._next(now, release_due=False, attempts=0, next_attempt_at=now))

    def finish(self, now: datetime) -> BookingSaga:
        return self._next(now, phase=SagaPhase.FINISHED, attempts=0, next_attempt_at=now)

    @staticmethod
    def _settle(saga: BookingSaga) -> BookingSaga:
        """Finish a compensating saga once nothing is owed (the same version)."""
        if saga.phase == SagaPhase.COMPENSATING and saga.owes_nothing:
            return replace(saga, phase=SagaPhase.FINISHED)
        return saga

    def _next(self, now: datetime, **changes: Any) -> BookingSaga:
        return replace(self, **changes, version=self.version + 1, updated_at=now)
