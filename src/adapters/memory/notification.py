"""In-memory adapters of the notification context: recipients, clinics, preferences,
deliveries, in-app messages, reminders, the event inbox and the unit of work.

Units of work on one store run one at a time, so claiming due deliveries needs no locks
(the SQL adapter uses FOR UPDATE SKIP LOCKED for the same effect).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from adapters.memory.inbox import InMemoryInbox
from adapters.memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from petpro_core.notification.domain.deliveries import Delivery
from petpro_core.notification.domain.errors import ConcurrentUpdate, StaleDelivery
from petpro_core.notification.domain.inbox import InAppMessage
from petpro_core.notification.domain.preferences import Preferences
from petpro_core.notification.domain.recipients import KnownClinic, Recipient
from petpro_core.notification.domain.reminders import Reminder, ReminderStatus
from petpro_core.notification.ports import (
    ClinicRepository,
    DeliveryFilter,
    DeliveryRepository,
    InboxMessageRepository,
    PreferencesRepository,
    RecipientRepository,
    ReminderRepository,
)
from petpro_core.shared.pagination import PageRequest
from petpro_core.shared.subscriptions import Inbox


@dataclass
class NotificationState:
    recipients: dict[UUID, Recipient] = field(default_factory=dict)
    clinics: dict[UUID, KnownClinic] = field(default_factory=dict)
    preferences: dict[UUID, Preferences] = field(default_factory=dict)
    deliveries: dict[UUID, Delivery] = field(default_factory=dict)
    messages: dict[UUID, InAppMessage] = field(default_factory=dict)
    reminders: dict[UUID, Reminder] = field(default_factory=dict)
    inbox: dict[tuple[str, UUID], datetime] = field(default_factory=dict)

    def clone(self) -> NotificationState:
        return NotificationState(
            recipients=dict(self.recipients),
            clinics=dict(self.clinics),
            preferences=dict(self.preferences),
            deliveries=dict(self.deliveries),
            messages=dict(self.messages),
            reminders=dict(self.reminders),
            inbox=dict(self.inbox),
        )


class InMemoryRecipientRepository:
    def __init__(self, state: NotificationState) -> None:
        self._recipients = state.recipients

    async def get(self, user_id: UUID) -> Recipient | None:
        return self._recipients.get(user_id)

    async def get_many(self, user_ids: Sequence[UUID]) -> dict[UUID, Recipient]:
        return {u: self._recipients[u] for u in user_ids if u in self._recipients}

    async def apply(self, recipient: Recipient) -> bool:
        if not recipient.supersedes(self._recipients.get(recipient.user_id)):
            return False
        self._recipients[recipient.user_id] = recipient
        return True

    async def admins(self) -> builtins.list[Recipient]:
        return sorted((r for r in self._recipients.values() if r.is_admin), key=lambda r: r.user_id)


class InMemoryClinicRepository:
    def __init__(self, state: NotificationState) -> None:
        self._clinics = state.clinics

    async def get(self, clinic_id: UUID) -> KnownClinic | None:
        return self._clinics.get(clinic_id)

    async def apply(self, clinic: KnownClinic) -> bool:
        if not clinic.supersedes(self._clinics.get(clinic.clinic_id)):
            return False
        self._clinics[clinic.clinic_id] = clinic
        return True


class InMemoryPreferencesRepository:
    def __init__(self, state: NotificationState) -> None:
        self._preferences = state.preferences

    async def get(self, user_id: UUID) -> Preferences | None:
        return self._preferences.get(user_id)

    async def get_many(self, user_ids: Sequence[UUID]) -> dict[UUID, Preferences]:
        return {u: self._preferences[u] for u in user_ids if u in self._preferences}

    async def save(self, preferences: Preferences) -> None:
        stored = self._preferences.get(preferences.user_id)
        stored_version = 0 if stored is None else stored.version
        if stored_version != preferences.version - 1:
            raise ConcurrentUpdate("the preferences were changed by someone else; retry")
        self._preferences[preferences.user_id] = preferences


class InMemoryDeliveryRepository:
    def __init__(self, state: NotificationState) -> None:
        self._deliveries = state.deliveries

    async def add(self, deliveries: Sequence[Delivery]) -> builtins.list[Delivery]:
        inserted = []
        for delivery in deliveries:
            if delivery.delivery_id in self._deliveries:
                continue
            self._deliveries[delivery.delivery_id] = delivery
            inserted.append(delivery)
        return inserted

    async def get(self, delivery_id: UUID) -> Delivery | None:
        return self._deliveries.get(delivery_id)

    async def due(self, now: datetime, limit: int) -> builtins.list[Delivery]:
        found = [d for d in self._deliveries.values() if d.is_due(now)]
        found.sort(key=lambda d: (d.next_attempt_at, d.delivery_id))
        return found[:limit]

    async def save(self, delivery: Delivery) -> None:
        stored = self._deliveries.get(delivery.delivery_id)
        if stored is None or stored.version != delivery.version - 1:
            raise StaleDelivery(f"delivery {delivery.delivery_id} was changed meanwhile")
        self._deliveries[delivery.delivery_id] = delivery

    async def list(
        self, filter: DeliveryFilter, page: PageRequest
    ) -> tuple[Sequence[Delivery], int]:
        found = [
            d
            for d in self._deliveries.values()
            if (filter.status is None or d.status is filter.status)
            and (filter.channel is None or d.channel is filter.channel)
            and (filter.recipient_id is None or d.recipient_id == filter.recipient_id)
            and (filter.kind is None or d.kind == filter.kind)
            and (filter.source_id is None or d.source_id == filter.source_id)
        ]
        found.sort(key=lambda d: (d.created_at, d.delivery_id), reverse=True)
        return found[page.offset : page.offset + page.limit], len(found)


class InMemoryInboxMessageRepository:
    def __init__(self, state: NotificationState) -> None:
        self._messages = state.messages

    async def add(self, message: InAppMessage) -> bool:
        if message.message_id in self._messages:
            return False
        self._messages[message.message_id] = message
        return True

    def _of(self, user_id: UUID, *, unread_only: bool) -> builtins.list[InAppMessage]:
        return [
            m
            for m in self._messages.values()
            if m.user_id == user_id and not (unread_only and m.is_read)
        ]

    async def list_for(
        self, user_id: UUID, page: PageRequest, *, unread_only: bool = False
    ) -> tuple[Sequence[InAppMessage], int]:
        found = self._of(user_id, unread_only=unread_only)
        found.sort(key=lambda m: (m.created_at, m.message_id), reverse=True)
        return found[page.offset : page.offset + page.limit], len(found)

    async def unread_count(self, user_id: UUID) -> int:
        return len(self._of(user_id, unread_only=True))

    async def mark_read(
        self, user_id: UUID, message_ids: Sequence[UUID] | None, now: datetime
    ) -> int:
        wanted = None if message_ids is None else set(message_ids)
        changed = 0
        for message in self._of(user_id, unread_only=True):
            if wanted is None or message.message_id in wanted:
                self._messages[message.message_id] = message.read(now)
                changed += 1
        return changed


class InMemoryReminderRepository:
    def __init__(self, state: NotificationState) -> None:
        self._reminders = state.reminders

    async def get(self, booking_id: UUID) -> Reminder | None:
        return self._reminders.get(booking_id)

    async def put(self, reminder: Reminder) -> None:
        stored = self._reminders.get(reminder.booking_id)
        stored_version = 0 if stored is None else stored.version
        if stored_version != reminder.version - 1:
            raise ConcurrentUpdate("the reminder was changed by someone else; retry")
        self._reminders[reminder.booking_id] = reminder

    async def due(self, now: datetime, limit: int) -> builtins.list[Reminder]:
        found = [
            r
            for r in self._reminders.values()
            if r.status is ReminderStatus.SCHEDULED and r.due_at <= now
        ]
        found.sort(key=lambda r: (r.due_at, r.booking_id))
        return found[:limit]


class InMemoryNotificationUnitOfWork(InMemoryUnitOfWork[NotificationState]):
    inbox: Inbox
    recipients: RecipientRepository
    clinics: ClinicRepository
    preferences: PreferencesRepository
    deliveries: DeliveryRepository
    messages: InboxMessageRepository
    reminders: ReminderRepository

    def _bind(self, working: NotificationState) -> None:
        self.inbox = InMemoryInbox(working.inbox)
        self.recipients = InMemoryRecipientRepository(working)
        self.clinics = InMemoryClinicRepository(working)
        self.preferences = InMemoryPreferencesRepository(working)
        self.deliveries = InMemoryDeliveryRepository(working)
        self.messages = InMemoryInboxMessageRepository(working)
        self.reminders = InMemoryReminderRepository(working)


def in_memory_notification_store() -> InMemoryStore[NotificationState]:
    return InMemoryStore(state=NotificationState())
