"""The OutboxStore port over a context's SQL outbox table: the relay's side of it.

Claiming: one transaction selects the oldest unpublished rows `FOR UPDATE SKIP LOCKED`
(PostgreSQL: relays share the work without waiting on each other; SQLite begins every
write transaction IMMEDIATE, so relays take turns), the relay publishes them, one UPDATE
marks them and leaving the claim commits. There is no high-water mark: a row whose
transaction commits after rows with higher positions were published is still unpublished,
so the next claim takes it.

Waking: PostgreSQL relays LISTEN on `OUTBOX_NOTIFY_CHANNEL` on a dedicated connection,
opened before the first claim and kept listening, so a commit between a claim and the wait
that follows is never slept through; the outbox trigger notifies at commit. Commits of
this process are heard at once on either database (`SqlDatabase.outbox_commits`). SQLite
has no NOTIFY: other processes' commits are found by looking for unpublished rows every
`poll_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import (
    Delete,
    Insert,
    Select,
    Table,
    Text,
    Update,
    Uuid,
    any_,
    bindparam,
    case,
    cast,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.codec.cloudevents import encode_cloudevent
from adapters.messaging.types import OutboxRecord, OutboxStatus, RelayCheckpoint
from adapters.sql.database import SQLITE_BEGIN_OPTION, SqlDatabase
from adapters.sql.messaging_tables import OUTBOX_NOTIFY_CHANNEL

log = logging.getLogger("petpro.outbox")

DEFAULT_POLL_SECONDS = 0.2
# After the LISTEN connection failed, claims try to open it again at most this often.
LISTEN_RETRY_SECONDS = 1.0
LISTEN_CONNECT_TIMEOUT_SECONDS = 5
# PostgreSQL, when the previous claim came back full (a backlog): walk the unpublished-rows
# index in position order. With statistics from when the outbox was nearly empty
# (autoanalyze lags a burst), the planner otherwise reads and sorts every unpublished row
# on each claim: 52 ms instead of 7 ms per 500-row claim with 20 000 pending.
_BACKLOG_PLAN = text("SET LOCAL enable_sort = off")


class SqlOutboxBatch:
    """Claimed rows; `mark_published` updates them in the claim's transaction."""

    def __init__(
        self, connection: AsyncConnection, mark: Update, records: Sequence[OutboxRecord]
    ) -> None:
        self.records = records
        self._connection = connection
        self._mark = mark

    async def mark_published(self) -> None:
        if self.records:
            await self._connection.execute(
                self._mark,
                {"ids": [r.event_id for r in self.records], "now": datetime.now(UTC)},
            )


class SqlOutboxStore:
    def __init__(
        self,
        database: SqlDatabase,
        table: Table,
        context: str,
        *,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> None:
        self.context = context
        self._database = database
        self._table = table
        # The outbox trigger notifies with the schema's name; in-process news is per schema.
        self._schema = table.schema or context
        # Every context's schema has its relay checkpoint next to its outbox.
        self._checkpoint = table.metadata.tables[f"{self._schema}.relay_checkpoint"]
        self._poll_seconds = poll_seconds
        self._postgres = database.dialect_name == "postgresql"
        self._listener = (
            OutboxListener(_libpq_conninfo(database), self._schema) if self._postgres else None
        )
        # In-process commits announced when the last claim began: a later count is news.
        self._commits_seen = database.outbox_commits(self._schema)
        self._select_unpublished, self._mark_published = _claim_statements(table, self._postgres)
        self._backlog = False

    @contextlib.asynccontextmanager
    async def claim(self, limit: int) -> AsyncIterator[SqlOutboxBatch]:
        if self._listener is not None:
            await self._listener.listen()  # before looking, so later commits are heard
        self._commits_seen = self._database.outbox_commits(self._schema)
        async with (
            self._database.transaction_slot(),
            self._database.engine.connect() as connection,
        ):
            if self._postgres and self._backlog:
                await connection.execute(_BACKLOG_PLAN)
            result = await connection.execute(self._select_unpublished, {"limit": limit})
            records = self._records(result.all())
            self._backlog = len(records) >= limit
            batch = SqlOutboxBatch(connection, self._mark_published, records)
            yield batch  # an exception here rolls back: the rows stay unpublished
            await connection.commit()

    def _records(self, rows: Sequence[Sequence[Any]]) -> list[OutboxRecord]:
        records = []
        for event_id, position, topic, event_type, envelope, *older_row in rows:
            body = envelope.encode() if envelope is not None else self._envelope_of(older_row)
            records.append(OutboxRecord(event_id, position, topic, event_type, body))
        return records

    def _envelope_of(self, row: Sequence[Any]) -> bytes:
        """The CloudEvent of a row written before envelopes were stored with the row."""
        (
            event_id,
            event_type,
            aggregate_type,
            aggregate_id,
            aggregate_version,
            occurred_at,
            payload_json,
            headers,
        ) = row
        return encode_cloudevent(
            event_id=event_id,
            event_type=event_type,
            context=self.context,
            occurred_at=occurred_at,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            payload_json=payload_json,
            headers=None if headers is None else json.loads(headers),
        )

    async def wait_for_new(self, seconds: float) -> None:
        in_process = self._database.wait_for_outbox_commit(
            self._schema, after=self._commits_seen, seconds=seconds
        )
        if self._listener is not None:
            await _until_first(in_process, self._listener.wait(seconds))
            # The claim that follows sees every commit notified so far: forget their news.
            await self._listener.drain()
        else:
            await _until_first(in_process, self._poll_for_unpublished(seconds))

    async def _poll_for_unpublished(self, seconds: float) -> None:
        """Return when another process left unpublished rows (SQLite), or after `seconds`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > self._poll_seconds:
            await asyncio.sleep(self._poll_seconds)
            if await self._has_unpublished():
                return
        await asyncio.sleep(max(0.0, remaining))

    async def _has_unpublished(self) -> bool:
        table = self._table
        query = select(table.c.position).where(table.c.published_at.is_(None)).limit(1)
        async with self._reading() as connection:
            return (await connection.execute(query)).first() is not None

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction: on SQLite a plain BEGIN, which takes no write lock."""
        async with self._database.engine.connect() as connection:
            yield await connection.execution_options(**{SQLITE_BEGIN_OPTION: "BEGIN"})

    async def status(self) -> OutboxStatus:
        table = self._table
        unpublished = table.c.published_at.is_(None)
        query = select(
            func.count().filter(unpublished),
            func.min(table.c.created_at).filter(unpublished),
            func.count(table.c.published_at),
        )
        async with self._reading() as connection:
            pending, oldest_pending_at, published = (await connection.execute(query)).one()
        return OutboxStatus(self.context, pending, oldest_pending_at, published)

    async def prune(self, created_before: datetime) -> int:
        table = self._table
        return await self._write(
            delete(table).where(
                table.c.published_at.is_not(None), table.c.created_at < created_before
            )
        )

    async def requeue(self, published_since: datetime) -> int:
        table = self._table
        return await self._write(
            update(table).where(table.c.published_at >= published_since).values(published_at=None)
        )

    async def _write(self, statement: Delete | Update | Insert) -> int:
        async with self._database.transaction_slot(), self._database.engine.begin() as connection:
            result = await connection.execute(statement)
            return int(result.rowcount)

    async def load_checkpoint(self) -> RelayCheckpoint | None:
        c = self._checkpoint.c
        query = select(c.safe_point, c.broker_identity).where(c.context == self.context)
        async with self._reading() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else RelayCheckpoint(row.safe_point, row.broker_identity)

    async def save_checkpoint(self, checkpoint: RelayCheckpoint) -> None:
        insert = pg_insert if self._postgres else sqlite_insert
        statement = insert(self._checkpoint).values(
            context=self.context,
            safe_point=checkpoint.safe_point,
            broker_identity=checkpoint.broker_identity,
        )
        excluded = statement.excluded
        await self._write(
            statement.on_conflict_do_update(
                index_elements=["context"],
                set_={
                    "safe_point": excluded.safe_point,
                    "broker_identity": excluded.broker_identity,
                },
            )
        )

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()


def _claim_statements(table: Table, postgres: bool) -> tuple[Select[Any], Update]:
    """The claim's SELECT and the mark's UPDATE, built once per store (SQLAlchemy caches
    their compiled forms). Rows carry their CloudEvent (`envelope`); only older rows also
    return what it is built from: the payload as the JSON text stored, never parsed, and the
    headers as text (json.loads of a str is cheaper than the driver's JSONB loader)."""
    c = table.c
    legacy = c.envelope.is_(None)  # rows from before envelopes were stored: build them
    select_unpublished = (
        select(
            c.id,
            c.position,
            c.event_name,
            c.event_type,
            c.envelope,
            *(
                case((legacy, column))
                for column in (
                    c.id,
                    c.event_type,
                    c.aggregate_type,
                    c.aggregate_id,
                    c.aggregate_version,
                    c.occurred_at,
                    cast(c.payload, Text),
                    cast(c.headers, Text),
                )
            ),
        )
        .where(c.published_at.is_(None))
        .order_by(c.position)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)  # SQLite: rendered as nothing
    )
    if postgres:
        claimed = c.id == any_(bindparam("ids", type_=ARRAY(Uuid())))
    else:
        claimed = c.id.in_(bindparam("ids", expanding=True))
    mark_published = update(table).where(claimed).values(published_at=bindparam("now"))
    return select_unpublished, mark_published


def _libpq_conninfo(database: SqlDatabase) -> str:
    return database.async_url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _until_first(*waits: Awaitable[None]) -> None:
    """Run the waits until one returns, then cancel the others; errors propagate."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()


class OutboxListener:
    """A dedicated autocommit connection LISTENing on `OUTBOX_NOTIFY_CHANNEL`, kept open so
    notifications queue on it between waits. Reconnects after errors."""

    def __init__(self, conninfo: str, schema: str) -> None:
        self._conninfo = conninfo
        self._schema = schema
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._retry_at = 0.0

    async def listen(self) -> bool:
        """Make sure the connection listens; True when it starts listening just now (what
        was committed before was not heard). Failures are logged, retried later."""
        if self._connection is not None:
            return False
        loop = asyncio.get_running_loop()
        if loop.time() < self._retry_at:
            return False
        try:
            self._connection = await self._connect_and_listen()
        except psycopg.Error as exc:
            self._retry_at = loop.time() + LISTEN_RETRY_SECONDS
            log.warning("cannot LISTEN for outbox news: %s", exc, extra={"schema": self._schema})
            return False
        return True

    async def _connect_and_listen(self) -> psycopg.AsyncConnection[Any]:
        connection = await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, connect_timeout=LISTEN_CONNECT_TIMEOUT_SECONDS
        )
        try:
            await connection.execute(f"LISTEN {OUTBOX_NOTIFY_CHANNEL}")
        except BaseException:
            await connection.close()
            raise
        return connection

    async def wait(self, seconds: float) -> None:
        """Return when the schema is notified, when the connection had to be reopened (news
        may have been missed meanwhile), or after `seconds`."""
        if await self.listen():
            return
        if self._connection is None:
            await asyncio.sleep(seconds)
            return
        await self._receive(seconds, until_notified=True)

    async def drain(self) -> None:
        """Forget the notifications already received."""
        if self._connection is not None:
            await self._receive(0.0, until_notified=False)

    async def _receive(self, seconds: float, *, until_notified: bool) -> None:
        connection = self._connection
        assert connection is not None
        try:
            # aclosing: the generator holds the connection's lock until it is closed.
            async with contextlib.aclosing(connection.notifies(timeout=seconds)) as notifies:
                async for notify in notifies:
                    if until_notified and notify.payload == self._schema:
                        return
        except psycopg.Error as exc:
            log.warning(
                "lost the outbox LISTEN connection: %s", exc, extra={"schema": self._schema}
            )
            await self.close()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(psycopg.Error):
                await connection.close()
