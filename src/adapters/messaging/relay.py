"""The relay: moves one context's committed outbox rows to the broker, at least once.

Each round claims a batch (SKIP LOCKED, so any number of relays share the work), publishes
it in one pipelined round trip and marks it published in the same transaction as the claim.
A crash before the mark leaves the rows unpublished: they are published again (consumers
are idempotent), never lost. Between rounds the relay sleeps until the outbox has news.

The relay also watches the broker: when it lost its data (a restart without persistence
changes its identity; streams or groups go missing), the relay recreates the consumer groups
and re-publishes what consumers may not have seen, i.e. everything published since the last
moment every group had consumed and acknowledged everything (the safe point), or, when that
is unknown, everything still within retention.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from adapters.messaging.faults import NO_FAULTS, FaultPoints
from adapters.messaging.ports import Broker, OutboxStore
from adapters.messaging.stopping import sleep_unless_stopped
from adapters.messaging.types import RelayCheckpoint
from petpro_core.contracts.catalog import published_by
from petpro_core.shared.subscriptions import Subscription

log = logging.getLogger("petpro.relay")


def routes_of(context: str, subscriptions: Iterable[Subscription]) -> dict[str, tuple[str, ...]]:
    """Each event `context` publishes → the consumer groups that really read it. From the
    subscriptions, not the catalog's intentions: a group nobody reads would never catch up,
    and the relay could never record a safe point."""
    subscriptions = list(subscriptions)
    return {
        entry.name: tuple(s.consumer for s in subscriptions if entry.name in s.event_names)
        for entry in published_by(context)
    }


@dataclass(frozen=True)
class RelaySettings:
    batch_size: int = 500
    # Claims in flight at once. Batches may then reach the broker out of order, as with
    # several relays; consumers take that in their stride (aggregate versions, inbox).
    concurrent_claims: int = 3
    # The longest the relay sleeps without news (LISTEN/NOTIFY or in-process) before it
    # looks at the outbox anyway.
    idle_seconds: float = 1.0
    retention: timedelta = timedelta(days=7)
    prune_every_seconds: float = 300.0
    broker_check_every_seconds: float = 2.0
    # How often an advancing safe point is written down (it survives restarts).
    checkpoint_every_seconds: float = 10.0


def _groups_of(routes: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """Each consumer group → the topics it reads."""
    groups: dict[str, list[str]] = {}
    for topic, readers in routes.items():
        for group in readers:
            groups.setdefault(group, []).append(topic)
    return groups


class OutboxRelay:
    def __init__(
        self,
        outbox: OutboxStore,
        broker: Broker,
        routes: Mapping[str, tuple[str, ...]],
        settings: RelaySettings | None = None,
        *,
        faults: FaultPoints = NO_FAULTS,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`routes`: each topic this context publishes → the consumer groups that read it."""
        self.outbox = outbox
        self._broker = broker
        self._groups = _groups_of(routes)
        self._settings = settings or RelaySettings()
        self._faults = faults
        self._now = now
        self._checked = False
        self._broker_identity: str | None = None
        self._safe_point: datetime | None = None
        self._saved_safe_point: datetime | None = None
        self._next_prune = 0.0
        self._next_broker_check = 0.0

    @property
    def context(self) -> str:
        return self.outbox.context

    async def relay_once(self) -> int:
        """Publish one batch; answer how many rows it had."""
        async with self.outbox.claim(self._settings.batch_size) as batch:
            if not batch.records:
                return 0
            self._faults.point("relay.before_publish")
            await self._broker.publish(batch.records)
            self._faults.point("relay.after_publish")
            await batch.mark_published()
        return len(batch.records)

    async def relay_all(self, stop: asyncio.Event | None = None) -> int:
        """Publish until the outbox has nothing unpublished left that this relay can claim,
        or until `stop` is set (the batches in flight are finished).
        With several claims in flight (SKIP LOCKED gives each its own rows), the database
        and Redis time of one batch overlaps the Python work of the next."""
        stop = stop or asyncio.Event()
        # One claim first: an idle outbox, or a few new rows (the usual wake-up), costs one
        # round of statements, not one per claim.
        first = await self.relay_once()
        if first < self._settings.batch_size or stop.is_set():
            return first
        if self._settings.concurrent_claims == 1:
            return first + await self._drain(stop)
        async with asyncio.TaskGroup() as claims:
            drains = [
                claims.create_task(self._drain(stop))
                for _ in range(self._settings.concurrent_claims)
            ]
        return first + sum(drain.result() for drain in drains)

    async def _drain(self, stop: asyncio.Event) -> int:
        total = 0
        while not stop.is_set() and (count := await self.relay_once()) > 0:
            total += count
            if count < self._settings.batch_size:
                break
        return total

    async def check_broker(self) -> int:
        """Recreate lost groups and requeue what may be lost with them; answer rows requeued."""
        identity = await self._broker.server_identity()
        first_check = not self._checked
        self._checked = True
        if first_check:  # what the previous run saw still holds
            checkpoint = await self.outbox.load_checkpoint()
            if checkpoint is not None:
                self._safe_point = self._saved_safe_point = checkpoint.safe_point
                self._broker_identity = checkpoint.broker_identity
        changed = self._broker_identity is not None and identity != self._broker_identity
        self._broker_identity = identity
        groups = self._groups
        missing = {g: await self._broker.missing_groups(g, topics) for g, topics in groups.items()}
        requeued = 0
        if changed or any(missing.values()):
            for group, topics in groups.items():
                await self._broker.ensure_groups(group, topics)
            since = self._safe_point or self._now() - self._settings.retention
            requeued = await self.outbox.requeue(since)
            # Missing groups at the first start are a new deployment; otherwise data was lost.
            log.log(
                logging.INFO if first_check and not changed else logging.WARNING,
                "broker data lost or groups missing: groups created, events since the safe "
                "point queued for re-publishing",
                extra={"context": self.context, "requeued": requeued, "since": since.isoformat()},
            )
            self._safe_point = None
        else:
            await self._advance_safe_point(groups)
        return requeued

    async def _advance_safe_point(self, groups: Mapping[str, list[str]]) -> None:
        checked_at = self._now()
        for group, topics in groups.items():
            for lag in await self._broker.lag(group, topics):
                if lag.pending or lag.lag != 0:
                    return
        # Everything published before `checked_at` has been consumed and acknowledged.
        self._safe_point = checked_at
        saved = self._saved_safe_point
        interval = timedelta(seconds=self._settings.checkpoint_every_seconds)
        if saved is None or checked_at - saved >= interval:
            await self.outbox.save_checkpoint(RelayCheckpoint(checked_at, self._broker_identity))
            self._saved_safe_point = checked_at

    async def prune(self) -> int:
        return await self.outbox.prune(self._now() - self._settings.retention)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; the batch in flight is finished first."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                if loop.time() >= self._next_broker_check:  # first thing, then every few s
                    await self.check_broker()
                    self._next_broker_check = (
                        loop.time() + self._settings.broker_check_every_seconds
                    )
                if loop.time() >= self._next_prune:
                    await self.prune()
                    self._next_prune = loop.time() + self._settings.prune_every_seconds
                await self.relay_all(stop)
            except Exception:
                log.exception("relay round failed; retrying", extra={"context": self.context})
                await sleep_unless_stopped(stop, self._settings.idle_seconds)
                continue
            await _wait_for_news(self.outbox, stop, self._settings.idle_seconds)


async def _wait_for_news(outbox: OutboxStore, stop: asyncio.Event, seconds: float) -> None:
    """Return on outbox news, on stop, or after `seconds`."""
    news = asyncio.ensure_future(outbox.wait_for_new(seconds))
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({news, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (news, stopped):
            if not task.done():
                task.cancel()
        await asyncio.gather(news, stopped, return_exceptions=True)
