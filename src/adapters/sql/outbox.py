"""Writing events to a context's outbox table inside the unit of work's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.codec.events import OutboxEnvelope
from petpro_core.shared.events import Event


async def write_outbox(connection: AsyncConnection, outbox: Table, events: Sequence[Event]) -> None:
    """Insert one row per event, in order. Numbers `position` itself on SQLite.

    PostgreSQL fills `position` from its identity column. SQLite cannot have a second
    auto-increment column, so each row takes max(position) + 1; writers are serialised by
    SQLite (BEGIN IMMEDIATE), so the numbers are unique and increasing.
    """
    if not events:
        return
    created_at = datetime.now(UTC)
    rows = [
        {**OutboxEnvelope.of(event).as_row(), "headers": None, "created_at": created_at}
        for event in events
    ]
    if connection.dialect.name == "sqlite":
        next_position = select(func.coalesce(func.max(outbox.c.position), 0) + 1).scalar_subquery()
        statement = insert(outbox).values(position=next_position)
        for row in rows:
            await connection.execute(statement, row)
    else:
        await connection.execute(insert(outbox), rows)
