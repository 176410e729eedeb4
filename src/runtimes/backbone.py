"""The event backbone of one process: the broker, each context's outbox relay and each
subscribing context's consumer, picked from settings.

With a Redis URL, every process shares Redis Streams (`petpro worker` runs relays and
consumers; any number of them). Without one, the broker lives in this process, which is
only meaningful when relays and consumers run here too: the all-in-one `petpro serve`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from adapters.memory.outbox_store import InMemoryOutboxStore
from adapters.memory.streams import InMemoryBroker
from adapters.memory.unit_of_work import InMemoryStore
from adapters.messaging.consumer import ConsumerSettings, EventConsumer
from adapters.messaging.faults import NO_FAULTS, FaultPoints
from adapters.messaging.ports import Broker, OutboxStore
from adapters.messaging.relay import OutboxRelay, RelaySettings, routes_of
from adapters.messaging.types import GroupLag, OutboxStatus
from adapters.redis_streams.broker import RedisStreamsBroker
from adapters.sql.auth.tables import outbox as auth_outbox
from adapters.sql.booking.tables import outbox as booking_outbox
from adapters.sql.clinic.tables import outbox as clinic_outbox
from adapters.sql.inventory.tables import outbox as inventory_outbox
from adapters.sql.outbox_store import SqlOutboxStore
from adapters.sql.vendor.tables import outbox as vendor_outbox
from petpro_core.contracts.catalog import published_by
from petpro_core.shared.subscriptions import Subscription
from runtimes.databases import Databases
from runtimes.settings import Settings, StorageKind

log = logging.getLogger("petpro.backbone")

# Inbox rows outlive the outbox rows they could be replayed from by this much.
INBOX_RETENTION_MARGIN = timedelta(days=1)

OUTBOX_TABLES = {
    "auth": auth_outbox,
    "booking": booking_outbox,
    "clinic": clinic_outbox,
    "inventory": inventory_outbox,
    "vendor": vendor_outbox,
}


class BackboneConfigurationError(ValueError):
    """The settings cannot run what was asked (e.g. a worker without a shared broker)."""


def consumer_name() -> str:
    """Unique per process: one consumer name per process and group."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass
class EventBackbone:
    settings: Settings
    databases: Databases
    memory_stores: Mapping[str, InMemoryStore[Any]]
    subscriptions: Mapping[str, Subscription]
    faults: FaultPoints = NO_FAULTS
    _broker: Broker | None = field(default=None, init=False)
    _outboxes: dict[str, OutboxStore] = field(default_factory=dict, init=False)

    @property
    def shared_broker(self) -> bool:
        return bool(self.settings.redis_url)

    @property
    def publishing_contexts(self) -> tuple[str, ...]:
        return tuple(c for c in OUTBOX_TABLES if published_by(c))

    @property
    def consuming_contexts(self) -> tuple[str, ...]:
        return tuple(self.subscriptions)

    def broker(self) -> Broker:
        if self._broker is None:
            if self.settings.redis_url:
                self._broker = RedisStreamsBroker.from_url(
                    self.settings.redis_url, prefix=self.settings.stream_prefix
                )
            else:
                self._broker = InMemoryBroker()
        return self._broker

    def require_shared_broker(self) -> None:
        if not self.shared_broker:
            raise BackboneConfigurationError(
                "no PETPRO_REDIS_URL: without Redis the event bus lives inside `petpro serve` "
                "(all-in-one); set PETPRO_REDIS_URL to run workers or inspect consumers"
            )

    def outbox(self, context: str) -> OutboxStore:
        if context not in OUTBOX_TABLES:
            raise BackboneConfigurationError(
                f"unknown context {context!r}; known: {', '.join(OUTBOX_TABLES)}"
            )
        if context not in self._outboxes:
            if self.settings.storage_for(context) is StorageKind.MEMORY:
                self._outboxes[context] = InMemoryOutboxStore(self.memory_stores[context], context)
            else:
                self._outboxes[context] = SqlOutboxStore(
                    self.databases.for_context(context),
                    OUTBOX_TABLES[context],
                    context,
                    poll_seconds=self.settings.relay_idle_seconds,
                )
        return self._outboxes[context]

    def routes(self, context: str) -> dict[str, tuple[str, ...]]:
        """Each event `context` publishes → the consumer groups of this deployment reading it."""
        return routes_of(context, self.subscriptions.values())

    def relay(self, context: str) -> OutboxRelay:
        settings = self.settings
        return OutboxRelay(
            self.outbox(context),
            self.broker(),
            self.routes(context),
            RelaySettings(
                batch_size=settings.relay_batch_size,
                concurrent_claims=settings.relay_concurrent_claims,
                idle_seconds=settings.relay_idle_seconds,
                retention=settings.outbox_retention,
            ),
            faults=self.faults,
        )

    def consumer(self, context: str, name: str) -> EventConsumer:
        if context not in self.subscriptions:
            raise BackboneConfigurationError(
                f"{context!r} consumes no events; consumers: {', '.join(self.subscriptions)}"
            )
        settings = self.settings
        return EventConsumer(
            self.subscriptions[context],
            self.broker(),
            name,
            ConsumerSettings(
                batch_size=settings.consumer_batch_size,
                claim_idle_ms=int(settings.consumer_claim_idle_seconds * 1000),
                max_deliveries=settings.consumer_max_deliveries,
                retry_base_seconds=settings.consumer_retry_base_seconds,
                retry_max_seconds=settings.consumer_retry_max_seconds,
                inbox_retention=settings.outbox_retention + INBOX_RETENTION_MARGIN,
            ),
            faults=self.faults,
        )

    def check_contexts(self, contexts: Sequence[str]) -> None:
        known = set(self.publishing_contexts) | set(self.consuming_contexts)
        unknown = [c for c in contexts if c not in known]
        if unknown:
            raise BackboneConfigurationError(
                f"no relay or consumer for {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )

    async def run(self, stop: asyncio.Event, contexts: Sequence[str] | None = None) -> None:
        """Run the relays and consumers of `contexts` (default: all) until `stop` is set;
        in-flight batches finish first."""
        contexts = list(contexts or [*self.publishing_contexts, *self.consuming_contexts])
        self.check_contexts(contexts)
        name = consumer_name()
        workers = [self.relay(c).run(stop) for c in self.publishing_contexts if c in contexts]
        workers += [
            self.consumer(c, name).run(stop) for c in self.consuming_contexts if c in contexts
        ]
        log.info("event backbone running", extra={"contexts": contexts, "consumer": name})
        try:
            await asyncio.gather(*workers)
        finally:
            log.info("event backbone stopped", extra={"contexts": contexts})

    async def outbox_status(self) -> list[OutboxStatus]:
        return [await self.outbox(c).status() for c in self.publishing_contexts]

    async def consumer_lag(self) -> list[GroupLag]:
        broker = self.broker()
        lags: list[GroupLag] = []
        for context, subscription in self.subscriptions.items():
            lags.extend(await broker.lag(context, subscription.event_names))
        return lags

    async def close(self) -> None:
        for outbox in self._outboxes.values():
            await outbox.close()
        self._outboxes.clear()
        if self._broker is not None:
            await self._broker.close()
            self._broker = None
