"""Hand-written fakes for the unit tier (no mocks)."""

from __future__ import annotations

from collections import Counter

from adapters.security.passwords import Argon2PasswordHasher


class CountingHasher:
    """The real argon2id hasher, counting every call and remembering the hashes verified."""

    def __init__(self, inner: Argon2PasswordHasher) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()
        self.verified_hashes: list[str] = []

    async def hash(self, password: str) -> str:
        self.calls["hash"] += 1
        return await self._inner.hash(password)

    async def verify(self, password_hash: str, password: str) -> bool:
        self.calls["verify"] += 1
        self.verified_hashes.append(password_hash)
        return await self._inner.verify(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        self.calls["needs_rehash"] += 1
        return self._inner.needs_rehash(password_hash)

    def reset(self) -> None:
        self.calls.clear()
        self.verified_hashes.clear()
