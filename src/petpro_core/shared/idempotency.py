"""The IdempotencyStore port: what an `Idempotency-Key` endpoint needs to remember.

Semantics of draft-ietf-httpapi-idempotency-key-header. One record per (scope, key):
`scope` names who sent the key to which operation (``user:<id>:POST /bookings``), so two
clients' keys never meet; `fingerprint` identifies the request, so a retry can be told
from another request reusing the key.

`claim` decides, atomically (two concurrent claims never both win):

| stored record                                    | same fingerprint | other fingerprint |
|--------------------------------------------------|------------------|-------------------|
| none, or expired (`expires_at <= now`)           | claimed          | claimed           |
| in flight, lock held (`locked_until > now`)      | in_flight        | mismatch          |
| in flight, lock lapsed (its request died)        | claimed (takeover) | mismatch        |
| completed                                        | replay(response) | mismatch          |

A claimed record is in flight until `complete` stores the response (kept `keep_for` from
then) or `release` forgets it (the request failed without an answer worth keeping, so
the client may retry with the same key). `prune` deletes expired records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from petpro_core.shared.errors import InvalidInput

MAX_KEY_LENGTH = 255
MAX_SCOPE_LENGTH = 200
FINGERPRINT_LENGTH = 64  # a hex SHA-256


class InvalidIdempotencyKey(InvalidInput):
    code = "idempotency-key-invalid"
    title = "Invalid Idempotency-Key"


def validate_idempotency_key(key: str) -> str:
    """The key itself when it is 1 to 255 visible ASCII characters (0x21 to 0x7E), else
    InvalidIdempotencyKey."""
    if not key:
        raise InvalidIdempotencyKey("the Idempotency-Key must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(
            f"the Idempotency-Key must be at most {MAX_KEY_LENGTH} characters long"
        )
    if not all("\x21" <= char <= "\x7e" for char in key):
        raise InvalidIdempotencyKey(
            "the Idempotency-Key may contain only visible ASCII characters (no spaces)"
        )
    return key


def validate_scope(scope: str) -> str:
    """Scopes are chosen by the server, so a bad one is a bug (ValueError), not bad input."""
    if not scope or len(scope) > MAX_SCOPE_LENGTH:
        raise ValueError(f"an idempotency scope must be 1 to {MAX_SCOPE_LENGTH} characters long")
    return scope


@dataclass(frozen=True, kw_only=True)
class StoredResponse:
    """A response kept to be replayed: status, the headers worth replaying, the body."""

    status_code: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def __post_init__(self) -> None:
        if not 100 <= self.status_code <= 599:
            raise ValueError(f"not an HTTP status code: {self.status_code}")
        if not isinstance(self.body, bytes):
            raise TypeError("a stored response body is bytes")
        object.__setattr__(self, "headers", tuple((str(n), str(v)) for n, v in self.headers))


class ClaimKind(StrEnum):
    CLAIMED = "claimed"  # run the request, then complete or release
    REPLAY = "replay"  # answered before: send `response` again
    MISMATCH = "mismatch"  # the key was used for another request
    IN_FLIGHT = "in_flight"  # the first request with this key is still running


@dataclass(frozen=True, kw_only=True)
class ClaimOutcome:
    kind: ClaimKind
    response: StoredResponse | None = None  # only for REPLAY
    locked_until: datetime | None = None  # only for IN_FLIGHT: when a takeover is possible

    def __post_init__(self) -> None:
        if (self.kind is ClaimKind.REPLAY) != (self.response is not None):
            raise ValueError("a replay, and only a replay, carries a response")
        if (self.kind is ClaimKind.IN_FLIGHT) != (self.locked_until is not None):
            raise ValueError("an in-flight outcome, and only one, carries locked_until")

    @classmethod
    def claimed(cls) -> ClaimOutcome:
        return cls(kind=ClaimKind.CLAIMED)

    @classmethod
    def replay(cls, response: StoredResponse) -> ClaimOutcome:
        return cls(kind=ClaimKind.REPLAY, response=response)

    @classmethod
    def mismatch(cls) -> ClaimOutcome:
        return cls(kind=ClaimKind.MISMATCH)

    @classmethod
    def in_flight(cls, locked_until: datetime) -> ClaimOutcome:
        return cls(kind=ClaimKind.IN_FLIGHT, locked_until=locked_until)


class IdempotencyStore(Protocol):
    async def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        now: datetime,
        lock_for: timedelta,
        keep_for: timedelta,
    ) -> ClaimOutcome:
        """Decide per the table above. A claim locks the record until `now + lock_for` (after
        that another request with the same fingerprint may take it over) and keeps it until
        `now + keep_for` at the latest, so an abandoned claim is pruned in the end."""
        ...

    async def complete(
        self, scope: str, key: str, response: StoredResponse, now: datetime, keep_for: timedelta
    ) -> None:
        """Store the answer of an in-flight record, kept until `now + keep_for`. A record
        that is no longer in flight (completed by a request that took it over) is left as it
        is: the first answer stored is the one replayed."""
        ...

    async def release(self, scope: str, key: str) -> None:
        """Forget an in-flight record (completed ones stay), so the key may be used again."""
        ...

    async def prune(self, now: datetime) -> int:
        """Delete every record with `expires_at <= now`; returns how many."""
        ...
