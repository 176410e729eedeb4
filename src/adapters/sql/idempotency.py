"""The IdempotencyStore port over an `idempotency_keys` table (see `idempotency_table`).

Every call is its own short transaction on the given `SqlDatabase`, apart from the unit of
work of the request it guards. A claim is one upsert:

    INSERT … ON CONFLICT (scope, key) DO UPDATE SET <a fresh in-flight record>
        WHERE <the stored record expired, or is in flight with a lapsed lock and the same
               fingerprint>
    RETURNING scope

A returned row means the claim won (a new record, or a takeover); otherwise the stored
record is read in the same transaction and tells replay, mismatch or in flight. On
PostgreSQL the upsert waits for a concurrent inserter of the same key and then sees its
committed row (and locks it, so the read that follows sees it unchanged); on SQLite the
transaction begins IMMEDIATE, so claims take turns. Either way two concurrent claims never
both win.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.database import SqlDatabase
from adapters.sql.statements import Statement
from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.idempotency import (
    ClaimOutcome,
    StoredResponse,
    validate_idempotency_key,
    validate_scope,
)

IN_FLIGHT = "in_flight"
COMPLETED = "completed"
# A record deleted between the upsert and the read (released or pruned meanwhile, only
# possible on PostgreSQL without the row lock, i.e. never in practice) means: try again.
_CLAIM_ATTEMPTS = 3


class SqlIdempotencyStore:
    def __init__(self, database: SqlDatabase, table: Table) -> None:
        self._database = database
        self._table = table
        insert = pg_insert if database.dialect_name == "postgresql" else sqlite_insert
        t = table
        statement = insert(t)
        new = statement.excluded
        self._upsert = Statement(
            statement.on_conflict_do_update(
                index_elements=[t.c.scope, t.c.key],
                set_={c.name: new[c.name] for c in t.columns if not c.primary_key},
                where=or_(
                    t.c.expires_at <= new.created_at,
                    and_(
                        t.c.state == IN_FLIGHT,
                        t.c.locked_until <= new.created_at,
                        t.c.fingerprint == new.fingerprint,
                    ),
                ),
            ).returning(t.c.scope)
        )
        self._stored = Statement(
            select(
                t.c.fingerprint,
                t.c.state,
                t.c.status_code,
                t.c.response_headers,
                t.c.response_body,
                t.c.locked_until,
            ).where(t.c.scope == bindparam("scope"), t.c.key == bindparam("key"))
        )
        self._complete = Statement(
            update(t)
            .where(
                t.c.scope == bindparam("_scope"),
                t.c.key == bindparam("_key"),
                t.c.state == IN_FLIGHT,
            )
            .values(
                state=COMPLETED,
                status_code=bindparam("_status_code"),
                response_headers=bindparam("_response_headers"),
                response_body=bindparam("_response_body"),
                expires_at=bindparam("_expires_at"),
            )
        )

    async def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        now: datetime,
        lock_for: timedelta,
        keep_for: timedelta,
    ) -> ClaimOutcome:
        validate_scope(scope)
        validate_idempotency_key(key)
        now = ensure_aware(now)
        for _ in range(_CLAIM_ATTEMPTS):
            async with self._transaction() as connection:
                outcome = await self._claim_once(
                    connection, scope, key, fingerprint, now, lock_for, keep_for
                )
            if outcome is not None:
                return outcome
        raise RuntimeError(f"could not claim idempotency key {key!r} in scope {scope!r}")

    async def _claim_once(
        self,
        connection: AsyncConnection,
        scope: str,
        key: str,
        fingerprint: str,
        now: datetime,
        lock_for: timedelta,
        keep_for: timedelta,
    ) -> ClaimOutcome | None:
        fresh: dict[str, Any] = {
            "scope": scope,
            "key": key,
            "fingerprint": fingerprint,
            "state": IN_FLIGHT,
            "status_code": None,
            "response_headers": None,
            "response_body": None,
            "created_at": now,
            "locked_until": now + lock_for,
            "expires_at": now + max(keep_for, lock_for),
        }
        if (await self._upsert.execute(connection, fresh)).first() is not None:
            return ClaimOutcome.claimed()

        row = (await self._stored.execute(connection, {"scope": scope, "key": key})).first()
        if row is None:
            return None  # gone since the upsert: try again
        if row.fingerprint != fingerprint:
            return ClaimOutcome.mismatch()
        if row.state == COMPLETED:
            return ClaimOutcome.replay(
                StoredResponse(
                    status_code=row.status_code,
                    headers=_decode_headers(row.response_headers),
                    body=bytes(row.response_body or b""),
                )
            )
        if row.locked_until > now:
            return ClaimOutcome.in_flight(row.locked_until)
        return None  # lapsed since the upsert looked (cannot happen with one `now`): again

    async def complete(
        self, scope: str, key: str, response: StoredResponse, now: datetime, keep_for: timedelta
    ) -> None:
        async with self._transaction() as connection:
            await self._complete.execute(
                connection,
                {
                    "_scope": scope,
                    "_key": key,
                    "_status_code": response.status_code,
                    "_response_headers": _encode_headers(response.headers),
                    "_response_body": response.body,
                    "_expires_at": ensure_aware(now) + keep_for,
                },
            )

    async def release(self, scope: str, key: str) -> None:
        t = self._table
        async with self._transaction() as connection:
            await connection.execute(
                delete(t).where(t.c.scope == scope, t.c.key == key, t.c.state == IN_FLIGHT)
            )

    async def prune(self, now: datetime) -> int:
        t = self._table
        async with self._transaction() as connection:
            result = await connection.execute(delete(t).where(t.c.expires_at <= ensure_aware(now)))
        return int(result.rowcount or 0)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        """One short transaction: commits when the block ends normally, else rolls back."""
        async with self._database.transaction_slot(), self._database.engine.begin() as conn:
            yield conn


def _encode_headers(headers: tuple[tuple[str, str], ...]) -> str:
    return json.dumps([[name, value] for name, value in headers], separators=(",", ":"))


def _decode_headers(text: str | None) -> tuple[tuple[str, str], ...]:
    if not text:
        return ()
    return tuple((str(name), str(value)) for name, value in json.loads(text))
