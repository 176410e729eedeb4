"""Contract of the IdempotencyStore port, run against memory, SQLite and PostgreSQL.

The SQL stores use booking's `idempotency_keys` table (migration booking 0004).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory.idempotency import InMemoryIdempotencyStore
from adapters.sql.booking.tables import idempotency_keys
from adapters.sql.database import SqlDatabase
from adapters.sql.idempotency import SqlIdempotencyStore
from petpro_core.shared.idempotency import (
    ClaimKind,
    ClaimOutcome,
    IdempotencyStore,
    InvalidIdempotencyKey,
    StoredResponse,
    validate_idempotency_key,
)

T0 = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
LOCK = timedelta(seconds=30)
KEEP = timedelta(hours=24)
SCOPE = "user:0b0e7a52-3c37-4a1e-9d1f-0e8f6f1b2c3d:POST /bookings"
KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"
FP = "a" * 64
OTHER_FP = "b" * 64
CREATED = StoredResponse(
    status_code=201,
    headers=(("content-type", "application/json"), ("location", "/bookings/ü-1")),
    body=b'{"id":"1","note":"\xc3\xbc"}\x00\xff',  # any bytes, not only UTF-8
)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> IdempotencyStore:
    if request.param == "memory":
        return InMemoryIdempotencyStore()
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    database: SqlDatabase = request.getfixturevalue(fixture)
    return SqlIdempotencyStore(database, idempotency_keys)


async def claim(
    store: IdempotencyStore,
    now: datetime = T0,
    *,
    fingerprint: str = FP,
    key: str = KEY,
    scope: str = SCOPE,
) -> ClaimOutcome:
    return await store.claim(scope, key, fingerprint, now, LOCK, KEEP)


async def test_a_new_key_is_claimed_and_then_in_flight(store: IdempotencyStore) -> None:
    assert await claim(store) == ClaimOutcome.claimed()

    assert await claim(store, T0 + timedelta(seconds=1)) == ClaimOutcome.in_flight(T0 + LOCK)
    assert await claim(store, T0 + LOCK - timedelta(microseconds=1)) == ClaimOutcome.in_flight(
        T0 + LOCK
    )
    assert await claim(store, fingerprint=OTHER_FP) == ClaimOutcome.mismatch()


async def test_a_completed_key_replays_its_response_exactly(store: IdempotencyStore) -> None:
    await claim(store)
    await store.complete(SCOPE, KEY, CREATED, T0 + timedelta(seconds=2), KEEP)

    later = T0 + timedelta(hours=1)
    assert await claim(store, later) == ClaimOutcome.replay(CREATED)
    assert await claim(store, later) == ClaimOutcome.replay(CREATED)  # again and again
    assert await claim(store, later, fingerprint=OTHER_FP) == ClaimOutcome.mismatch()


async def test_empty_bodies_and_no_headers_round_trip(store: IdempotencyStore) -> None:
    empty = StoredResponse(status_code=204)
    await claim(store)
    await store.complete(SCOPE, KEY, empty, T0, KEEP)
    outcome = await claim(store, T0 + timedelta(seconds=1))
    assert outcome == ClaimOutcome.replay(empty)
    assert outcome.response is not None and outcome.response.body == b""


async def test_keys_in_other_scopes_and_other_keys_are_independent(
    store: IdempotencyStore,
) -> None:
    await claim(store)
    other_scope = SCOPE.replace("0b0e7a52", "ffffffff")
    assert await claim(store, scope=other_scope, fingerprint=OTHER_FP) == ClaimOutcome.claimed()
    assert await claim(store, key=KEY.upper()) == ClaimOutcome.claimed()  # case matters
    await store.complete(other_scope, KEY, CREATED, T0, KEEP)
    assert await claim(store) == ClaimOutcome.in_flight(T0 + LOCK)


async def test_an_abandoned_claim_is_taken_over_once_its_lock_lapses(
    store: IdempotencyStore,
) -> None:
    await claim(store)
    lapsed = T0 + LOCK

    assert await claim(store, lapsed, fingerprint=OTHER_FP) == ClaimOutcome.mismatch()
    assert await claim(store, lapsed) == ClaimOutcome.claimed()
    # The takeover holds a new lock.
    assert await claim(store, lapsed + timedelta(seconds=1)) == ClaimOutcome.in_flight(
        lapsed + LOCK
    )


async def test_the_first_answer_stored_is_the_one_replayed(store: IdempotencyStore) -> None:
    await claim(store)
    await claim(store, T0 + LOCK)  # taken over: two requests run
    second = StoredResponse(status_code=201, headers=(), body=b"second")
    await store.complete(SCOPE, KEY, CREATED, T0 + LOCK + timedelta(seconds=1), KEEP)
    await store.complete(SCOPE, KEY, second, T0 + LOCK + timedelta(seconds=2), KEEP)

    assert await claim(store, T0 + LOCK * 3) == ClaimOutcome.replay(CREATED)


async def test_completing_an_unknown_or_released_key_stores_nothing(
    store: IdempotencyStore,
) -> None:
    await store.complete(SCOPE, KEY, CREATED, T0, KEEP)
    assert await claim(store) == ClaimOutcome.claimed()
    await store.release(SCOPE, KEY)
    await store.complete(SCOPE, KEY, CREATED, T0, KEEP)
    assert await claim(store, T0 + timedelta(seconds=1)) == ClaimOutcome.claimed()


async def test_a_completed_key_expires_keep_for_after_its_answer(
    store: IdempotencyStore,
) -> None:
    await claim(store)
    answered = T0 + timedelta(seconds=10)
    await store.complete(SCOPE, KEY, CREATED, answered, KEEP)

    just_before = answered + KEEP - timedelta(microseconds=1)
    assert await claim(store, just_before) == ClaimOutcome.replay(CREATED)
    # Expired: as if it had never been, whatever the request.
    assert await claim(store, answered + KEEP, fingerprint=OTHER_FP) == ClaimOutcome.claimed()
    assert await claim(store, answered + KEEP + timedelta(seconds=1)) == ClaimOutcome.mismatch()


async def test_an_abandoned_claim_expires_too(store: IdempotencyStore) -> None:
    await claim(store)
    assert await claim(store, T0 + KEEP - timedelta(seconds=1), fingerprint=OTHER_FP) == (
        ClaimOutcome.mismatch()
    )
    assert await claim(store, T0 + KEEP, fingerprint=OTHER_FP) == ClaimOutcome.claimed()


async def test_release_forgets_an_in_flight_claim_but_not_an_answer(
    store: IdempotencyStore,
) -> None:
    await store.release(SCOPE, KEY)  # unknown: nothing happens
    await claim(store)
    await store.release(SCOPE, KEY)
    # The client may retry at once, even with another body: nothing was answered.
    assert await claim(store, T0, fingerprint=OTHER_FP) == ClaimOutcome.claimed()

    await store.complete(SCOPE, KEY, CREATED, T0, KEEP)
    await store.release(SCOPE, KEY)
    assert await claim(store, T0, fingerprint=OTHER_FP) == ClaimOutcome.replay(CREATED)


async def test_prune_deletes_only_expired_records(store: IdempotencyStore) -> None:
    await claim(store, key="answered")
    await store.complete(SCOPE, "answered", CREATED, T0, KEEP)
    await claim(store, key="abandoned", now=T0 + timedelta(hours=1))
    await claim(store, key="recent", now=T0 + timedelta(hours=2))
    await store.complete(SCOPE, "recent", CREATED, T0 + timedelta(hours=2), KEEP)

    assert await store.prune(T0 + KEEP - timedelta(seconds=1)) == 0
    assert await store.prune(T0 + KEEP + timedelta(hours=1)) == 2  # answered, abandoned
    assert await store.prune(T0 + KEEP + timedelta(hours=1)) == 0

    still = T0 + timedelta(hours=3)
    assert await claim(store, still, key="recent") == ClaimOutcome.replay(CREATED)
    # Pruned records are gone even for a `now` before their expiry.
    assert await claim(store, still, key="answered", fingerprint=OTHER_FP) == (
        ClaimOutcome.claimed()
    )
    assert await claim(store, still, key="abandoned", fingerprint=OTHER_FP) == (
        ClaimOutcome.claimed()
    )


async def test_concurrent_claims_of_one_key_have_exactly_one_winner(
    store: IdempotencyStore,
) -> None:
    outcomes = await asyncio.gather(*(claim(store) for _ in range(10)))
    kinds = Counter(outcome.kind for outcome in outcomes)
    assert kinds == {ClaimKind.CLAIMED: 1, ClaimKind.IN_FLIGHT: 9}


async def test_concurrent_claims_with_different_bodies_have_exactly_one_winner(
    store: IdempotencyStore,
) -> None:
    fingerprints = [f"{i:064x}" for i in range(10)]
    outcomes = await asyncio.gather(*(claim(store, fingerprint=fp) for fp in fingerprints))
    kinds = Counter(outcome.kind for outcome in outcomes)
    assert kinds == {ClaimKind.CLAIMED: 1, ClaimKind.MISMATCH: 9}


async def test_concurrent_takeovers_of_an_abandoned_claim_have_exactly_one_winner(
    store: IdempotencyStore,
) -> None:
    await claim(store)
    lapsed = T0 + LOCK + timedelta(seconds=5)
    outcomes = await asyncio.gather(*(claim(store, lapsed) for _ in range(10)))
    kinds = Counter(outcome.kind for outcome in outcomes)
    assert kinds == {ClaimKind.CLAIMED: 1, ClaimKind.IN_FLIGHT: 9}


async def test_claims_validate_the_key(store: IdempotencyStore) -> None:
    for bad in ["", "has space", "tab\there", "ü-umlaut", "x" * 256, "new\nline"]:
        with pytest.raises(InvalidIdempotencyKey):
            await claim(store, key=bad)
    longest = "~" * 255
    assert await claim(store, key=longest) == ClaimOutcome.claimed()
    assert await claim(store, key="!") == ClaimOutcome.claimed()


def test_key_validation_explains_itself() -> None:
    assert validate_idempotency_key("abc-123_XYZ.~!") == "abc-123_XYZ.~!"
    with pytest.raises(InvalidIdempotencyKey, match="at most 255"):
        validate_idempotency_key("x" * 256)
    with pytest.raises(InvalidIdempotencyKey, match="visible ASCII"):
        validate_idempotency_key("a b")
    with pytest.raises(InvalidIdempotencyKey, match="empty"):
        validate_idempotency_key("")
    assert InvalidIdempotencyKey.code == "idempotency-key-invalid"


def test_outcomes_and_responses_are_consistent() -> None:
    with pytest.raises(ValueError):
        ClaimOutcome(kind=ClaimKind.REPLAY)
    with pytest.raises(ValueError):
        ClaimOutcome(kind=ClaimKind.CLAIMED, response=CREATED)
    with pytest.raises(ValueError):
        ClaimOutcome(kind=ClaimKind.IN_FLIGHT)
    with pytest.raises(ValueError):
        StoredResponse(status_code=42)
