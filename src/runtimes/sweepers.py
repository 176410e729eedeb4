"""Periodic jobs of a worker process: each runs every `interval` until stopped.

They are safe to run in several processes at once — every job arbitrates through the
store (leases and optimistic versions on sagas, conditional updates on reservations) — so
each `petpro worker`, and the all-in-one `petpro serve`, simply runs all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from petpro_core.booking.commands import AdvanceDueSagas
from petpro_core.inventory.commands import ExpireReservations
from petpro_core.inventory.customer_order_commands import (
    AdvancePendingCustomerOrders,
    ExpireUncollectedOrders,
)
from petpro_core.notification.commands import DispatchDueDeliveries, SendDueReminders

if TYPE_CHECKING:
    from runtimes.containers import ApplicationContainer

log = logging.getLogger("petpro.sweepers")

SAGA_BATCH = 100
RESERVATION_BATCH = 500
CUSTOMER_ORDER_BATCH = 100
NOTIFICATION_DISPATCH_BATCH = 50
NOTIFICATION_DISPATCH_SECONDS = 2.0
REMINDER_BATCH = 100


@dataclass(frozen=True)
class Sweeper:
    name: str
    interval_seconds: float
    job: Callable[[], Awaitable[int]]  # one pass; answers how many things it handled (logged)

    async def run(self, stop: asyncio.Event) -> None:
        """A pass every `interval_seconds`, the first one interval after the start."""
        while not await _stopped_within(stop, self.interval_seconds):
            try:
                handled = await self.job()
            except Exception:
                log.exception("sweeper failed; retrying next round", extra={"sweeper": self.name})
                continue
            if handled:
                log.info("sweeper pass", extra={"sweeper": self.name, "handled": handled})


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


async def run_sweepers(sweepers: Sequence[Sweeper], stop: asyncio.Event) -> None:
    await asyncio.gather(*(sweeper.run(stop) for sweeper in sweepers))


def application_sweepers(
    container: ApplicationContainer, contexts: Sequence[str] = ()
) -> list[Sweeper]:
    """The periodic jobs of the contexts named (all when none are): booking's saga recovery
    (killed orchestrators, retries after backoff, expired holds) and Idempotency-Key pruning,
    and inventory's reservation expiry."""
    bus = container.bus
    clock = container.clock

    async def advance_sagas() -> int:
        handled: int = await bus().execute(AdvanceDueSagas(limit=SAGA_BATCH))
        return handled

    async def prune_idempotency_keys() -> int:
        await container.booking.idempotency_store().prune(clock().now())
        return 0  # a full pass: nothing more is waiting

    async def expire_reservations() -> int:
        expired: int = await bus().execute(
            ExpireReservations(now=clock().now(), limit=RESERVATION_BATCH)
        )
        return expired

    async def advance_customer_orders() -> int:
        advanced: int = await bus().execute(
            AdvancePendingCustomerOrders(now=clock().now(), limit=CUSTOMER_ORDER_BATCH)
        )
        return advanced

    async def expire_uncollected_orders() -> int:
        expired: int = await bus().execute(
            ExpireUncollectedOrders(now=clock().now(), limit=CUSTOMER_ORDER_BATCH)
        )
        return expired

    async def prune_customer_order_keys() -> int:
        await container.inventory.idempotency_store().prune(clock().now())
        return 0

    async def dispatch_notifications() -> int:
        # Due e-mail, SMS and push deliveries: new ones, retries after backoff, expired leases.
        sent: int = await bus().execute(DispatchDueDeliveries(limit=NOTIFICATION_DISPATCH_BATCH))
        return sent

    async def send_reminders() -> int:
        # Appointment reminders now 24 h away become messages. A ConcurrentUpdate (another
        # process sent the same batch) is logged by the Sweeper and the next round goes on.
        reminded: int = await bus().execute(SendDueReminders(limit=REMINDER_BATCH))
        return reminded

    by_context = {
        "booking": [
            Sweeper("booking-sagas", 1.0, advance_sagas),
            Sweeper("idempotency-keys", 600.0, prune_idempotency_keys),
        ],
        "inventory": [
            Sweeper("inventory-reservations", 30.0, expire_reservations),
            # The shop: unresolved charges and owed refunds, then orders not collected.
            Sweeper("pending-customer-orders", 5.0, advance_customer_orders),
            Sweeper("uncollected-customer-orders", 60.0, expire_uncollected_orders),
            Sweeper("customer-order-idempotency-keys", 600.0, prune_customer_order_keys),
        ],
        "notification": [
            Sweeper("notification-dispatch", NOTIFICATION_DISPATCH_SECONDS, dispatch_notifications),
            Sweeper("appointment-reminders", 60.0, send_reminders),
        ],
    }
    wanted = contexts or tuple(by_context)
    return [sweeper for context in wanted for sweeper in by_context.get(context, [])]
