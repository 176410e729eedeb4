"""The SQL unit of work every context's unit of work builds on: one connection, one
transaction, the context's outbox written in it."""

from __future__ import annotations

from contextlib import AsyncExitStack
from types import TracebackType
from typing import Self

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.database import SqlDatabase
from adapters.sql.outbox import RecordedEvent, write_outbox
from petpro_core.shared.events import Event
from petpro_core.shared.tracing import current_context


class SqlUnitOfWork:
    """`async with` opens a connection; the transaction begins with the first statement.

    `commit` writes the recorded events to the context's outbox and commits them with the
    change, then tells in-process relays that the outbox has news; `rollback` drops both.
    After either, the unit of work can be used again inside the same block (a new
    transaction begins with the next statement). Leaving the block rolls back whatever was
    not committed and returns the connection to the pool.

    Subclasses build their repositories over `self._require_connection` and may override
    `_before_commit` to flush buffered writes.
    """

    def __init__(self, database: SqlDatabase, *, schema: str, outbox: Table) -> None:
        self._database = database
        self._schema = schema
        self._outbox = outbox
        self._connection: AsyncConnection | None = None
        self._resources: AsyncExitStack | None = None
        self._pending: list[RecordedEvent] = []

    def _require_connection(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._connection

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open")
        async with AsyncExitStack() as resources:
            await resources.enter_async_context(self._database.transaction_slot())
            self._connection = await resources.enter_async_context(self._database.engine.connect())
            self._resources = resources.pop_all()  # released in __aexit__: connection, then slot
        self._pending = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        resources, self._resources = self._resources, None
        self._pending = []
        self._discard_buffers()
        if resources is None:
            return
        async with resources:
            if connection is not None and connection.in_transaction():
                await connection.rollback()

    def record(self, *events: Event) -> None:
        context = current_context()
        headers = context.as_headers() if context is not None else None
        self._pending.extend((event, headers) for event in events)

    async def _before_commit(self, connection: AsyncConnection) -> None:
        """Flush writes the repositories buffered (set-based); nothing by default."""

    def _discard_buffers(self) -> None:
        """Forget writes the repositories buffered; nothing by default."""

    async def commit(self) -> None:
        connection = self._require_connection()
        await self._before_commit(connection)
        wrote_events = bool(self._pending)
        await write_outbox(connection, self._outbox, self._pending)
        await connection.commit()
        self._pending = []
        if wrote_events:
            self._database.announce_outbox_commit(self._schema)

    async def rollback(self) -> None:
        connection = self._require_connection()
        self._pending = []
        self._discard_buffers()
        if connection.in_transaction():
            await connection.rollback()
