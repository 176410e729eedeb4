"""Writing events to a context's outbox table inside the unit of work's transaction."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.codec.cloudevents import encode_event
from adapters.codec.events import OutboxEnvelope
from adapters.sql.statements import Statement
from petpro_core.shared.events import Event

# An event with the message context (correlation, causation, traceparent) it was recorded in.
RecordedEvent = tuple[Event, Mapping[str, Any] | None]


async def write_outbox(
    connection: AsyncConnection, outbox: Table, events: Sequence[RecordedEvent]
) -> None:
    """Insert one row per event, in order. Numbers `position` itself on SQLite.

    PostgreSQL fills `position` from its identity column. SQLite cannot have a second
    auto-increment column, so each row takes max(position) + 1; writers are serialised by
    SQLite (BEGIN IMMEDIATE), so the numbers are unique and increasing.
    """
    if not events:
        return
    created_at = datetime.now(UTC)
    context = outbox.schema or ""
    rows = []
    for event, headers in events:
        row = OutboxEnvelope.of(event).as_row()
        envelope = encode_event(event, context=context, headers=headers, payload=row["payload"])
        rows.append(
            {**row, "headers": headers, "envelope": envelope.decode(), "created_at": created_at}
        )
    if connection.dialect.name == "sqlite":
        next_position = select(func.coalesce(func.max(outbox.c.position), 0) + 1).scalar_subquery()
        statement = insert(outbox).values(position=next_position)
        for row in rows:
            await connection.execute(statement, row)
    elif len(rows) == 1:
        await _insert_into(outbox).execute(connection, rows[0])
    else:
        await _insert_into(outbox).execute_many(connection, rows)


@functools.cache
def _insert_into(outbox: Table) -> Statement:
    return Statement(insert(outbox))
