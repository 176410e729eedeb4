"""What the notification context needs from outside, named by role.

The SQL adapter must match the semantics stated here exactly (the contract tests run the
same assertions against memory, SQLite and PostgreSQL). Every timestamp is aware UTC.
Listing orders are total: ties are broken by the id so pages never overlap.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from petpro_core.notification.channels import Channel
from petpro_core.notification.domain.deliveries import Delivery, DeliveryStatus
from petpro_core.notification.domain.inbox import InAppMessage
from petpro_core.notification.domain.preferences import Preferences
from petpro_core.notification.domain.recipients import KnownClinic, Recipient
from petpro_core.notification.domain.reminders import Reminder
from petpro_core.shared.pagination import PageRequest
from petpro_core.shared.subscriptions import InboxUnitOfWork

__all__ = [
    "ClinicRepository",
    "DeliveryFilter",
    "DeliveryRepository",
    "InboxMessageRepository",
    "NotificationUnitOfWork",
    "NotificationUnitOfWorkFactory",
    "PreferencesRepository",
    "RecipientRepository",
    "ReminderRepository",
]


class RecipientRepository(Protocol):
    """Users as the notification context knows them (from user.created / user.updated)."""

    async def get(self, user_id: UUID) -> Recipient | None: ...

    async def get_many(self, user_ids: Sequence[UUID]) -> dict[UUID, Recipient]:
        """The known ones among `user_ids` (unknown ids are simply absent)."""
        ...

    async def apply(self, recipient: Recipient) -> bool:
        """Store the recipient if none is stored for its user or the stored one has a lower
        `version` (never backwards); answer whether it was stored."""
        ...

    async def admins(self) -> builtins.list[Recipient]:
        """Every recipient whose roles include "admin", by user id."""
        ...


class ClinicRepository(Protocol):
    """Clinics with their staff (from clinic.created / clinic.updated)."""

    async def get(self, clinic_id: UUID) -> KnownClinic | None: ...

    async def apply(self, clinic: KnownClinic) -> bool:
        """Like RecipientRepository.apply: stored only when newer by `version`; `staff_ids`
        keep their order."""
        ...


class PreferencesRepository(Protocol):
    async def get(self, user_id: UUID) -> Preferences | None:
        """The user's saved preferences, or None when they never saved any (the caller
        uses `Preferences.defaults`)."""
        ...

    async def get_many(self, user_ids: Sequence[UUID]) -> dict[UUID, Preferences]:
        """The saved preferences among `user_ids` (users without any are absent)."""
        ...

    async def save(self, preferences: Preferences) -> None:
        """Insert (when `version == 1` and none is stored) or replace (when the stored
        version is `version - 1`); otherwise raise ConcurrentUpdate. `channels` round-trips
        exactly: categories not in the mapping stay absent (they use the defaults), a
        category mapped to an empty set stays present and empty (everything off)."""
        ...


@dataclass(frozen=True, kw_only=True)
class DeliveryFilter:
    """Every given field must match (None: any)."""

    status: DeliveryStatus | None = None
    channel: Channel | None = None
    recipient_id: UUID | None = None
    kind: str | None = None
    source_id: UUID | None = None


class DeliveryRepository(Protocol):
    async def add(self, deliveries: Sequence[Delivery]) -> builtins.list[Delivery]:
        """Insert the deliveries whose `delivery_id` is not stored yet (insert-if-absent:
        ON CONFLICT DO NOTHING / INSERT OR IGNORE; a stored one is never changed); answer
        the ones inserted, in the given order."""
        ...

    async def get(self, delivery_id: UUID) -> Delivery | None: ...

    async def due(self, now: datetime, limit: int) -> builtins.list[Delivery]:
        """At most `limit` deliveries with status pending or sending and
        `next_attempt_at <= now`, oldest first: by `next_attempt_at`, then `delivery_id`.
        (A sending one is due when its lease ran out.) On PostgreSQL the rows are locked
        `FOR UPDATE SKIP LOCKED`, so two dispatchers in concurrent transactions never get
        the same delivery."""
        ...

    async def save(self, delivery: Delivery) -> None:
        """Replace a stored delivery whose stored version is `delivery.version - 1`; else
        (absent, or another version) raise StaleDelivery."""
        ...

    async def list(
        self, filter: DeliveryFilter, page: PageRequest
    ) -> tuple[Sequence[Delivery], int]:
        """Deliveries matching the filter, newest first (`created_at` descending, then
        `delivery_id` descending), and how many match in all."""
        ...


class InboxMessageRepository(Protocol):
    """The users' in-app messages (not to be confused with the event inbox)."""

    async def add(self, message: InAppMessage) -> bool:
        """Insert unless a message with its id is stored (then nothing changes); answer
        whether it was inserted."""
        ...

    async def list_for(
        self, user_id: UUID, page: PageRequest, *, unread_only: bool = False
    ) -> tuple[Sequence[InAppMessage], int]:
        """The user's messages (only unread ones when `unread_only`), newest first
        (`created_at` descending, then `message_id` descending), and how many match."""
        ...

    async def unread_count(self, user_id: UUID) -> int: ...

    async def mark_read(
        self, user_id: UUID, message_ids: Sequence[UUID] | None, now: datetime
    ) -> int:
        """Set `read_at = now` on the user's unread messages among `message_ids` (None: all
        of the user's unread messages); other users' ids and read messages are left alone.
        Answer how many changed."""
        ...


class ReminderRepository(Protocol):
    async def get(self, booking_id: UUID) -> Reminder | None: ...

    async def put(self, reminder: Reminder) -> None:
        """Insert (when `version == 1` and none is stored for the booking) or replace (when
        the stored version is `version - 1`); otherwise raise ConcurrentUpdate."""
        ...

    async def due(self, now: datetime, limit: int) -> builtins.list[Reminder]:
        """At most `limit` reminders with status scheduled and `due_at <= now`, by `due_at`
        then `booking_id` (FOR UPDATE SKIP LOCKED on PostgreSQL)."""
        ...


class NotificationUnitOfWork(InboxUnitOfWork, Protocol):
    recipients: RecipientRepository
    clinics: ClinicRepository
    preferences: PreferencesRepository
    deliveries: DeliveryRepository
    messages: InboxMessageRepository
    reminders: ReminderRepository


NotificationUnitOfWorkFactory = Callable[[], NotificationUnitOfWork]
