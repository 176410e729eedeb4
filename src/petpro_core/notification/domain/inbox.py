"""The in-app inbox: one message per in-app delivery, read by its user over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from petpro_core.notification.domain.preferences import Category


@dataclass(frozen=True, kw_only=True)
class InAppMessage:
    message_id: UUID  # the in-app delivery's id
    user_id: UUID
    kind: str
    category: Category
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None = None

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def read(self, now: datetime) -> InAppMessage:
        return self if self.read_at is not None else replace(self, read_at=now)
