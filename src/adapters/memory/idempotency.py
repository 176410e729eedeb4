"""The IdempotencyStore port in memory: the reference the SQL store is tested against.

Every method reads and writes without awaiting in between, so on one event loop each call
is atomic: two concurrent claims of one key never both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.idempotency import (
    ClaimOutcome,
    StoredResponse,
    validate_idempotency_key,
    validate_scope,
)

IN_FLIGHT = "in_flight"
COMPLETED = "completed"


@dataclass
class _Record:
    fingerprint: str
    state: str
    locked_until: datetime
    expires_at: datetime
    response: StoredResponse | None = None


class InMemoryIdempotencyStore:
    def __init__(self) -> None:
        self._records: dict[tuple[str, str], _Record] = {}

    def __len__(self) -> int:
        return len(self._records)

    async def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        now: datetime,
        lock_for: timedelta,
        keep_for: timedelta,
    ) -> ClaimOutcome:
        ident = (validate_scope(scope), validate_idempotency_key(key))
        now = ensure_aware(now)
        record = self._records.get(ident)
        if record is not None and record.expires_at > now:
            if record.fingerprint != fingerprint:
                return ClaimOutcome.mismatch()
            if record.state == COMPLETED:
                assert record.response is not None
                return ClaimOutcome.replay(record.response)
            if record.locked_until > now:
                return ClaimOutcome.in_flight(record.locked_until)
            # In flight, but its lock lapsed: the request died; take it over.
        self._records[ident] = _Record(
            fingerprint=fingerprint,
            state=IN_FLIGHT,
            locked_until=now + lock_for,
            expires_at=now + max(keep_for, lock_for),
        )
        return ClaimOutcome.claimed()

    async def complete(
        self, scope: str, key: str, response: StoredResponse, now: datetime, keep_for: timedelta
    ) -> None:
        record = self._records.get((scope, key))
        if record is None or record.state != IN_FLIGHT:
            return
        record.state = COMPLETED
        record.response = response
        record.expires_at = ensure_aware(now) + keep_for

    async def release(self, scope: str, key: str) -> None:
        record = self._records.get((scope, key))
        if record is not None and record.state == IN_FLIGHT:
            del self._records[(scope, key)]

    async def prune(self, now: datetime) -> int:
        now = ensure_aware(now)
        expired = [ident for ident, record in self._records.items() if record.expires_at <= now]
        for ident in expired:
            del self._records[ident]
        return len(expired)
