"""Identifiers: UUIDs, time-ordered (v7) so database indexes stay compact."""

from __future__ import annotations

import os
import threading
import time
import uuid

# RFC 9562 UUIDv7 with its method 3: the 12 bits after the milliseconds (`rand_a`) carry
# fractions of a millisecond, and each id of this process takes a later tick than the one
# before, so ids are strictly increasing here (a later event's id is larger, as "later wins"
# rules rely on) even when many are made within one millisecond.
_TICKS_PER_MS = 4096
_last_tick = 0
_lock = threading.Lock()


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, version, 12 bits of sub-millisecond
    time, variant, 62 random bits; increasing within a process."""
    global _last_tick
    tick = time.time_ns() * _TICKS_PER_MS // 1_000_000
    with _lock:
        tick = max(tick, _last_tick + 1)
        _last_tick = tick
    unix_ms, fraction = divmod(tick, _TICKS_PER_MS)
    rand_b = int.from_bytes(os.urandom(8), "big") & 0x3FFF_FFFF_FFFF_FFFF
    value = (unix_ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | fraction << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def parse_id(raw: str | uuid.UUID) -> uuid.UUID:
    """Parse an identifier from outside; ValueError on anything that is not a UUID."""
    if isinstance(raw, uuid.UUID):
        return raw
    return uuid.UUID(str(raw))
