"""The argon2id adapter: OWASP parameters, and hashing that never blocks the event loop."""

from __future__ import annotations

import asyncio

from adapters.security.passwords import Argon2Parameters, Argon2PasswordHasher


async def test_hashing_at_owasp_cost_leaves_the_event_loop_free() -> None:
    hasher = Argon2PasswordHasher(Argon2Parameters())  # 19 MiB, t=2: tens of milliseconds
    ticks = 0
    hashing = asyncio.ensure_future(hasher.hash("correct horse battery staple"))

    while not hashing.done():
        ticks += 1
        await asyncio.sleep(0.001)

    password_hash = hashing.result()
    assert password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    # A blocking hash would let the loop run this coroutine at most once or twice.
    assert ticks >= 5, ticks
    assert await hasher.verify(password_hash, "correct horse battery staple")
    assert not await hasher.verify(password_hash, "correct horse battery stapler")
    assert not hasher.needs_rehash(password_hash)


async def test_a_malformed_stored_hash_is_a_mismatch_and_needs_rehash() -> None:
    hasher = Argon2PasswordHasher(Argon2Parameters(memory_cost_kib=1024, time_cost=1))
    assert not await hasher.verify("not-a-hash", "anything at all here")
    assert hasher.needs_rehash("not-a-hash")
