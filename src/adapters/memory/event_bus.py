"""An in-memory event bus for unit tests: the real relay and consumer engines over the
in-memory outboxes and broker, drained deterministically.

`drain()` relays every outbox and lets every consumer handle what arrived, round after
round, until nothing moves; waiting retries and stuck messages are reached by moving a
manual clock, never by sleeping. Faults can be injected: duplicate delivery and reordering
(in the broker), and crashes at the relay's and the consumer's fault points (a
`SimulatedCrash` unwinds the engine as a process death would; the bus carries on like a
restarted process).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.memory.outbox_store import InMemoryOutboxStore
from adapters.memory.streams import InMemoryBroker
from adapters.memory.unit_of_work import InMemoryStore
from adapters.messaging.consumer import ConsumerSettings, EventConsumer
from adapters.messaging.faults import FaultPoints, SimulatedCrash
from adapters.messaging.relay import OutboxRelay, RelaySettings, routes_of
from petpro_core.shared.subscriptions import Subscription


class ManualClock:
    """Monotonic seconds that move only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class DrainReport:
    rounds: int = 0
    relayed: int = 0
    settled: int = 0
    crashes: list[str] = field(default_factory=list)


class InMemoryEventBus:
    def __init__(
        self,
        outboxes: Mapping[str, InMemoryStore[Any]],
        subscriptions: Sequence[Subscription],
        *,
        duplicate_deliveries: bool = False,
        reorder_seed: int | None = None,
        settings: ConsumerSettings | None = None,
        relay_settings: RelaySettings | None = None,
        faults: FaultPoints | None = None,
    ) -> None:
        self.clock = ManualClock()
        self.broker = InMemoryBroker(
            self.clock, duplicate_deliveries=duplicate_deliveries, reorder_seed=reorder_seed
        )
        self.faults = faults or FaultPoints()
        self._settings = settings or ConsumerSettings(block_ms=0)
        self.relays = [
            OutboxRelay(
                InMemoryOutboxStore(store, context),
                self.broker,
                routes_of(context, subscriptions),
                relay_settings or RelaySettings(concurrent_claims=1),  # deterministic
                faults=self.faults,
            )
            for context, store in outboxes.items()
        ]
        self.consumers = [
            EventConsumer(
                subscription,
                self.broker,
                "unit-test-consumer",
                self._settings,
                faults=self.faults,
                clock=self.clock,
                rng=random.Random(0),  # noqa: S311 - deterministic jitter for tests
            )
            for subscription in subscriptions
        ]
        self._started = False

    async def _start(self) -> None:
        if not self._started:
            for relay in self.relays:
                await relay.check_broker()
            self._started = True

    async def drain(self, max_rounds: int = 1000) -> DrainReport:
        """Deliver until quiet. Raises if it does not settle within `max_rounds`."""
        await self._start()
        report = DrainReport()
        for _ in range(max_rounds):
            report.rounds += 1
            moved = 0
            for relay in self.relays:
                try:
                    count = await relay.relay_all()
                    report.relayed += count
                    moved += count
                except SimulatedCrash as crash:
                    report.crashes.append(str(crash))
                    moved += 1
            for consumer in self.consumers:
                try:
                    count = await consumer.consume_once(block_ms=0)
                    report.settled += count
                    moved += count
                except SimulatedCrash as crash:
                    report.crashes.append(str(crash))
                    moved += 1
            if moved:
                continue
            if not await self._advance_to_next_work():
                return report
        raise RuntimeError(f"the bus did not settle within {max_rounds} rounds")

    async def _advance_to_next_work(self) -> bool:
        """Move the clock to the next retry, or past the reclaim idle time when messages
        are stuck with a 'dead' consumer; answer False when nothing is left."""
        due = [d for c in self.consumers if (d := c.next_retry_due()) is not None]
        if due:
            self.clock.now = max(self.clock.now, min(due))
            return True
        for consumer in self.consumers:
            lags = await self.broker.lag(consumer.group, list(consumer.topics))
            if any(lag.pending for lag in lags):
                self.clock.advance(
                    self._settings.claim_idle_ms / 1000 + self._settings.reclaim_every_seconds
                )
                return True
        return False
