"""Availability answers kept between requests, exact by construction.

Computing a month of slots for ten vets costs tens of milliseconds, and most searches ask
the same question again before anything changed. An answer depends on the clinic, the
service and the schedule (each identified by its cache version), the window, the vet filter,
the vets' busy intervals, and the time of asking. The busy intervals are identified by a
fingerprint the booking store computes over the bookings that block them (each booking's id
and version), so any booking made, cancelled or moved, by any process, changes the key. The
time of asking only narrows the answer (minimum notice, horizon: `bookable_range`), so the
kept answer covers the whole window and each request cuts its part with two bisections.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from petpro_core.booking.domain.availability import Slot

__all__ = ["AvailabilityMemo", "AvailableSlots", "ComputedSlots", "busy_fingerprint_of"]


@dataclass(frozen=True, eq=False)
class ComputedSlots:
    """Every slot of a window before notice and horizon, sorted by start instant. `key`
    names the inputs it was computed from (stable while they are unchanged)."""

    key: Hashable
    slots: tuple[Slot, ...]
    starts: tuple[datetime, ...] = field(init=False)  # each slot's start, UTC, for bisect

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts", tuple(s.starts_at.astimezone(UTC) for s in self.slots))

    def between(self, lower: datetime, upper: datetime) -> AvailableSlots:
        first = bisect_left(self.starts, lower)
        last = max(first, bisect_left(self.starts, upper))
        return AvailableSlots(computed=self, first=first, last=last)


@dataclass(frozen=True)
class AvailableSlots:
    """The answer to one availability search: `computed.slots[first:last]`."""

    computed: ComputedSlots
    first: int
    last: int

    @property
    def slots(self) -> list[Slot]:
        return list(self.computed.slots[self.first : self.last])


class AvailabilityMemo:
    """The most recently used computations, at most `capacity` of them (per process)."""

    def __init__(self, capacity: int = 128) -> None:
        if capacity < 1:
            raise ValueError("capacity is at least 1")
        self._capacity = capacity
        self._entries: OrderedDict[Hashable, ComputedSlots] = OrderedDict()

    def get(self, key: Hashable) -> ComputedSlots | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, computed: ComputedSlots) -> None:
        self._entries[computed.key] = computed
        self._entries.move_to_end(computed.key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)


def busy_fingerprint_of(bookings: Iterable[tuple[UUID, int]]) -> str:
    """A fingerprint of a set of (booking id, version) pairs, whatever their order: the
    count and the sum of a 128-bit hash of each (for stores that compute it in Python)."""
    count = total = 0
    for booking_id, version in bookings:
        digest = hashlib.blake2b(f"{booking_id}:{version}".encode(), digest_size=16).digest()
        total = (total + int.from_bytes(digest)) % (1 << 128)
        count += 1
    return f"{count}:{total:032x}"
