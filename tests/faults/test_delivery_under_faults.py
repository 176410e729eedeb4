"""The event backbone under faults, on real PostgreSQL and Redis with real `petpro worker`
processes: killed relays and consumers, Redis losing its data, poison messages, competing
workers, a slow transaction, a graceful stop. Each test ends with the same statement:
every committed event delivered, every effect exactly once (`FaultLab.assert_exactly_once`).
"""

from __future__ import annotations

import signal
import time
from datetime import datetime
from functools import partial
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from adapters.sql.auth.repositories import SqlPetRepository
from adapters.sql.auth.tables import outbox as auth_outbox
from adapters.sql.outbox import write_outbox
from petpro_core.auth.domain.pets import Pet
from tests.faults.lab import BOOKING, FaultLab, now
from tests.support.workers import WorkerProcess, run_petpro

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

KILLED = -signal.SIGKILL
REFUSAL = "faults_refuse_nemo"


@pytest.mark.parametrize("point", ["relay.after_publish", "relay.before_publish"])
async def test_a_relay_killed_mid_batch_loses_nothing_and_its_duplicates_apply_once(
    lab: FaultLab, point: str
) -> None:
    pets = await lab.create_pets(60, per_transaction=3)
    await lab.update_pets(pets[:40], per_transaction=4)
    assert lab.unpublished() == 100
    lab.pool.start("booking")

    # Batch 1 (10 rows) is published and marked; in batch 2 the power goes out.
    crashed = lab.pool.start("auth", faults=f"{point}=2")
    assert crashed.wait(20) == KILLED
    assert lab.published() == 10
    published_twice = 10 if point == "relay.after_publish" else 0
    assert lab.messages_on_streams() == 10 + published_twice

    lab.pool.start("auth")  # a fresh relay publishes batch 2 (again), then the rest
    lab.wait_until_settled()
    assert lab.messages_on_streams() == 100 + published_twice  # duplicates were delivered...
    lab.assert_exactly_once()
    lab.assert_each_handler_ran_once()  # ...and the inbox turned them away


@pytest.mark.parametrize("point", ["consumer.after_commit", "consumer.before_commit"])
async def test_a_consumer_killed_mid_batch_is_taken_over_and_each_effect_applies_once(
    lab: FaultLab, point: str
) -> None:
    pets = await lab.create_pets(30, per_transaction=3)
    await lab.update_pets(pets[:20], per_transaction=2)
    lab.pool.start("auth")
    crashed = lab.pool.start("booking", faults=f"{point}=2")  # batch 2 is its last
    assert crashed.wait(20) == KILLED
    pending = lab.pending_messages()
    assert pending, "the second batch should be delivered and unacknowledged"
    assert len({consumer for _, _, consumer, _ in pending}) == 1
    in_flight = {lab.event_id_of(stream, message_id) for stream, message_id, _, _ in pending}
    committed = point == "consumer.after_commit"
    # After the commit the batch's inbox rows (and effects) exist; before it, nothing does.
    assert all(lab.handled(event_id) is committed for event_id in in_flight)

    # Another consumer takes them over once idle longer than the claim idle time (1 s),
    # reclaiming them all in its first round (its batch is large enough).
    lab.wait(lambda: lab.pending_idle_seconds() > 1.0, "the pending messages stay busy")
    taker = lab.pool.start("booking", PETPRO_CONSUMER_BATCH_SIZE="100")
    lab.wait_until_settled()
    assert lab.pending_messages() == []
    lab.assert_exactly_once()
    runs = lab.handler_runs()
    if committed:  # the takeover found them in the inbox: no handler ran again
        lab.assert_each_handler_ran_once()
    else:  # their first run was rolled back with the crash; the second one counts
        assert {event_id for event_id, n in runs.items() if n == 2} == in_flight
        assert all(n == 1 for event_id, n in runs.items() if event_id not in in_flight)
    assert taker.running()


async def test_when_redis_loses_its_data_the_relay_recreates_the_groups_and_replays(
    lab: FaultLab,
) -> None:
    relay = lab.pool.start("auth")
    consumer = lab.pool.start("booking")
    pets = await lab.create_pets(20, per_transaction=2)
    lab.wait_until_settled()

    # The consumer is away; its events wait on the streams. Then Redis restarts empty...
    assert consumer.terminate() == 0
    await lab.update_pets(pets, per_transaction=2)
    lab.wait(lambda: lab.unpublished() == 0, "the relay did not publish the updates")
    assert lab.messages_on_streams() == 40
    first_unconsumed = lab.scalar(
        "SELECT min(published_at) FROM auth.outbox WHERE event_name = 'pet.updated'"
    )
    assert lab.lose_redis_data() > 0
    # ...and a consumer recreates its groups before the relay looks (a consumer whose read
    # is answered NOGROUP does that at once).
    await lab.recreate_booking_groups()

    # The relay notices all the same (the data's epoch token changed), recreates what is
    # missing and queues for re-publishing everything since the group had last consumed
    # all (its safe point): at least what was not consumed yet.
    [warning] = lab.wait(lab.relay_warnings, "the relay did not notice the lost data")
    assert warning["requeued"] >= 20
    assert datetime.fromisoformat(warning["since"]) <= first_unconsumed
    assert BOOKING in lab.groups("pet.updated")
    lab.wait(lambda: lab.unpublished() == 0, "the relay did not re-publish")
    assert lab.messages_on_streams() >= 20

    # The consumer comes back; Redis loses everything again while events are flowing.
    lab.pool.start("booking")
    await lab.update_pets(pets[:10])
    more = await lab.create_pets(40)
    lab.wait(lambda: lab.inbox_count() >= 50, "the consumer did not catch up")
    assert lab.lose_redis_data() > 0
    await lab.update_pets(more)
    lab.wait(lambda: len(lab.relay_warnings()) == 2, "the second loss went unnoticed")
    lab.wait_until_settled()
    lab.assert_exactly_once()
    assert relay.running()


async def test_poison_messages_are_dead_lettered_after_exactly_n_deliveries_then_redriven(
    lab: FaultLab,
) -> None:
    # booking's database refuses one pet (what an operator can fix: here a constraint).
    lab.sql.execute(
        f"ALTER TABLE booking.pet_cache ADD CONSTRAINT {REFUSAL} CHECK (name <> 'Nemo')"
    )
    try:
        lab.pool.start("auth")
        # Retries slow enough to see the healthy messages pass the poison (claim idle: 1 s).
        lab.pool.start(
            "booking",
            PETPRO_CONSUMER_MAX_DELIVERIES="3",
            PETPRO_CONSUMER_RETRY_BASE_SECONDS="0.5",
            PETPRO_CONSUMER_RETRY_MAX_SECONDS="0.9",
        )
        await lab.create_pets(10, per_transaction=2)
        # Undecodable: not a pet.created v2 at all, the pet id is not a UUID.
        undecodable = await lab.write_raw_row(lab.pet_created(), pet_id="not-a-uuid")
        # Decodable, but the handler refuses it: booking caches names of 1 to 100 characters.
        unhandleable = await lab.write_event(lab.pet_created(name="N" * 150))
        # An ordinary pet whose cache row booking's database refuses: the transaction of
        # its batch cannot commit.
        [nemo, *_] = await lab.create_pets(5, per_transaction=5, names=["Nemo"])
        uncommittable = lab.created_event_of(nemo)
        healthy_after = await lab.create_pets(15, per_transaction=3)

        poison = {undecodable, unhandleable, uncommittable}
        lab.wait_until_settled(excluded=poison)  # the healthy messages kept flowing...
        letters = await lab.wait_for_async(lambda: _dead_letters(lab, 3))
        by_event = {lab.event_id_of_body(letter.body): letter for letter in letters}
        assert set(by_event) == poison
        assert [letter.deliveries for letter in letters] == [3, 3, 3]
        assert by_event[undecodable].error.startswith("undecodable")
        assert "name must be 1 to 100 characters" in by_event[unhandleable].error
        assert "violates check constraint" in by_event[uncommittable].error
        assert not any(lab.handled(event_id) for event_id in poison)
        # ...past the poison: handled while it was still being retried.
        later = lab.handled_at(lab.created_event_of(pet_id) for pet_id in healthy_after)
        assert max(later) < min(letter.dead_at for letter in letters)

        listed = run_petpro(["dlq", "list", "--group", BOOKING], lab.pool.env)
        assert listed.returncode == 0, listed.stderr
        assert "Dead letters (3)" in listed.stdout
        for letter in letters:
            [row] = [line for line in listed.stdout.splitlines() if letter.dead_letter_id in line]
            assert "petpro.pet.created.v2" in row and " 3 " in row

        # The operator removes the cause of one, then gives all three back to the group.
        lab.sql.execute(f"ALTER TABLE booking.pet_cache DROP CONSTRAINT {REFUSAL}")
        redriven = run_petpro(["dlq", "redrive", "--group", BOOKING, "--all"], lab.pool.env)
        assert redriven.returncode == 0, redriven.stderr
        assert redriven.stdout.strip() == "booking: 3 dead letters redriven"
        lab.wait(lambda: lab.handled(uncommittable), "the redriven event was not handled")
        again = await lab.wait_for_async(lambda: _dead_letters(lab, 2))
        assert {lab.event_id_of_body(letter.body) for letter in again} == {
            undecodable,
            unhandleable,
        }
        # Delivered afresh from the group's redrive stream, given up on after 3 again.
        assert [letter.deliveries for letter in again] == [3, 3]
        assert all(letter.stream.endswith(f":redrive:{BOOKING}") for letter in again)
        lab.wait_until_settled(excluded={undecodable, unhandleable})
        lab.assert_exactly_once(excluded={undecodable, unhandleable})
        assert lab.pet_cache()[lab.pet_id_of(uncommittable)].name == "Nemo"
    finally:
        lab.sql.execute(f"ALTER TABLE booking.pet_cache DROP CONSTRAINT IF EXISTS {REFUSAL}")


async def _dead_letters(lab: FaultLab, count: int) -> list:  # type: ignore[type-arg]
    letters = await lab.dead_letters()
    return letters if len(letters) == count else []


async def test_two_relays_and_two_consumers_share_the_work_and_apply_each_event_once(
    lab: FaultLab,
) -> None:
    relays = [lab.pool.start("auth", name=f"relay{n}") for n in (1, 2)]
    for relay in relays:
        lab.wait(partial(relay.logged, "event backbone running"), "a relay did not start")
    consumers = [lab.pool.start("booking", name=f"consumer{n}") for n in (1, 2)]
    for consumer in consumers:
        lab.wait(partial(consumer.logged, "event backbone running"), "a consumer did not start")

    pets = await lab.create_pets(100, per_transaction=5)
    for _ in range(3):
        await lab.update_pets(pets, per_transaction=5)
    await lab.update_pets(pets[:50], per_transaction=5)
    await lab.delete_pets(pets[50:], per_transaction=5)
    assert len(lab.committed_pet_events()) == 500

    lab.wait_until_settled(timeout=30)
    lab.assert_exactly_once()
    # SKIP LOCKED: each row went to the streams once although two relays competed.
    assert lab.messages_on_streams() == 500
    lab.assert_each_handler_ran_once()
    assert all(lab.handler_runs_by(consumer) for consumer in consumers), "one consumer idled"


async def test_an_event_whose_transaction_commits_last_is_still_delivered(
    lab: FaultLab,
) -> None:
    lab.pool.start("auth")
    lab.pool.start("booking")
    await lab.create_pets(5)
    lab.wait_until_settled()

    pet, created = Pet.register(
        pet_id=uuid4(),
        owner_id=lab.owner_id,
        now=now(),
        name="Slowpoke",
        species="rabbit",
        sex="female",
        breed=None,
        date_of_birth=None,
        weight_kg=None,
        microchip=None,
        notes=None,
    )
    async with lab.database.engine.connect() as slow:
        # The long transaction takes its outbox position first and holds it, uncommitted.
        await SqlPetRepository(lambda: slow).add(pet)
        await write_outbox(slow, auth_outbox, [(created, None)])
        slow_position = await slow.scalar(
            select(auth_outbox.c.position).where(auth_outbox.c.id == created.event_id)
        )
        later = await lab.create_pets(20, per_transaction=2)
        lab.wait_until_settled()  # published and consumed past the open transaction
        positions = await slow.scalar(
            select(func.min(auth_outbox.c.position)).where(auth_outbox.c.aggregate_id.in_(later))
        )
        assert slow_position < positions
        assert not lab.handled(created.event_id)
        await slow.commit()

    lab.wait(lambda: lab.handled(created.event_id), "the late commit was never delivered")
    lab.wait_until_settled()
    lab.assert_exactly_once()
    assert lab.pet_cache()[pet.id].name == "Slowpoke"


async def test_sigterm_finishes_the_batch_in_flight_and_exits_promptly(lab: FaultLab) -> None:
    await lab.create_pets(600, per_transaction=20)
    # Tiny batches, so the workers are busy for a while and mid-batch most of the time.
    relay = lab.pool.start("auth", PETPRO_RELAY_BATCH_SIZE="2")
    lab.wait(lambda: lab.published() >= 100, "the relay did not start")
    _stop_promptly(relay)
    # Every batch it published it also marked: nothing is on the streams twice or unmarked.
    assert 0 < lab.published() < 600
    assert lab.messages_on_streams() == lab.published()

    consumer = lab.pool.start("booking", PETPRO_CONSUMER_BATCH_SIZE="2")
    lab.wait(lambda: lab.inbox_count() >= 40, "the consumer did not start")
    _stop_promptly(consumer)
    # Every message it took it committed and acknowledged.
    assert 0 < lab.inbox_count() < lab.published()
    assert lab.pending_messages() == []

    lab.pool.start("auth")
    lab.pool.start("booking")
    lab.wait_until_settled()
    lab.assert_exactly_once()
    assert lab.messages_on_streams() == 600  # nothing had to be published twice
    lab.assert_each_handler_ran_once()


def _stop_promptly(worker: WorkerProcess, seconds: float = 3.0) -> None:
    assert worker.running(), "the worker finished before it could be stopped"
    stopping = time.monotonic()
    worker.process.send_signal(signal.SIGTERM)
    assert worker.wait(seconds) == 0
    assert time.monotonic() - stopping < seconds
