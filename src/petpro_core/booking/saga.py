"""The booking saga's orchestrator: it takes a held booking to confirmed, or to failed with
everything undone, one step at a time.

Steps, each an idempotent call to another system followed by a commit of its outcome:

1. charging — charge the owner (idempotency key `booking:<id>:charge`). Charged: record the
   payment (`payment.processed`) and reserve next, or confirm when there are no products.
   Declined: the booking fails (its slot is free again), nothing is owed.
2. reserving — reserve the products at the clinic (reservation id derived from the booking
   id). Reserved: confirm. Refused: the booking fails and the charge is owed back.
3. compensating — give back what is owed: first, if a charge may have happened but its
   outcome was never recorded (a crash or a timeout, then a cancellation or the hold's
   expiry), replay the charge with the same key to learn it; then refund
   (`booking:<id>:refund`, `payment.refunded`), then release the reservation; then finish.

A held booking not confirmed by the saga's `expires_at` fails with reason "expired" and is
compensated. Before each call the orchestrator takes a lease: it saves the saga with
`next_attempt_at = now + lease` under the optimistic version check, so two orchestrators
never both work on one saga (a `StaleBooking` means another owns it: stop). Every commit
checks the version again: if someone else (a cancellation, a recovery worker after the lease
ran out) moved the saga meanwhile, the outcome is dropped and theirs stands; the call is
repeated by whoever continues, with the same key, so nothing happens twice. A transient
failure (`PaymentGatewayUnavailable`, `ReservationsUnavailable`) counts an attempt and sets
`next_attempt_at` after an exponential backoff with jitter; the orchestrator retries a couple
of times at once, then leaves the saga to the recovery worker (`AdvanceDueSagas`).

Fault points (`SagaFaults`) let tests kill the orchestrator between any call and commit.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol
from uuid import UUID

from petpro_core.booking.domain.bookings import (
    FAILURE_EXPIRED,
    Booking,
    BookingStatus,
    payment_declined_reason,
    products_unavailable_reason,
)
from petpro_core.booking.domain.saga import (
    BookingSaga,
    SagaPhase,
    charge_key,
    payment_description,
    refund_key,
    reservation_id_for,
    reservation_reference,
)
from petpro_core.booking.ports import (
    BookingUnitOfWork,
    BookingUnitOfWorkFactory,
    PaymentGateway,
    PaymentGatewayUnavailable,
    ProductReservations,
    ReservationsUnavailable,
    StaleBooking,
)
from petpro_core.contracts.booking import PAYMENT_METHOD_KINDS, PaymentProcessed, PaymentRefunded
from petpro_core.shared.clock import Clock
from petpro_core.shared.events import Event

__all__ = [
    "NO_SAGA_FAULTS",
    "SAGA_FAULT_POINTS",
    "BookingSagaOrchestrator",
    "NoSagaFaults",
    "SagaFaults",
    "SagaSettings",
]

# Where a test may kill the orchestrator (between a call and its commit, or after a commit).
SAGA_FAULT_POINTS = frozenset(
    {
        "after_hold",  # the booking is held and committed; the saga has not started
        "after_charge_call",  # the gateway answered; the outcome is not recorded
        "after_charge_commit",
        "after_reserve_call",
        "after_reserve_commit",
        "after_refund_call",
        "after_release_call",
    }
)


class SagaFaults(Protocol):
    async def at(self, point: str) -> None:
        """Pass the named point; a test's implementation may raise there (a crash)."""
        ...


class NoSagaFaults:
    async def at(self, point: str) -> None:
        return None


NO_SAGA_FAULTS = NoSagaFaults()


@dataclass(frozen=True, kw_only=True)
class SagaSettings:
    lease: timedelta = timedelta(seconds=30)  # how long one orchestrator owns a step
    backoff_base: timedelta = timedelta(seconds=1)  # the first retry's delay
    backoff_cap: timedelta = timedelta(minutes=1)
    quick_retries: int = 2  # retries inside one call before leaving it to the worker
    # A product reservation lasts until this long after the appointment ends.
    reservation_grace: timedelta = timedelta(days=1)

    def __post_init__(self) -> None:
        if self.lease <= timedelta(0) or self.backoff_base <= timedelta(0):
            raise ValueError("the lease and the backoff are positive")
        if self.backoff_cap < self.backoff_base:
            raise ValueError("the backoff cap is at least its base")
        if self.quick_retries < 0:
            raise ValueError("quick_retries is not negative")


class _Outcome(Enum):
    STOP = "stop"  # finished, not due, or owned by someone else
    PROGRESS = "progress"  # a step was committed; go on
    RETRY = "retry"  # a transient failure was recorded


@dataclass(frozen=True)
class _Step:
    outcome: _Outcome
    version: int | None = None  # the saga version this orchestrator wrote last
    finished: bool = False  # that version finished the saga: nothing is left to read
    booking: Booking | None = None  # the booking as this step committed it (if it did)


_STOP = _Step(_Outcome.STOP)


class BookingSagaOrchestrator:
    def __init__(
        self,
        *,
        uow: BookingUnitOfWorkFactory,
        clock: Clock,
        payments: PaymentGateway,
        reservations: ProductReservations | None,
        faults: SagaFaults = NO_SAGA_FAULTS,
        settings: SagaSettings | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._payments = payments
        self._reservations = reservations
        self._faults = faults
        self._settings = settings or SagaSettings()
        self._jitter = jitter

    async def advance(self, booking_id: UUID, owned: int | None = None) -> bool:
        """Advance the booking's saga until it finishes, waits (backoff, another owner's
        lease) or fails transiently more than `quick_retries` times. Answers whether any
        step was taken. `owned` is the saga version whose lease the caller holds (the
        request that just held the booking owns version 1)."""
        progressed, _ = await self.run(booking_id, owned)
        return progressed

    async def run(
        self,
        booking_id: UUID,
        owned: int | None = None,
        held: tuple[BookingSaga, Booking] | None = None,
    ) -> tuple[bool, Booking | None]:
        """`advance`, also answering the booking as this run last committed it (None if it
        committed no change to it). `held`: the saga (at version `owned`, leased to the
        caller) and its booking just written by the caller, so the first step need not read
        them back; a stale copy only makes that step's optimistic save fail and stop."""
        quick_retries = 0
        progressed = False
        latest: Booking | None = None
        while True:
            if held is not None:
                step = await self._step_held(*held)
                held = None
            else:
                step = await self._step(booking_id, owned)
            if step.outcome is _Outcome.STOP:
                return progressed, latest
            progressed = True
            owned = step.version
            latest = step.booking or latest
            if step.finished:
                return progressed, latest
            if step.outcome is _Outcome.RETRY:
                if quick_retries >= self._settings.quick_retries:
                    return progressed, latest
                quick_retries += 1

    # -- one step --------------------------------------------------------------------------

    async def _step(self, booking_id: UUID, owned: int | None) -> _Step:
        now = self._clock.now()
        async with self._uow() as uow:
            saga = await uow.sagas.get(booking_id)
            booking = await uow.bookings.get(booking_id)
            if saga is None or booking is None or saga.is_finished:
                return _STOP
            # Not due: someone's lease, or a backoff (unless it is our own backoff).
            if saga.version != owned and saga.next_attempt_at > now:
                return _STOP
            if saga.phase != SagaPhase.COMPENSATING and now >= saga.expires_at:
                return await self._expire(uow, saga, booking, now)
            leased = saga.leased(now, now + self._settings.lease)
            try:
                await uow.sagas.save(leased)
            except StaleBooking:
                return _STOP
            await uow.commit()
        return await self._dispatch(leased, booking)

    async def _step_held(self, saga: BookingSaga, booking: Booking) -> _Step:
        """`_step` for a saga its caller has just written, and holds the lease of: renew
        the lease (the saved version records that a charge may now be sent) without reading
        back what is in hand; the optimistic save stops if anyone changed it meanwhile."""
        now = self._clock.now()
        leased = saga.leased(now, now + self._settings.lease)
        async with self._uow() as uow:
            try:
                await uow.sagas.save(leased)
            except StaleBooking:
                return _STOP
            await uow.commit()
        return await self._dispatch(leased, booking)

    async def _dispatch(self, saga: BookingSaga, booking: Booking) -> _Step:
        """The saga's next step, with the lease held on `saga`."""
        if saga.phase == SagaPhase.CHARGING:
            return await self._charge(saga, booking)
        if saga.phase == SagaPhase.RESERVING:
            return await self._reserve(saga, booking)
        return await self._compensate(saga, booking)

    async def _expire(
        self, uow: BookingUnitOfWork, saga: BookingSaga, booking: Booking, now: datetime
    ) -> _Step:
        """Not confirmed in time: the booking fails; give back what may have been taken."""
        failed, event = booking.fail(FAILURE_EXPIRED, now)
        if saga.phase == SagaPhase.RESERVING:
            following = saga.compensate(now, refund=saga.amount, release=True, reason=event.reason)
        else:
            refund = saga.amount if saga.charge_may_have_happened else None
            following = saga.compensate(now, refund=refund, release=False, reason=event.reason)
        return await self._commit(uow, saga, following, failed, event)

    async def _charge(self, saga: BookingSaga, booking: Booking) -> _Step:
        try:
            outcome = await self._payments.charge(
                idempotency_key=charge_key(saga.booking_id),
                token=saga.payment_token,
                amount=saga.amount,
                description=payment_description(saga.booking_id),
            )
        except PaymentGatewayUnavailable:
            return await self._retry_later(saga)
        await self._faults.at("after_charge_call")
        now = self._clock.now()
        # The saga and booking in hand are the versions this lease was taken on: saving
        # their successors fails (StaleBooking: stop) if anyone changed either meanwhile.
        current = booking
        async with self._uow() as uow:
            events: list[Event] = []
            changed: Booking | None
            if outcome.succeeded and outcome.reference is not None:
                following = saga.charged(
                    now,
                    reference=outcome.reference,
                    method=_method(outcome.method),
                    products=bool(current.products),
                )
                events.append(self._payment_processed(following, current, now))
                changed = None
                if following.is_finished:
                    changed, confirmed = current.confirm(now)
                    events.append(confirmed)
            else:
                reason = payment_declined_reason(outcome.decline_reason)
                changed, failed = current.fail(reason, now)
                following = saga.failed(now, reason)
                events.append(failed)
            step = await self._commit(uow, saga, following, changed, *events)
        if step.outcome is not _Outcome.STOP:
            await self._faults.at("after_charge_commit")
        return step

    async def _reserve(self, saga: BookingSaga, booking: Booking) -> _Step:
        reservations = self._reservations
        if reservations is None:  # a configuration error: wait for one that has them
            return await self._retry_later(saga)
        try:
            outcome = await reservations.reserve(
                reservation_id=reservation_id_for(saga.booking_id),
                location_id=booking.clinic_id,
                lines=booking.products,
                expires_at=booking.ends_at + self._settings.reservation_grace,
                reference=reservation_reference(saga.booking_id),
            )
        except ReservationsUnavailable:
            return await self._retry_later(saga)
        await self._faults.at("after_reserve_call")
        now = self._clock.now()
        current = booking  # as in _charge: the optimistic saves check both versions
        async with self._uow() as uow:
            if outcome.reserved:
                changed, event = current.confirm(now)
                following = saga.reserved(now)
                step = await self._commit(uow, saga, following, changed, event)
            else:
                reason = products_unavailable_reason(outcome.reason)
                changed, failed = current.fail(reason, now)
                following = saga.compensate(now, refund=saga.amount, release=False, reason=reason)
                step = await self._commit(uow, saga, following, changed, failed)
        if step.outcome is not _Outcome.STOP:
            await self._faults.at("after_reserve_commit")
        return step

    async def _compensate(self, saga: BookingSaga, booking: Booking) -> _Step:
        if saga.refund_due is not None and saga.gateway_reference is None:
            return await self._resolve_charge(saga, booking)
        if saga.refund_due is not None and saga.gateway_reference is not None:
            try:
                refund = await self._payments.refund(
                    idempotency_key=refund_key(saga.booking_id),
                    charge_reference=saga.gateway_reference,
                    amount=saga.refund_due,
                )
            except PaymentGatewayUnavailable:
                return await self._retry_later(saga)
            await self._faults.at("after_refund_call")
            now = self._clock.now()
            async with self._uow() as uow:
                if await self._current(uow, saga) is None:
                    return _STOP
                following = saga.refund_made(now, refund.amount)
                event = PaymentRefunded(
                    payment_id=_payment_id(saga),
                    booking_id=booking.booking_id,
                    clinic_id=booking.clinic_id,
                    owner_id=booking.owner_id,
                    amount=refund.amount,
                    cause=refund_cause(booking),
                    occurred_at=now,
                    aggregate_version=2,  # the payment's second change
                )
                return await self._commit(uow, saga, following, None, event)
        if saga.release_due:
            reservations = self._reservations
            if reservations is None:
                return await self._retry_later(saga)
            try:
                await reservations.release(
                    reservation_id_for(saga.booking_id), saga.failure_reason or "cancelled"
                )
            except ReservationsUnavailable:
                return await self._retry_later(saga)
            await self._faults.at("after_release_call")
            now = self._clock.now()
            async with self._uow() as uow:
                if await self._current(uow, saga) is None:
                    return _STOP
                return await self._commit(uow, saga, saga.reservation_released(now), None)
        now = self._clock.now()  # nothing owed (not reached in practice): just finish
        async with self._uow() as uow:
            if await self._current(uow, saga) is None:
                return _STOP
            return await self._commit(uow, saga, saga.finish(now), None)

    async def _resolve_charge(self, saga: BookingSaga, booking: Booking) -> _Step:
        """A charge may have happened but its outcome was lost: ask again with the same key.
        The gateway answers the first outcome (or, if the first call never arrived, charges
        now); either way what was taken is then refunded."""
        try:
            outcome = await self._payments.charge(
                idempotency_key=charge_key(saga.booking_id),
                token=saga.payment_token,
                amount=saga.amount,
                description=payment_description(saga.booking_id),
            )
        except PaymentGatewayUnavailable:
            return await self._retry_later(saga)
        await self._faults.at("after_charge_call")
        now = self._clock.now()
        async with self._uow() as uow:
            if await self._current(uow, saga) is None:
                return _STOP
            if outcome.succeeded and outcome.reference is not None:
                following = saga.charge_resolved(
                    now, reference=outcome.reference, method=_method(outcome.method)
                )
                event = self._payment_processed(following, booking, now)
                return await self._commit(uow, saga, following, None, event)
            return await self._commit(uow, saga, saga.nothing_to_refund(now), None)

    # -- helpers ---------------------------------------------------------------------------

    async def _current(self, uow: BookingUnitOfWork, saga: BookingSaga) -> Booking | None:
        """The booking, if the saga is still as this orchestrator left it (else None)."""
        stored = await uow.sagas.get(saga.booking_id)
        if stored is None or stored.version != saga.version:
            return None
        return await uow.bookings.get(saga.booking_id)

    async def _commit(
        self,
        uow: BookingUnitOfWork,
        saga: BookingSaga,
        following: BookingSaga,
        booking: Booking | None,
        *events: Event,
    ) -> _Step:
        """Save the saga's next version (and the changed booking) with their events."""
        try:
            await uow.sagas.save(following)
            if booking is not None:
                await uow.bookings.save(booking)
        except StaleBooking:
            return _STOP
        uow.record(*events)
        await uow.commit()
        return _Step(_Outcome.PROGRESS, following.version, following.is_finished, booking=booking)

    async def _retry_later(self, saga: BookingSaga) -> _Step:
        now = self._clock.now()
        attempt = saga.attempts + 1
        delay = min(
            self._settings.backoff_cap, self._settings.backoff_base * 2 ** min(attempt - 1, 30)
        )
        delay = delay * (0.5 + 0.5 * self._jitter())  # "equal jitter": half fixed, half random
        async with self._uow() as uow:
            stored = await uow.sagas.get(saga.booking_id)
            if stored is None or stored.version != saga.version:
                return _STOP
            following = saga.retry_later(now, now + delay)
            try:
                await uow.sagas.save(following)
            except StaleBooking:
                return _STOP
            await uow.commit()
        return _Step(_Outcome.RETRY, following.version)

    @staticmethod
    def _payment_processed(saga: BookingSaga, booking: Booking, now: datetime) -> Event:
        return PaymentProcessed(
            payment_id=_payment_id(saga),
            booking_id=booking.booking_id,
            clinic_id=booking.clinic_id,
            owner_id=booking.owner_id,
            amount=saga.amount,
            method=saga.payment_method or "card",
            occurred_at=now,
            aggregate_version=1,
        )


def refund_cause(booking: Booking) -> str:
    """Why money goes back: the owner or clinic cancelled, or the booking never completed."""
    return "cancelled" if booking.status is BookingStatus.CANCELLED else "failed"


def _method(method: str | None) -> str:
    return method if method is not None and method in PAYMENT_METHOD_KINDS else "card"


def _payment_id(saga: BookingSaga) -> UUID:
    if saga.payment_id is None:
        raise RuntimeError("the saga has no payment yet")
    return saga.payment_id
