"""Feeding events to a subscription the way the consumer runtime does, for unit harnesses."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from petpro_core.shared.events import Event
from petpro_core.shared.subscriptions import Subscription


async def deliver_batches(subscription: Subscription, *batches: Sequence[Event]) -> list[UUID]:
    """Each batch in one unit of work, as the consumer does: claim the inbox rows, run the
    handlers of the new events, commit. Answers the ids handled."""
    handled: list[UUID] = []
    for batch in batches:
        async with subscription.unit_of_work() as uow:
            new_ids = await uow.inbox.claim(
                subscription.consumer, [event.event_id for event in batch]
            )
            for event in batch:
                if event.event_id not in new_ids:
                    continue
                new_ids.discard(event.event_id)
                handler = subscription.handler_for(event)
                assert handler is not None, f"{subscription.consumer} does not handle {event.NAME}"
                await handler(event, uow)
                handled.append(event.event_id)
            await uow.commit()
    return handled
