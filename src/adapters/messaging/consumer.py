"""The consumer: one context's consumer group member, with an exactly-once effect.

Each round reads a batch of new messages (and any retries that are due), decodes them,
and handles the whole batch in ONE transaction of the subscribing context: the inbox rows
are inserted set-based first, the handlers run only for events not in the inbox yet, and
the effects commit together with the inbox rows. Only then are the messages acknowledged.
A crash before the commit redelivers the batch; a crash after it redelivers messages whose
inbox rows make them no-ops. Projections guard themselves against reordering with the
aggregate version.

When the batch fails, each message is retried alone, so one poison message cannot hold up
the rest. A failing message is retried with exponential backoff and jitter; on its
`max_deliveries`-th failed delivery it moves to the group's dead-letter stream with the
error. Messages a dead consumer left unacknowledged are reclaimed once idle longer than the
slowest handler (XAUTOCLAIM).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from adapters.codec.cloudevents import ReceivedEvent, UndecodableMessage, decode_cloudevent
from adapters.messaging.faults import NO_FAULTS, FaultPoints
from adapters.messaging.ports import Broker
from adapters.messaging.stopping import sleep_unless_stopped
from adapters.messaging.types import Delivery
from petpro_core.shared.subscriptions import Subscription
from petpro_core.shared.tracing import message_context

log = logging.getLogger("petpro.consumer")


@dataclass(frozen=True)
class ConsumerSettings:
    batch_size: int = 100
    block_ms: int = 1000
    # Longer than the slowest handler: a message idle this long belongs to a dead consumer.
    claim_idle_ms: int = 30_000
    reclaim_every_seconds: float = 5.0
    max_deliveries: int = 5
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 15.0
    # Inbox rows are kept longer than any redelivery or replay can come (the outbox
    # retention), so a replayed event still finds its row.
    inbox_retention: timedelta = timedelta(days=8)
    prune_every_seconds: float = 300.0

    def __post_init__(self) -> None:
        if self.max_deliveries < 1:
            raise ValueError("max_deliveries must be at least 1")
        if self.retry_max_seconds * 1000 >= self.claim_idle_ms:
            raise ValueError("retries must come sooner than the reclaim of stuck messages")


def backoff_seconds(deliveries: int, settings: ConsumerSettings, rng: random.Random) -> float:
    """Exponential in the number of deliveries so far, capped, with 'equal jitter' (half
    fixed, half random) so retries of many consumers spread out but never come at once."""
    ceiling = min(settings.retry_max_seconds, settings.retry_base_seconds * 2 ** (deliveries - 1))
    return float(ceiling / 2 + rng.uniform(0, ceiling / 2))


class _HandlerFailed(Exception):
    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index, error)
        self.index = index
        self.error = error


@dataclass(frozen=True, slots=True)
class _Decoded:
    delivery: Delivery
    received: ReceivedEvent


class EventConsumer:
    def __init__(
        self,
        subscription: Subscription,
        broker: Broker,
        consumer_name: str,
        settings: ConsumerSettings | None = None,
        *,
        faults: FaultPoints = NO_FAULTS,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._subscription = subscription
        self._broker = broker
        self.name = consumer_name
        self._settings = settings or ConsumerSettings()
        self._faults = faults
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._topics = list(subscription.event_names)
        # Failed messages waiting for their retry: (stream, id) → (due time, delivery).
        self._retries: dict[tuple[str, str], tuple[float, Delivery]] = {}
        self._next_reclaim = 0.0
        self._next_prune = 0.0
        self._waiting_for_new = False
        self.handled = 0

    @property
    def group(self) -> str:
        return self._subscription.consumer

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(self._topics)

    def next_retry_due(self) -> float | None:
        return min((due for due, _ in self._retries.values()), default=None)

    async def consume_once(self, *, block_ms: int | None = None) -> int:
        """One round: due retries, stuck messages, then new ones. Answers messages settled."""
        if self._clock() >= self._next_prune:
            self._next_prune = self._clock() + self._settings.prune_every_seconds
            await self.prune_inbox()
        settled = 0
        due = self._take_due_retries()
        if due:
            settled += await self._process(await self._broker.redeliver(self.group, self.name, due))
        if self._clock() >= self._next_reclaim:
            self._next_reclaim = self._clock() + self._settings.reclaim_every_seconds
            reclaimed = await self._broker.reclaim(
                self.group,
                self.name,
                self._topics,
                min_idle_ms=self._settings.claim_idle_ms,
                count=self._settings.batch_size,
            )
            for delivery in reclaimed:
                self._retries.pop((delivery.stream, delivery.message_id), None)
            settled += await self._process(reclaimed)
        wait = self._settings.block_ms if block_ms is None else block_ms
        if self._retries:  # don't sleep past the next retry
            next_due = self.next_retry_due() or 0.0
            wait = min(wait, max(0, int((next_due - self._clock()) * 1000)))
        self._waiting_for_new = True
        try:
            new = await self._broker.read(
                self.group, self.name, self._topics, count=self._settings.batch_size, block_ms=wait
            )
        finally:
            self._waiting_for_new = False
        settled += await self._process(new)
        return settled

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set. A batch in flight is finished and acknowledged; a
        wait for new messages is cut short. The relays create the consumer groups."""
        stopped = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                round_ = asyncio.ensure_future(self.consume_once())
                await asyncio.wait({round_, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if not round_.done() and self._waiting_for_new:
                    round_.cancel()  # nothing in hand yet: safe to stop waiting
                try:
                    await round_
                except asyncio.CancelledError:
                    if not stop.is_set():
                        raise
                    await self._finish_handed_over()
                except Exception:
                    log.exception("consumer round failed; retrying", extra={"group": self.group})
                    await sleep_unless_stopped(stop, 1.0)
        finally:
            stopped.cancel()

    async def _finish_handed_over(self) -> None:
        """A read cut short by the stop may still have handed messages to this consumer (the
        broker answered just as the wait was cancelled): handle them now rather than leave
        them pending until another consumer reclaims them. Messages waiting for their retry
        are not among them: they keep their backoff."""
        waiting = set(self._retries)
        handed = await self._broker.own_pending(
            self.group, self.name, self._topics, count=self._settings.batch_size
        )
        await self._process([d for d in handed if (d.stream, d.message_id) not in waiting])

    async def prune_inbox(self) -> int:
        async with self._subscription.unit_of_work() as uow:
            pruned = await uow.inbox.prune(datetime.now(UTC) - self._settings.inbox_retention)
            await uow.commit()
        return pruned

    def _take_due_retries(self) -> list[Delivery]:
        now = self._clock()
        due = [key for key, (when, _) in self._retries.items() if when <= now]
        return [self._retries.pop(key)[1] for key in due]

    async def _process(self, deliveries: Sequence[Delivery]) -> int:
        if not deliveries:
            return 0
        decoded: list[_Decoded] = []
        for delivery in deliveries:
            if delivery.deliveries > self._settings.max_deliveries:
                # Its last delivery never finished (the consumer died): give up on it.
                await self._dead_letter(delivery, "no delivery completed (consumer died)")
                continue
            try:
                decoded.append(_Decoded(delivery, decode_cloudevent(delivery.body)))
            except UndecodableMessage as exc:
                await self._failed(delivery, f"undecodable: {exc}")
        if not decoded:
            return len(deliveries)
        await self._handle_isolating_failures(decoded)
        return len(deliveries)

    async def _handle_isolating_failures(self, batch: list[_Decoded]) -> None:
        """Handle the batch in one transaction. When a handler fails, that message is
        retried later and the rest go again without it; when the commit itself fails (no
        culprit known), each message goes alone."""
        while batch:
            try:
                await self._handle(batch)
                return
            except _HandlerFailed as failure:
                culprit = batch.pop(failure.index)
                await self._failed(culprit.delivery, _describe(failure.error))
            except Exception as error:
                if len(batch) == 1:
                    await self._failed(batch[0].delivery, _describe(error))
                    return
                for item in batch:
                    await self._handle_isolating_failures([item])
                return

    async def _handle(self, batch: Sequence[_Decoded]) -> None:
        """Inbox, effects and commit in one transaction; then acknowledge."""
        subscription = self._subscription
        logs_handled = log.isEnabledFor(logging.INFO)
        async with subscription.unit_of_work() as uow:
            new_ids = await uow.inbox.claim(self.group, [i.received.event.event_id for i in batch])
            for index, item in enumerate(batch):
                event = item.received.event
                if event.event_id not in new_ids:
                    continue
                new_ids.discard(event.event_id)  # a duplicate within the batch runs once
                handler = subscription.handler_for(event)
                if handler is None:
                    continue
                with message_context(item.received.context.caused_by(event.event_id)):
                    try:
                        await handler(event, uow)
                    except Exception as error:
                        raise _HandlerFailed(index, error) from error
                    if logs_handled:
                        log.info(
                            "handled %s",
                            item.received.event_type,
                            extra={
                                "group": self.group,
                                "event_id": str(event.event_id),
                                "aggregate_id": str(event.aggregate_id),
                                "deliveries": item.delivery.deliveries,
                            },
                        )
            self._faults.point("consumer.before_commit")
            await uow.commit()
        self._faults.point("consumer.after_commit")
        await self._broker.ack(self.group, [item.delivery for item in batch])
        self.handled += len(batch)

    async def _failed(self, delivery: Delivery, error: str) -> None:
        if delivery.deliveries >= self._settings.max_deliveries:
            await self._dead_letter(delivery, error)
            return
        delay = backoff_seconds(delivery.deliveries, self._settings, self._rng)
        self._retries[(delivery.stream, delivery.message_id)] = (self._clock() + delay, delivery)
        log.warning(
            "handling failed; retry in %.2fs",
            delay,
            extra={
                "group": self.group,
                "message_id": delivery.message_id,
                "deliveries": delivery.deliveries,
                "error": error,
            },
        )

    async def _dead_letter(self, delivery: Delivery, error: str) -> None:
        await self._broker.dead_letter(self.group, delivery, error)
        log.error(
            "dead-lettered after %d deliveries",
            delivery.deliveries,
            extra={"group": self.group, "message_id": delivery.message_id, "error": error},
        )


def _describe(error: BaseException) -> str:
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(_describe(inner) for inner in error.exceptions)
    return f"{type(error).__name__}: {error}"
