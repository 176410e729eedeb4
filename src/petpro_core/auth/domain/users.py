"""The User aggregate and the value rules of its fields."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from petpro_core.auth.domain.roles import Role
from petpro_core.contracts.auth import UserCreated, UserUpdated
from petpro_core.shared.errors import InvalidInput

MAX_EMAIL_LENGTH = 254
MAX_DISPLAY_NAME_LENGTH = 100
_EMAIL_SHAPE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")


class Language(StrEnum):
    EN = "en"
    JA = "ja"


def normalise_email(raw: str) -> str:
    """Canonical form used for storage and lookup: NFKC, trimmed, lower-case."""
    return unicodedata.normalize("NFKC", raw).strip().lower()


def parse_email(raw: str) -> str:
    email = normalise_email(raw)
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL_SHAPE.match(email) or ".." in email:
        raise InvalidInput("not a valid e-mail address", field="email")
    return email


def parse_display_name(raw: str) -> str:
    name = unicodedata.normalize("NFKC", raw).strip()
    if not 1 <= len(name) <= MAX_DISPLAY_NAME_LENGTH:
        raise InvalidInput(
            f"display_name must be 1 to {MAX_DISPLAY_NAME_LENGTH} characters", field="display_name"
        )
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidInput("display_name must not contain control characters", field="display_name")
    return name


def parse_language(raw: str) -> Language:
    try:
        return Language(raw)
    except ValueError:
        allowed = ", ".join(lang.value for lang in Language)
        raise InvalidInput(f"language must be one of: {allowed}", field="language") from None


@dataclass(frozen=True, kw_only=True)
class User:
    id: UUID
    email: str
    display_name: str
    password_hash: str
    roles: frozenset[Role]
    language: Language
    created_at: datetime
    updated_at: datetime
    version: int = 1

    def __post_init__(self) -> None:
        if self.email != parse_email(self.email):
            raise InvalidInput("e-mail must be stored normalised", field="email")
        if not self.roles:
            raise InvalidInput("a user has at least one role", field="roles")

    @classmethod
    def register(
        cls,
        *,
        user_id: UUID,
        email: str,
        display_name: str,
        password_hash: str,
        roles: frozenset[Role],
        language: Language,
        now: datetime,
    ) -> tuple[User, UserCreated]:
        user = cls(
            id=user_id,
            email=email,
            display_name=display_name,
            password_hash=password_hash,
            roles=roles,
            language=language,
            created_at=now,
            updated_at=now,
        )
        return user, UserCreated(occurred_at=now, aggregate_version=1, **user._public())

    def with_profile(
        self, *, display_name: str | None, language: Language | None, now: datetime
    ) -> tuple[User, UserUpdated | None]:
        return self._changed_to(
            replace(
                self,
                display_name=self.display_name if display_name is None else display_name,
                language=self.language if language is None else language,
            ),
            now,
        )

    def with_roles(self, roles: frozenset[Role], now: datetime) -> tuple[User, UserUpdated | None]:
        return self._changed_to(replace(self, roles=roles), now)

    def with_password_hash(self, password_hash: str, now: datetime) -> User:
        """Credentials are private: a new hash raises no event, but it is a new version, so
        a concurrent update that read the old row cannot write the old hash back."""
        return replace(self, password_hash=password_hash, updated_at=now, version=self.version + 1)

    def _changed_to(self, changed: User, now: datetime) -> tuple[User, UserUpdated | None]:
        """The next version and its event, or self and None when nothing public changed."""
        if changed._public() == self._public():
            return self, None
        bumped = replace(changed, version=self.version + 1, updated_at=now)
        return bumped, UserUpdated(
            occurred_at=now, aggregate_version=bumped.version, **bumped._public()
        )

    def _public(self) -> dict[str, Any]:
        return {
            "user_id": self.id,
            "email": self.email,
            "display_name": self.display_name,
            "roles": tuple(sorted(role.value for role in self.roles)),
            "language": self.language.value,
        }
