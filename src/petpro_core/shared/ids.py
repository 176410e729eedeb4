"""Identifiers: UUIDs, time-ordered (v7) so database indexes stay compact."""

from __future__ import annotations

import os
import time
import uuid


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, version, 74 random bits, variant."""
    unix_ms = time.time_ns() // 1_000_000
    rand_a = int.from_bytes(os.urandom(2), "big") & 0x0FFF
    rand_b = int.from_bytes(os.urandom(8), "big") & 0x3FFF_FFFF_FFFF_FFFF
    value = (unix_ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def parse_id(raw: str | uuid.UUID) -> uuid.UUID:
    """Parse an identifier from outside; ValueError on anything that is not a UUID."""
    if isinstance(raw, uuid.UUID):
        return raw
    return uuid.UUID(str(raw))
