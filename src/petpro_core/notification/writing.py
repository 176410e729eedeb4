"""Writing one message for its recipients in an open unit of work: load who they are and what
they want, plan the deliveries, insert the ones not written before, and put the in-app ones
in their inbox. Nothing is sent here: the dispatcher sends external deliveries after commit.

Never twice: when any delivery of the source (the event, or the reminder) is already stored,
the message was written before (a redelivered or replayed event) and nothing is written,
even if preferences or staff changed since. Recipients the context has not seen a
`user.created`/`user.updated` for are skipped with a warning in the log (no pending record:
auth publishes a user long before anything can be about them).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from petpro_core.notification.domain.deliveries import Delivery
from petpro_core.notification.domain.planning import Values, plan_message
from petpro_core.notification.ports import DeliveryFilter, NotificationUnitOfWork
from petpro_core.shared.pagination import PageRequest

log = logging.getLogger("petpro.notification")

_ONE = PageRequest(limit=1)


async def already_written(uow: NotificationUnitOfWork, source_id: UUID) -> bool:
    _, total = await uow.deliveries.list(DeliveryFilter(source_id=source_id), _ONE)
    return total > 0


async def write_message(
    uow: NotificationUnitOfWork,
    *,
    source_id: UUID,
    kind: str,
    recipient_ids: Sequence[UUID],
    values: Values,
    now: datetime,
) -> list[Delivery]:
    """Write the message; answer the deliveries inserted (empty when written before)."""
    if not recipient_ids or await already_written(uow, source_id):
        return []
    wanted = list(dict.fromkeys(recipient_ids))
    known = await uow.recipients.get_many(wanted)
    for user_id in wanted:
        if user_id not in known:
            log.warning(
                "notification %s of %s skipped for user %s: no user.created seen yet",
                kind,
                source_id,
                user_id,
            )
    recipients = [known[user_id] for user_id in wanted if user_id in known]
    if not recipients:
        return []
    preferences = await uow.preferences.get_many([r.user_id for r in recipients])
    plan = plan_message(
        source_id=source_id,
        kind=kind,
        recipients=recipients,
        preferences=preferences,
        values=values,
        now=now,
    )
    inserted = await uow.deliveries.add(plan.deliveries)
    for delivery in inserted:
        message = plan.message_for(delivery)
        if message is not None:
            await uow.messages.add(message)
    return inserted
