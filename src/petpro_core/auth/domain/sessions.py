"""Refresh sessions: opaque refresh tokens that rotate on every use.

Every login starts a family. Each refresh marks the presented token used and issues the
next one in the family. Presenting a used (or revoked) token again means it was stolen or
replayed: the whole family is revoked, so both the thief and the victim must log in again.
Only a SHA-256 of each token is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

REFRESH_TOKEN_BYTES = 32


def new_refresh_token() -> str:
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class RefreshToken:
    token_hash: str
    family_id: UUID
    user_id: UUID
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def is_spent(self) -> bool:
        """Used or revoked: presenting it again is a replay."""
        return self.used_at is not None or self.revoked_at is not None

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at
