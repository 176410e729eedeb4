"""The booking saga on in-memory adapters and the deterministic fake gateway: a booking ends
confirmed with exactly one charge, or failed/cancelled with everything charged refunded and
nothing reserved — also after declines, timeouts, transient outages, inventory refusals,
expired holds, duplicate requests and a crash of the orchestrator at every fault point."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from petpro_core.booking.commands import (
    AdvanceDueSagas,
    CancelBooking,
    CreateBooking,
    ListPaymentRecords,
)
from petpro_core.booking.domain.bookings import Booking, BookingStatus
from petpro_core.booking.domain.errors import (
    BookingIdTaken,
    HoldExpired,
    PaymentDeclined,
    ProductsUnavailable,
    booking_failure,
)
from petpro_core.booking.domain.saga import (
    SagaPhase,
    payment_id_for,
    reservation_id_for,
)
from petpro_core.booking.saga import SAGA_FAULT_POINTS
from petpro_core.shared.actors import OPERATOR_ACTOR
from petpro_core.shared.errors import PermissionDenied
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from tests.support.booking import T0, TOMORROW, BookingWorld, ClinicSetup, Crash, owner_actor

TOMORROW_10_UTC = T0 + timedelta(days=1, hours=1)


@pytest.fixture
def world() -> BookingWorld:
    return BookingWorld()


async def advance_due(world: BookingWorld, limit: int = 100) -> int:
    advanced: int = await world.bus.execute(AdvanceDueSagas(limit=limit))
    return advanced


# Longer than a lease and than the longest backoff.
PAST_LEASES = timedelta(minutes=1, seconds=1)


async def recover(world: BookingWorld, *, wait: timedelta = PAST_LEASES) -> None:
    """The recovery worker, run until every saga finished, the clock moving `wait` (past
    leases and backoffs) before each round; a worker that crashes is started again."""
    for _ in range(30):
        if all(saga.is_finished for saga in world.store.state.sagas.values()):
            return
        world.clock.advance(wait)
        with contextlib.suppress(Crash):
            await advance_due(world)
    raise AssertionError("sagas did not finish")


def total(amounts: list[Money]) -> Decimal:
    return sum((m.amount for m in amounts), Decimal(0))


async def assert_settled(world: BookingWorld, booking_id: UUID) -> Booking:
    """Nothing hanging: the saga finished; confirmed with exactly one charge and its products
    reserved, or failed/cancelled with every charge refunded and no reservation left."""
    booking = await world.booking(booking_id)
    saga = await world.saga(booking_id)
    assert saga.phase == SagaPhase.FINISHED
    charges, refunds = world.charged(booking_id), world.refunded(booking_id)
    assert len(charges) <= 1, "charged twice"
    reservation = world.reservations.reservations.get(reservation_id_for(booking_id))
    if booking.status == BookingStatus.CONFIRMED:
        assert charges == [booking.price]
        assert refunds == []
        assert (reservation is not None and not reservation.released) == bool(booking.products)
    else:
        assert booking.status in (BookingStatus.FAILED, BookingStatus.CANCELLED)
        assert total(charges) == total(refunds)
        assert reservation is None or reservation.released
    # The outbox tells the same story as the gateway.
    assert len(world.events("payment.processed", booking_id=booking_id)) == len(charges)
    assert len(world.events("payment.refunded", booking_id=booking_id)) == len(refunds)
    return booking


# -- the happy path ------------------------------------------------------------------------


async def test_a_booking_is_charged_once_and_confirmed(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()

    booking = await world.book(owner, pet, setup)

    assert booking.status == BookingStatus.CONFIRMED
    assert booking.version == 2
    assert booking.vet_id == setup.vets[0]
    assert world.charged(booking.booking_id) == [setup.service.price]
    saga = await world.saga(booking.booking_id)
    assert saga.payment_id == payment_id_for(booking.booking_id)
    assert saga.gateway_reference == world.payments.charges[0].reference
    assert saga.payment_method == "card"
    created, processed, confirmed = world.events()
    assert (created.NAME, created.aggregate_version) == ("booking.created", 1)
    assert (processed.NAME, processed.payment_id, processed.amount, processed.method) == (
        "payment.processed",
        saga.payment_id,
        setup.service.price,
        "card",
    )
    assert (processed.owner_id, processed.clinic_id) == (owner.user_id, setup.clinic.clinic_id)
    assert (confirmed.NAME, confirmed.aggregate_version) == ("booking.confirmed", 2)
    await assert_settled(world, booking.booking_id)


async def test_products_are_reserved_at_the_clinic_before_confirming(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    products = world.stock(10)

    booking = await world.book(owner, pet, setup, products=products)

    assert booking.status == BookingStatus.CONFIRMED
    (reservation,) = world.reservations.active()
    assert reservation.reservation_id == reservation_id_for(booking.booking_id)
    assert reservation.location_id == setup.clinic.clinic_id
    assert reservation.lines == products
    assert reservation.reference == f"booking:{booking.booking_id}"
    assert reservation.expires_at > booking.ends_at
    assert (await world.saga(booking.booking_id)).reservation_id == reservation.reservation_id
    await assert_settled(world, booking.booking_id)


# -- declines, timeouts, outages -----------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "reason"),
    [("tok_declined", "card declined"), ("tok_insufficient_funds", "insufficient funds")],
)
async def test_a_declined_payment_fails_the_booking_and_frees_the_slot(
    world: BookingWorld, token: str, reason: str
) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()

    booking = await world.book(owner, pet, setup, token=token, products=world.stock(10))

    assert booking.status == BookingStatus.FAILED
    assert booking.failure_reason == f"payment declined: {reason}"
    error = booking_failure(booking)
    assert isinstance(error, PaymentDeclined)
    assert (error.code, error.detail) == ("payment-declined", reason)
    assert error.extra["booking_id"] == str(booking.booking_id)
    assert world.payments.charges == []
    assert world.reservations.calls["reserve"] == 0
    (failed,) = world.events("booking.failed")
    assert (failed.reason, failed.aggregate_version) == (booking.failure_reason, 2)
    await assert_settled(world, booking.booking_id)
    # The slot is free again.
    assert (await world.book(owner, pet, setup)).status == BookingStatus.CONFIRMED


async def test_a_timeout_after_the_charge_is_retried_without_charging_twice(
    world: BookingWorld,
) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()

    booking = await world.book(owner, pet, setup, token="tok_timeout_after_charge")

    assert booking.status == BookingStatus.CONFIRMED
    assert world.payments.calls["charge"] == 2  # the timeout, then the retry's answer
    assert len(world.payments.charges) == 1
    await assert_settled(world, booking.booking_id)


async def test_a_transient_failure_is_left_to_the_recovery_worker_after_a_backoff() -> None:
    world = BookingWorld(quick_retries=0)
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()

    booking = await world.book(owner, pet, setup, token="tok_transient")

    assert booking.status == BookingStatus.HELD
    saga = await world.saga(booking.booking_id)
    assert (saga.phase, saga.attempts) == (SagaPhase.CHARGING, 1)
    delay = saga.next_attempt_at - world.clock.now()
    assert timedelta(seconds=0.5) <= delay <= timedelta(seconds=1)
    assert await advance_due(world) == 0  # not due during the backoff

    world.clock.advance(timedelta(seconds=1))
    assert await advance_due(world) == 1

    confirmed = await assert_settled(world, booking.booking_id)
    assert confirmed.status == BookingStatus.CONFIRMED
    assert world.payments.calls["charge"] == 2


async def test_the_orchestrator_retries_a_transient_failure_at_once(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()

    booking = await world.book(owner, pet, setup, token="tok_transient")

    assert booking.status == BookingStatus.CONFIRMED
    assert (await world.saga(booking.booking_id)).attempts == 0


async def test_the_backoff_grows_exponentially_up_to_a_minute() -> None:
    world = BookingWorld(quick_retries=0, hold_timeout=timedelta(hours=1))
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    world.payments.charges_unavailable = True
    booking = await world.book(owner, pet, setup)

    delays = []
    for _ in range(9):
        saga = await world.saga(booking.booking_id)
        delays.append(saga.next_attempt_at - world.clock.now())
        world.clock.advance(delays[-1])
        assert await advance_due(world) == 1

    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(timedelta(seconds=2 ** (attempt - 1)), timedelta(minutes=1))
        assert ceiling / 2 <= delay <= ceiling
    assert (await world.saga(booking.booking_id)).attempts == 10

    world.payments.charges_unavailable = False
    await recover(world)
    assert (await assert_settled(world, booking.booking_id)).status == BookingStatus.CONFIRMED


# -- inventory -----------------------------------------------------------------------------


async def test_products_inventory_cannot_reserve_are_refunded(world: BookingWorld) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()

    booking = await world.book(owner, pet, setup, products=world.stock(1))

    assert booking.status == BookingStatus.FAILED
    assert isinstance(booking_failure(booking), ProductsUnavailable)
    assert world.charged(booking.booking_id) == [setup.service.price]
    assert world.refunded(booking.booking_id) == [setup.service.price]
    (refunded,) = world.events("payment.refunded")
    assert (refunded.payment_id, refunded.amount, refunded.aggregate_version) == (
        payment_id_for(booking.booking_id),
        setup.service.price,
        2,
    )
    assert world.payments.net_charged(world.payments.charges[0].reference).amount == 0
    assert world.reservations.active() == []
    saga = await world.saga(booking.booking_id)
    assert saga.refunded == setup.service.price
    await assert_settled(world, booking.booking_id)


async def test_a_hold_that_expires_while_inventory_is_down_is_compensated() -> None:
    world = BookingWorld(quick_retries=0)
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    world.reservations.unavailable = True

    booking = await world.book(owner, pet, setup, products=world.stock(10))
    assert booking.status == BookingStatus.HELD

    world.clock.advance(timedelta(minutes=16))
    world.reservations.unavailable = False
    await recover(world)

    failed = await assert_settled(world, booking.booking_id)
    assert failed.status == BookingStatus.FAILED
    assert failed.failure_reason == "expired"
    assert isinstance(booking_failure(failed), HoldExpired)
    assert world.refunded(booking.booking_id) == [setup.service.price]
    assert world.reservations.calls["release"] == 1


async def test_an_expired_hold_refunds_a_charge_whose_answer_was_lost() -> None:
    world = BookingWorld(quick_retries=0)
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    # The charge went through but the answer was lost; then the gateway is down until expiry.
    booking = await world.book(owner, pet, setup, token="tok_timeout_after_charge")
    world.payments.charges_unavailable = True
    for _ in range(12):
        world.clock.advance(timedelta(minutes=1, seconds=1))
        await advance_due(world)
    assert (await world.booking(booking.booking_id)).status == BookingStatus.HELD

    world.clock.advance(timedelta(minutes=5))
    world.payments.charges_unavailable = False
    await recover(world)

    failed = await assert_settled(world, booking.booking_id)
    assert (failed.status, failed.failure_reason) == (BookingStatus.FAILED, "expired")
    assert world.charged(booking.booking_id) == world.refunded(booking.booking_id) == [failed.price]


async def test_a_hold_never_charged_expires_without_touching_the_gateway(
    world: BookingWorld,
) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    world.faults.arm("after_hold")
    booking_id = new_id()
    with pytest.raises(Crash):
        await world.book(owner, pet, setup, booking_id=booking_id)

    world.clock.advance(timedelta(minutes=15))
    assert await advance_due(world) == 1

    failed = await assert_settled(world, booking_id)
    assert (failed.status, failed.failure_reason) == (BookingStatus.FAILED, "expired")
    assert world.payments.calls == {"charge": 0, "refund": 0}


async def test_the_recovery_job_leaves_a_just_held_saga_to_its_request(
    world: BookingWorld,
) -> None:
    # The request that held the booking owns its saga for a lease; the recovery job taking
    # it meanwhile would leave the request answering "held" instead of "confirmed".
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    swept: list[int] = []

    async def recovery_job_runs_now() -> None:
        swept.append(await advance_due(world))

    world.faults.hooks["after_hold"] = recovery_job_runs_now
    booking = await world.book(owner, pet, setup)
    assert swept == [0]
    assert booking.status is BookingStatus.CONFIRMED
    assert len(world.payments.charges) == 1


# -- duplicates and races ------------------------------------------------------------------


async def test_the_same_booking_id_makes_one_booking_and_one_charge(world: BookingWorld) -> None:
    setup = await world.add_clinic(vets=2)
    owner, pet = await world.owner_with_pet()
    booking_id = new_id()

    first = await world.book(owner, pet, setup, booking_id=booking_id)
    again = await world.book(owner, pet, setup, booking_id=booking_id)

    assert again == first
    assert len(world.store.state.bookings) == 1
    assert len(world.payments.charges) == 1
    assert len(world.events("booking.created")) == 1


async def test_concurrent_requests_with_one_booking_id_make_one_booking(
    world: BookingWorld,
) -> None:
    setup = await world.add_clinic(vets=2)
    owner, pet = await world.owner_with_pet()
    booking_id = new_id()

    results = await asyncio.gather(
        *(world.book(owner, pet, setup, booking_id=booking_id) for _ in range(5))
    )

    assert {b.booking_id for b in results} == {booking_id}
    assert {b.status for b in results} == {BookingStatus.CONFIRMED}
    assert len(world.store.state.bookings) == 1
    assert len(world.payments.charges) == 1


async def test_a_repeat_of_a_held_booking_advances_its_saga() -> None:
    world = BookingWorld(quick_retries=0)
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    booking_id = new_id()
    held = await world.book(owner, pet, setup, token="tok_transient", booking_id=booking_id)
    assert held.status == BookingStatus.HELD

    world.clock.advance(timedelta(seconds=2))
    again = await world.book(owner, pet, setup, token="tok_transient", booking_id=booking_id)

    assert again.status == BookingStatus.CONFIRMED
    await assert_settled(world, booking_id)


async def test_another_owner_cannot_reuse_a_booking_id(world: BookingWorld) -> None:
    setup = await world.add_clinic(vets=2)
    owner, pet = await world.owner_with_pet()
    intruder, their_pet = await world.owner_with_pet()
    booking_id = new_id()
    await world.book(owner, pet, setup, booking_id=booking_id)

    with pytest.raises(BookingIdTaken):
        await world.book(intruder, their_pet, setup, booking_id=booking_id)


async def test_a_lease_keeps_a_second_orchestrator_away_until_it_runs_out(
    world: BookingWorld,
) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    world.faults.arm("after_charge_call")
    booking_id = new_id()
    with pytest.raises(Crash):
        await world.book(owner, pet, setup, booking_id=booking_id)

    assert await advance_due(world) == 0  # the dead orchestrator's lease still holds
    world.clock.advance(world.lease)
    assert await advance_due(world) == 1

    assert (await assert_settled(world, booking_id)).status == BookingStatus.CONFIRMED
    assert world.payments.calls["charge"] == 2


async def test_a_cancellation_during_a_charge_wins_and_the_charge_is_refunded(
    world: BookingWorld,
) -> None:
    """The owner cancels while the orchestrator waits for the gateway: the orchestrator's
    outcome is dropped (the saga moved on), and the cancellation's compensation learns the
    charge by replaying it and refunds it."""
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    booking_id = new_id()

    async def cancel_meanwhile() -> None:
        await world.bus.execute(CancelBooking(actor=owner, booking_id=booking_id))

    world.faults.hooks["after_charge_call"] = cancel_meanwhile
    answered = await world.book(owner, pet, setup, booking_id=booking_id)

    assert answered.status == BookingStatus.CANCELLED
    cancelled = await assert_settled(world, booking_id)
    assert cancelled.cancelled_by == "owner"
    assert world.charged(booking_id) == world.refunded(booking_id) == [setup.service.price]
    assert world.events("booking.confirmed") == []


# -- a crash at every fault point ------------------------------------------------------------


async def _scenario(world: BookingWorld, name: str, setup: ClinicSetup, booking_id: UUID) -> None:
    owner = owner_actor()
    pet = await world.add_pet(owner)
    if name == "confirm":
        await world.book(owner, pet, setup, booking_id=booking_id)
    elif name == "timeout_after_charge":
        await world.book(
            owner,
            pet,
            setup,
            token="tok_timeout_after_charge",
            products=world.stock(10),
            booking_id=booking_id,
        )
    elif name == "with_products":
        await world.book(owner, pet, setup, products=world.stock(10), booking_id=booking_id)
    elif name == "products_short":
        await world.book(owner, pet, setup, products=world.stock(1), booking_id=booking_id)
    elif name == "clinic_cancels":
        armed, world.faults.armed = world.faults.armed, set()
        await world.book(owner, pet, setup, products=world.stock(10), booking_id=booking_id)
        world.faults.armed = armed
        await world.bus.execute(
            CancelBooking(actor=setup.staff(), booking_id=booking_id, reason="vet is ill")
        )
    else:
        raise AssertionError(name)


SCENARIOS = ["confirm", "timeout_after_charge", "with_products", "products_short", "clinic_cancels"]
EXPECTED = {
    "confirm": BookingStatus.CONFIRMED,
    "timeout_after_charge": BookingStatus.CONFIRMED,
    "with_products": BookingStatus.CONFIRMED,
    "products_short": BookingStatus.FAILED,
    "clinic_cancels": BookingStatus.CANCELLED,
}


@pytest.mark.parametrize("wait", ["lease", "expiry"])
@pytest.mark.parametrize("point", sorted(SAGA_FAULT_POINTS))
@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_a_crash_at_any_point_leaves_nothing_orphaned(
    scenario: str, point: str, wait: str
) -> None:
    """Kill the orchestrator at `point`; a new one (the recovery worker, once the lease ran
    out, or after the hold expired) ends the saga confirmed with exactly one charge, or
    failed/cancelled with the charge refunded and no reservation left."""
    world = BookingWorld(quick_retries=0)
    setup = await world.add_clinic()
    booking_id = new_id()
    world.faults.arm(point)

    with contextlib.suppress(Crash):
        await _scenario(world, scenario, setup, booking_id)
    # Left unfinished: crashed, or waiting out a backoff (the timeout token).
    unfinished = not all(s.is_finished for s in world.store.state.sagas.values())

    await recover(world, wait=timedelta(minutes=20) if wait == "expiry" else PAST_LEASES)
    booking = await assert_settled(world, booking_id)
    if wait == "expiry" and unfinished and booking.status != EXPECTED[scenario]:
        # The hold ran out before a new orchestrator came: failed, everything given back.
        assert (booking.status, booking.failure_reason) == (BookingStatus.FAILED, "expired")
    else:
        assert booking.status == EXPECTED[scenario]


async def test_every_fault_point_is_reached_by_some_scenario() -> None:
    points: set[str] = set()
    for scenario in SCENARIOS:
        world = BookingWorld(quick_retries=0)
        setup = await world.add_clinic()
        await _scenario(world, scenario, setup, new_id())
        await recover(world)
        points |= set(world.faults.passed)
    assert points == SAGA_FAULT_POINTS


async def test_many_bookings_at_once_each_end_settled() -> None:
    """Concurrent requests for the same start on three vets, with every kind of token: each
    vet is taken once at most, and every booking ends settled."""
    world = BookingWorld()
    setup = await world.add_clinic(vets=3)
    tokens = ["tok_visa", "tok_declined", "tok_transient", "tok_timeout_after_charge"] * 3
    ids = [new_id() for _ in tokens]

    async def attempt(token: str, booking_id: UUID) -> None:
        owner, pet = await world.owner_with_pet()
        try:
            await world.book(owner, pet, setup, token=token, booking_id=booking_id)
        except Exception as exc:
            assert getattr(exc, "code", None) == "slot-unavailable"

    await asyncio.gather(*(attempt(t, i) for t, i in zip(tokens, ids, strict=True)))
    await recover(world)

    made = [i for i in ids if i in world.store.state.bookings]
    confirmed = [
        b
        for b in world.store.state.bookings.values()
        if b.status == BookingStatus.CONFIRMED and b.starts_at == setup.at(TOMORROW, 10)
    ]
    assert 1 <= len({b.vet_id for b in confirmed}) == len(confirmed) <= 3
    for booking_id in made:
        await assert_settled(world, booking_id)


async def test_create_booking_validates_its_input() -> None:
    owner = owner_actor()
    valid = {
        "actor": owner,
        "pet_id": new_id(),
        "clinic_id": new_id(),
        "service_id": new_id(),
        "starts_at": TOMORROW_10_UTC,
        "payment_token": "tok_visa",
    }
    CreateBooking(**valid)  # type: ignore[arg-type]
    for wrong in (
        {"starts_at": TOMORROW_10_UTC.replace(tzinfo=None)},
        {"payment_token": "  "},
    ):
        with pytest.raises(Exception) as caught:
            CreateBooking(**{**valid, **wrong})  # type: ignore[arg-type]
        assert getattr(caught.value, "code", None) == "invalid-input"


# -- payment records (what finance reconciles with) ------------------------------------------


async def test_payment_records_tell_what_was_charged_and_refunded_to_admins(
    world: BookingWorld,
) -> None:
    setup = await world.add_clinic()
    owner, pet = await world.owner_with_pet()
    booking = await world.book(owner, pet, setup)
    await world.bus.execute(CancelBooking(actor=owner, booking_id=booking.booking_id))
    await recover(world)
    processed = world.events("payment.processed", booking_id=booking.booking_id)[0]
    refunds = world.refunded(booking.booking_id)

    records = await world.bus.execute(ListPaymentRecords(actor=OPERATOR_ACTOR))
    assert [(r.payment_id, r.booking_id, r.clinic_id) for r in records] == [
        (processed.payment_id, booking.booking_id, setup.clinic.clinic_id)
    ]
    assert records[0].charged == setup.service.price
    assert records[0].refunded.amount == total(refunds) > 0
    assert records[0].charged_at == processed.occurred_at
    later = processed.occurred_at + timedelta(microseconds=1)
    assert (
        await world.bus.execute(ListPaymentRecords(actor=OPERATOR_ACTOR, charged_from=later)) == []
    )
    with pytest.raises(PermissionDenied):
        await world.bus.execute(ListPaymentRecords(actor=owner))
