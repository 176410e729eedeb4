"""Reading redis-py's replies and errors, whatever protocol the client speaks.

Only XREADGROUP changes shape with the client's settings: RESP2 answers a list of
`[key, entries]`, RESP3 a dict of key to entries (in legacy mode the entries wrapped in one
more list). The other stream commands parse the same either way.
"""

from __future__ import annotations

from typing import Any

# A stream entry: its id and its fields (bytes keys: the client must not decode responses).
Entry = tuple[str, dict[bytes, bytes]]


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def entries_of(raw: Any) -> list[Entry]:
    """Entries from an XRANGE / XCLAIM / XAUTOCLAIM list; entries Redis 6.2 reports as
    deleted (`(None, None)`) are left out."""
    return [(text(entry_id), fields) for entry_id, fields in raw or () if entry_id is not None]


def read_reply_entries(reply: Any) -> list[tuple[str, list[Entry]]]:
    """XREADGROUP's answer as (stream key, entries) pairs, in the order Redis gave them."""
    if not reply:
        return []
    pairs = reply.items() if isinstance(reply, dict) else reply
    batches = []
    for key, raw in pairs:
        if raw and isinstance(raw[0], list):
            raw = raw[0]
        batches.append((text(key), entries_of(raw)))
    return batches


def is_missing_group(error: Exception) -> bool:
    """The stream or the group does not exist (e.g. Redis lost its data): NOGROUP, or
    UNBLOCKED when it vanished while a read was blocked on it."""
    return str(error).startswith(("NOGROUP", "UNBLOCKED"))


def is_existing_group(error: Exception) -> bool:
    return str(error).startswith("BUSYGROUP")


def is_missing_key(error: Exception) -> bool:
    """XINFO on a key that does not exist (redis-py strips the `ERR` code)."""
    return str(error).lower().removeprefix("err ").startswith("no such key")
