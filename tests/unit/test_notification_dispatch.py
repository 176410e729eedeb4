"""The dispatcher: due deliveries leave through their channel once; failures retry with
backoff and end `failed` with the reason; a crashed dispatcher's claims are taken again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory.notification import InMemoryNotificationUnitOfWork
from petpro_core.notification.channels import Channel
from petpro_core.notification.commands import DispatchDueDeliveries
from petpro_core.notification.domain.deliveries import DeliveryStatus, RetryPolicy
from petpro_core.notification.handlers import NotificationDependencies, NotificationHandlers
from tests.support.notification import (
    CLINIC,
    OWNER_ID,
    STAFF_ID,
    T0,
    NotificationHarness,
    booking_confirmed,
    stock_low,
)

pytestmark = pytest.mark.asyncio


async def confirmed(h: NotificationHarness) -> None:
    await h.user(OWNER_ID, name="Aiko")
    await h.clinic()
    await h.deliver([booking_confirmed()])


async def test_a_due_email_is_sent_once_with_the_delivery_id() -> None:
    h = NotificationHarness()
    await confirmed(h)
    assert await h.dispatch() == 1
    assert await h.dispatch() == 0
    [email] = h.deliveries(channel=Channel.EMAIL)
    assert email.status is DeliveryStatus.SENT and email.sent_at == T0 and email.attempts == 1
    [message] = h.sent(Channel.EMAIL)
    assert message.delivery_id == email.delivery_id and message.to == "aiko@example.com"
    assert message.recipient_name == "Aiko" and message.kind == "booking.confirmed"
    assert message.subject == email.subject and message.language == "en"


async def test_a_failing_provider_is_retried_with_backoff_then_succeeds() -> None:
    h = NotificationHarness()
    await confirmed(h)
    h.channels[Channel.EMAIL].fail_times(2)
    assert await h.dispatch() == 1
    [email] = h.deliveries(channel=Channel.EMAIL)
    # random() is 0.5 in the harness: 15 s + 7.5 s after the first failure
    assert email.status is DeliveryStatus.PENDING and email.last_error == "421 try again later"
    assert email.next_attempt_at == T0 + timedelta(seconds=22.5)
    assert await h.dispatch() == 0  # not due yet
    h.clock.advance(timedelta(seconds=23))
    assert await h.dispatch() == 1
    [email] = h.deliveries(channel=Channel.EMAIL)
    assert email.next_attempt_at == h.clock.now() + timedelta(seconds=45)  # doubled
    h.clock.advance(timedelta(seconds=45))
    assert await h.dispatch() == 1
    [email] = h.deliveries(channel=Channel.EMAIL)
    assert email.status is DeliveryStatus.SENT and email.attempts == 3
    assert len(h.sent(Channel.EMAIL)) == 1


async def test_after_n_failed_tries_the_delivery_is_failed_with_the_reason() -> None:
    h = NotificationHarness(retry=RetryPolicy(max_attempts=3))
    await confirmed(h)
    h.channels[Channel.EMAIL].fail_times(10)
    for _ in range(5):
        await h.dispatch()
        h.clock.advance(timedelta(hours=1))
    [email] = h.deliveries(channel=Channel.EMAIL)
    assert email.status is DeliveryStatus.FAILED
    assert email.attempts == 3 and email.last_error == "421 try again later"
    assert h.channels[Channel.EMAIL].attempts == 3
    assert email.next_attempt_at is None


async def test_a_permanent_failure_is_not_retried() -> None:
    h = NotificationHarness()
    await confirmed(h)
    h.channels[Channel.EMAIL].fail_permanently()
    await h.dispatch()
    h.clock.advance(timedelta(hours=2))
    assert await h.dispatch() == 0
    [email] = h.deliveries(channel=Channel.EMAIL)
    assert email.status is DeliveryStatus.FAILED and email.attempts == 1
    assert email.last_error == "550 mailbox unavailable"


async def test_a_channel_without_an_adapter_fails_permanently() -> None:
    h = NotificationHarness(channels=(Channel.SMS,))
    await confirmed(h)
    await h.dispatch()
    [email] = h.deliveries(channel=Channel.EMAIL)
    assert (
        email.status is DeliveryStatus.FAILED and email.last_error == "no email channel configured"
    )


async def test_a_channel_bug_is_retried_and_does_not_stop_the_batch() -> None:
    h = NotificationHarness()
    await h.user(OWNER_ID)
    await h.user(STAFF_ID, name="Sam", email="sam@clinic.example", roles=("clinic_staff",))
    await h.clinic()
    await h.deliver([booking_confirmed(), stock_low(CLINIC)])
    h.channels[Channel.EMAIL].crash_times(1)
    assert await h.dispatch() == 2
    outcomes = sorted((d.status, d.last_error) for d in h.deliveries(channel=Channel.EMAIL))
    assert outcomes == [
        (DeliveryStatus.PENDING, "RuntimeError: channel bug"),
        (DeliveryStatus.SENT, None),
    ]


async def test_a_sending_delivery_whose_lease_expired_is_retried() -> None:
    h = NotificationHarness(retry=RetryPolicy(lease=timedelta(minutes=2)))
    await confirmed(h)
    # A dispatcher claims the delivery, commits, then dies before sending or recording.
    async with h.uow() as uow:
        [due] = await uow.deliveries.due(h.clock.now(), 10)
        await uow.deliveries.save(due.claimed(h.clock.now(), h.retry.lease))
        await uow.commit()
    assert await h.dispatch() == 0  # still leased
    h.clock.advance(timedelta(minutes=2))
    assert await h.dispatch() == 1
    [email] = h.deliveries(channel=Channel.EMAIL)
    assert email.status is DeliveryStatus.SENT and email.attempts == 2
    assert len(h.sent(Channel.EMAIL)) == 1


async def test_a_lease_expired_on_the_last_attempt_ends_failed() -> None:
    h = NotificationHarness(retry=RetryPolicy(max_attempts=1, lease=timedelta(minutes=2)))
    await confirmed(h)
    async with h.uow() as uow:
        [due] = await uow.deliveries.due(h.clock.now(), 10)
        await uow.deliveries.save(due.claimed(h.clock.now(), h.retry.lease))
        await uow.commit()
    h.clock.advance(timedelta(minutes=3))
    assert await h.dispatch() == 1
    [email] = h.deliveries(channel=Channel.EMAIL)
    assert email.status is DeliveryStatus.FAILED
    assert email.last_error is not None and "stopped mid-send" in email.last_error
    assert h.sent(Channel.EMAIL) == []


async def test_an_outcome_is_not_recorded_over_another_dispatchers_claim() -> None:
    h = NotificationHarness(retry=RetryPolicy(lease=timedelta(seconds=1)))
    await confirmed(h)
    store = h.store
    assert store is not None

    class SlowThenOvertaken:
        """Sends, but meanwhile the lease runs out and another dispatcher claims it."""

        channel = Channel.EMAIL

        async def send(self, message: object) -> None:
            h.clock.advance(timedelta(seconds=5))
            async with InMemoryNotificationUnitOfWork(store) as uow:
                [due] = await uow.deliveries.due(h.clock.now(), 10)
                await uow.deliveries.save(due.claimed(h.clock.now(), timedelta(minutes=5)))
                await uow.commit()

    handlers = NotificationHandlers(
        NotificationDependencies(
            uow=h.uow,
            clock=h.clock,
            channels={Channel.EMAIL: SlowThenOvertaken()},
            retry=h.retry,
        )
    )
    assert await handlers.dispatch_due_deliveries(DispatchDueDeliveries()) == 1
    [email] = h.deliveries(channel=Channel.EMAIL)
    assert email.status is DeliveryStatus.SENDING and email.attempts == 2  # theirs stands


async def test_in_app_deliveries_are_never_dispatched_and_the_batch_respects_its_limit() -> None:
    h = NotificationHarness()
    await h.user(OWNER_ID)
    await h.clinic()
    await h.deliver([booking_confirmed(booking_id=b) for b in (CLINIC, STAFF_ID, OWNER_ID)])
    assert await h.dispatch(limit=2) == 2
    assert await h.dispatch(limit=2) == 1
    assert len(h.sent(Channel.EMAIL)) == 3
    assert all(d.status is DeliveryStatus.SENT for d in h.deliveries())
