"""An in-memory inbox over any context's state: which events each consumer has handled.

It works on the dictionary the context's state keeps ((consumer, event id) → when it was
handled), so the unit of work's copy-on-write covers it like every other repository.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

HandledEvents = dict[tuple[str, UUID], datetime]


class InMemoryInbox:
    def __init__(self, handled: HandledEvents) -> None:
        self._handled = handled

    async def claim(self, consumer: str, event_ids: Sequence[UUID]) -> set[UUID]:
        new_ids = {event_id for event_id in event_ids if (consumer, event_id) not in self._handled}
        handled_at = datetime.now(UTC)
        self._handled.update({(consumer, event_id): handled_at for event_id in new_ids})
        return new_ids

    async def prune(self, handled_before: datetime) -> int:
        old = [key for key, handled_at in self._handled.items() if handled_at < handled_before]
        for key in old:
            del self._handled[key]
        return len(old)
