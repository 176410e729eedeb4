"""argon2id password hashing and zxcvbn strength estimation."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn


@dataclass(frozen=True, slots=True)
class Argon2Parameters:
    """OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane."""

    memory_cost_kib: int = 19_456
    time_cost: int = 2
    parallelism: int = 1


class Argon2PasswordHasher:
    def __init__(self, parameters: Argon2Parameters = Argon2Parameters()) -> None:
        self._argon2 = _Argon2(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost_kib,
            parallelism=parameters.parallelism,
            type=Type.ID,
        )

    # argon2-cffi releases the GIL while hashing, so worker threads hash in parallel and the
    # event loop keeps serving; the default executor's size bounds how many run at once.
    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


class ZxcvbnPasswordStrength:
    # zxcvbn's cost grows with length; past this many characters a passphrase is strong
    # by length alone, and estimating it would only hand attackers a CPU lever. zxcvbn 4.5
    # also raises ValueError past 72 characters (its `max_length`), so never pass more.
    _ESTIMATE_PREFIX = 72

    def score(self, password: str, user_inputs: list[str]) -> int:
        result = zxcvbn(password[: self._ESTIMATE_PREFIX], user_inputs=user_inputs)
        return int(result["score"])
