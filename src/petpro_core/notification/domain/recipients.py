"""Who messages go to, as the notification context knows them from other contexts' events:
users (from `user.created`/`user.updated`) and clinics with their staff (from
`clinic.created`/`clinic.updated`). Both are caches that never go backwards: a snapshot is
kept only when its aggregate version is newer than the stored one."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

LANGUAGES = ("en", "ja")
DEFAULT_LANGUAGE = "en"
ADMIN_ROLE = "admin"


def known_language(language: str | None) -> str:
    """The language to write in: the user's if we ship templates for it, else English."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True, kw_only=True)
class Recipient:
    user_id: UUID
    email: str | None
    display_name: str
    language: str  # "en" or "ja"
    roles: frozenset[str]
    version: int  # the user's aggregate version

    def __post_init__(self) -> None:
        object.__setattr__(self, "language", known_language(self.language))

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    def supersedes(self, stored: Recipient | None) -> bool:
        return stored is None or self.version > stored.version


@dataclass(frozen=True, kw_only=True)
class KnownClinic:
    clinic_id: UUID
    name: str
    time_zone: str  # IANA
    staff_ids: tuple[UUID, ...]  # every staff member's user id, in the event's order
    version: int  # the clinic's aggregate version

    def supersedes(self, stored: KnownClinic | None) -> bool:
        return stored is None or self.version > stored.version
