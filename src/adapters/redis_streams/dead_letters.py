"""How a dead letter is written to, and read back from, a group's dead-letter stream."""

from __future__ import annotations

from datetime import datetime

from redis.typing import EncodableT, FieldT

from adapters.messaging.types import DeadLetter, Delivery
from adapters.redis_streams.replies import Entry, text

# Enough of a traceback to diagnose; dead letters must stay small.
MAX_ERROR_CHARS = 2000


def dead_letter_fields(
    group: str, delivery: Delivery, error: str, dead_at: datetime
) -> dict[FieldT, EncodableT]:
    return {
        "group": group,
        "stream": delivery.stream,
        "message_id": delivery.message_id,
        "body": delivery.body,
        "error": error[:MAX_ERROR_CHARS],
        "deliveries": str(delivery.deliveries),
        "dead_at": dead_at.isoformat(),
    }


def dead_letter_of(entry: Entry) -> DeadLetter:
    dead_letter_id, fields = entry
    return DeadLetter(
        dead_letter_id=dead_letter_id,
        group=text(fields[b"group"]),
        stream=text(fields[b"stream"]),
        message_id=text(fields[b"message_id"]),
        body=fields[b"body"],
        error=text(fields[b"error"]),
        deliveries=int(fields[b"deliveries"]),
        dead_at=datetime.fromisoformat(text(fields[b"dead_at"])),
    )


def redrive_fields(entry: Entry) -> dict[FieldT, EncodableT]:
    """The message a dead letter becomes on the redrive stream; where it came from is kept
    for operators reading the stream."""
    dead_letter_id, fields = entry
    return {
        "body": fields[b"body"],
        "dead_letter_id": dead_letter_id,
        "stream": fields[b"stream"],
        "message_id": fields[b"message_id"],
    }
