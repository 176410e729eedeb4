"""SQL repositories of the notification context. They run on the unit of work's connection.

- Caches (recipients, clinics) are upserts that keep the newer version
  (`ON CONFLICT … DO UPDATE … WHERE stored.version < new.version`).
- Deliveries and in-app messages are insert-if-absent (`ON CONFLICT DO NOTHING`, on
  PostgreSQL and SQLite alike), so a redelivered event writes nothing new and a stored row
  is never changed by it.
- Saves are guarded by the version: the row is updated only where its stored version is
  one less; a first save (version 1) inserts only when no row exists. Both answer the
  domain error when nothing was written.
- Claiming (`due`) on PostgreSQL locks the rows `FOR UPDATE SKIP LOCKED`, so concurrent
  dispatchers get disjoint batches. SQLite serialises writers, which has the same effect.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, Table, and_, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from adapters.sql.notification.tables import (
    clinics,
    deliveries,
    inbox_messages,
    preferences,
    recipients,
    reminders,
)
from petpro_core.notification.channels import Channel
from petpro_core.notification.domain.deliveries import Delivery, DeliveryStatus
from petpro_core.notification.domain.errors import ConcurrentUpdate, StaleDelivery
from petpro_core.notification.domain.inbox import InAppMessage
from petpro_core.notification.domain.preferences import Category, Preferences, QuietHours
from petpro_core.notification.domain.recipients import ADMIN_ROLE, KnownClinic, Recipient
from petpro_core.notification.domain.reminders import Reminder, ReminderStatus
from petpro_core.notification.ports import DeliveryFilter
from petpro_core.shared.pagination import PageRequest

ConnectionGetter = Callable[[], AsyncConnection]

# Rows per multi-row INSERT: 18 columns each stays far below PostgreSQL's 32767 parameters.
_INSERT_CHUNK = 500
_OPEN = (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)


class _SqlRepository:
    def __init__(self, connection: ConnectionGetter) -> None:
        self._connection = connection

    @property
    def connection(self) -> AsyncConnection:
        return self._connection()

    @property
    def _on_postgresql(self) -> bool:
        return self.connection.dialect.name == "postgresql"

    def _insert(self, table: Table) -> Any:
        return (postgresql_insert if self._on_postgresql else sqlite_insert)(table)

    def _claiming(self, statement: Select[Any]) -> Select[Any]:
        """Lock the selected rows, skipping ones another transaction holds (PostgreSQL)."""
        return statement.with_for_update(skip_locked=True) if self._on_postgresql else statement

    async def _insert_if_absent(self, table: Table, values: dict[str, Any]) -> bool:
        key = table.primary_key.columns.values()[0]
        statement = (
            self._insert(table)
            .values(values)
            .on_conflict_do_nothing(index_elements=[key])
            .returning(key)
        )
        return (await self.connection.execute(statement)).first() is not None

    async def _count(self, table: Table, where: Sequence[ColumnElement[bool]]) -> int:
        total = await self.connection.scalar(select(func.count()).select_from(table).where(*where))
        return int(total or 0)


# --- recipients and clinics -------------------------------------------------------------------


def _recipient_from(row: Row[Any]) -> Recipient:
    return Recipient(
        user_id=row.user_id,
        email=row.email,
        display_name=row.display_name,
        language=row.language,
        roles=frozenset(row.roles),
        version=row.version,
    )


class SqlRecipientRepository(_SqlRepository):
    async def get(self, user_id: UUID) -> Recipient | None:
        statement = select(recipients).where(recipients.c.user_id == user_id)
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _recipient_from(row)

    async def get_many(self, user_ids: Sequence[UUID]) -> dict[UUID, Recipient]:
        if not user_ids:
            return {}
        statement = select(recipients).where(recipients.c.user_id.in_(list(set(user_ids))))
        return {r.user_id: _recipient_from(r) for r in await self.connection.execute(statement)}

    async def apply(self, recipient: Recipient) -> bool:
        values = {
            "user_id": recipient.user_id,
            "email": recipient.email,
            "display_name": recipient.display_name,
            "language": recipient.language,
            "roles": sorted(recipient.roles),
            "is_admin": recipient.is_admin,
            "version": recipient.version,
        }
        statement = self._insert(recipients).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[recipients.c.user_id],
            set_={k: statement.excluded[k] for k in values if k != "user_id"},
            where=recipients.c.version < statement.excluded.version,
        ).returning(recipients.c.user_id)
        return (await self.connection.execute(statement)).first() is not None

    async def admins(self) -> builtins.list[Recipient]:
        statement = (
            select(recipients).where(recipients.c.is_admin.is_(True)).order_by(recipients.c.user_id)
        )
        found = [_recipient_from(row) for row in await self.connection.execute(statement)]
        # is_admin is derived from roles on write; roles stay the truth.
        return [r for r in found if ADMIN_ROLE in r.roles]


def _clinic_from(row: Row[Any]) -> KnownClinic:
    return KnownClinic(
        clinic_id=row.clinic_id,
        name=row.name,
        time_zone=row.time_zone,
        staff_ids=tuple(UUID(s) for s in row.staff_ids),
        version=row.version,
    )


class SqlClinicRepository(_SqlRepository):
    async def get(self, clinic_id: UUID) -> KnownClinic | None:
        statement = select(clinics).where(clinics.c.clinic_id == clinic_id)
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _clinic_from(row)

    async def apply(self, clinic: KnownClinic) -> bool:
        values = {
            "clinic_id": clinic.clinic_id,
            "name": clinic.name,
            "time_zone": clinic.time_zone,
            "staff_ids": [str(s) for s in clinic.staff_ids],
            "version": clinic.version,
        }
        statement = self._insert(clinics).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[clinics.c.clinic_id],
            set_={k: statement.excluded[k] for k in values if k != "clinic_id"},
            where=clinics.c.version < statement.excluded.version,
        ).returning(clinics.c.clinic_id)
        return (await self.connection.execute(statement)).first() is not None


# --- preferences ------------------------------------------------------------------------------


def _preferences_values(prefs: Preferences) -> dict[str, Any]:
    quiet = prefs.quiet_hours
    return {
        "user_id": prefs.user_id,
        "channels": {
            category.value: sorted(channel.value for channel in chosen)
            for category, chosen in prefs.channels.items()
        },
        "quiet_starts": None if quiet is None else quiet.starts,
        "quiet_ends": None if quiet is None else quiet.ends,
        "quiet_time_zone": None if quiet is None else quiet.time_zone,
        "sms_number": prefs.sms_number,
        "push_token": prefs.push_token,
        "version": prefs.version,
    }


def _preferences_from(row: Row[Any]) -> Preferences:
    quiet = None
    if row.quiet_starts is not None:
        quiet = QuietHours(
            starts=row.quiet_starts, ends=row.quiet_ends, time_zone=row.quiet_time_zone
        )
    return Preferences(
        user_id=row.user_id,
        channels={
            Category(category): frozenset(Channel(c) for c in chosen)
            for category, chosen in row.channels.items()
        },
        quiet_hours=quiet,
        sms_number=row.sms_number,
        push_token=row.push_token,
        version=row.version,
    )


class SqlPreferencesRepository(_SqlRepository):
    async def get(self, user_id: UUID) -> Preferences | None:
        statement = select(preferences).where(preferences.c.user_id == user_id)
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _preferences_from(row)

    async def get_many(self, user_ids: Sequence[UUID]) -> dict[UUID, Preferences]:
        if not user_ids:
            return {}
        statement = select(preferences).where(preferences.c.user_id.in_(list(set(user_ids))))
        return {r.user_id: _preferences_from(r) for r in await self.connection.execute(statement)}

    async def save(self, prefs: Preferences) -> None:
        values = _preferences_values(prefs)
        if prefs.version == 1:
            written = await self._insert_if_absent(preferences, values)
        elif prefs.version > 1:
            del values["user_id"]
            result = await self.connection.execute(
                update(preferences)
                .where(preferences.c.user_id == prefs.user_id)
                .where(preferences.c.version == prefs.version - 1)
                .values(values)
            )
            written = result.rowcount == 1
        else:
            written = False
        if not written:
            raise ConcurrentUpdate("the preferences were changed by someone else; retry")


# --- deliveries -------------------------------------------------------------------------------


def _delivery_values(delivery: Delivery) -> dict[str, Any]:
    return {
        "delivery_id": delivery.delivery_id,
        "source_id": delivery.source_id,
        "kind": delivery.kind,
        "channel": delivery.channel.value,
        "recipient_id": delivery.recipient_id,
        "recipient_name": delivery.recipient_name,
        "address": delivery.address,
        "language": delivery.language,
        "subject": delivery.subject,
        "body": delivery.body,
        "category": delivery.category.value,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "sent_at": delivery.sent_at,
        "version": delivery.version,
    }


def _delivery_from(row: Row[Any]) -> Delivery:
    return Delivery(
        delivery_id=row.delivery_id,
        source_id=row.source_id,
        kind=row.kind,
        channel=Channel(row.channel),
        recipient_id=row.recipient_id,
        recipient_name=row.recipient_name,
        address=row.address,
        language=row.language,
        subject=row.subject,
        body=row.body,
        category=Category(row.category),
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
        version=row.version,
    )


def _delivery_filter(wanted: DeliveryFilter) -> list[ColumnElement[bool]]:
    c = deliveries.c
    where: list[ColumnElement[bool]] = []
    if wanted.status is not None:
        where.append(c.status == wanted.status.value)
    if wanted.channel is not None:
        where.append(c.channel == wanted.channel.value)
    if wanted.recipient_id is not None:
        where.append(c.recipient_id == wanted.recipient_id)
    if wanted.kind is not None:
        where.append(c.kind == wanted.kind)
    if wanted.source_id is not None:
        where.append(c.source_id == wanted.source_id)
    return where


class SqlDeliveryRepository(_SqlRepository):
    async def add(self, batch: Sequence[Delivery]) -> builtins.list[Delivery]:
        # The first of several with one id is the one offered for insertion.
        first: dict[UUID, Delivery] = {}
        for delivery in batch:
            first.setdefault(delivery.delivery_id, delivery)
        unique = list(first.values())
        inserted: set[UUID] = set()
        for start in range(0, len(unique), _INSERT_CHUNK):
            rows = [_delivery_values(d) for d in unique[start : start + _INSERT_CHUNK]]
            statement = (
                self._insert(deliveries)
                .values(rows)
                .on_conflict_do_nothing(index_elements=[deliveries.c.delivery_id])
                .returning(deliveries.c.delivery_id)
            )
            inserted.update((await self.connection.execute(statement)).scalars())
        return [d for d in unique if d.delivery_id in inserted]

    async def get(self, delivery_id: UUID) -> Delivery | None:
        statement = select(deliveries).where(deliveries.c.delivery_id == delivery_id)
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _delivery_from(row)

    async def due(self, now: datetime, limit: int) -> builtins.list[Delivery]:
        if limit < 1:
            return []
        c = deliveries.c
        statement = (
            select(deliveries)
            .where(c.status.in_(_OPEN), c.next_attempt_at <= now)
            .order_by(c.next_attempt_at, c.delivery_id)
            .limit(limit)
        )
        rows = await self.connection.execute(self._claiming(statement))
        return [_delivery_from(row) for row in rows]

    async def save(self, delivery: Delivery) -> None:
        values = _delivery_values(delivery)
        del values["delivery_id"]
        result = await self.connection.execute(
            update(deliveries)
            .where(deliveries.c.delivery_id == delivery.delivery_id)
            .where(deliveries.c.version == delivery.version - 1)
            .values(values)
        )
        if result.rowcount != 1:
            raise StaleDelivery(f"delivery {delivery.delivery_id} was changed meanwhile")

    async def list(
        self, filter: DeliveryFilter, page: PageRequest
    ) -> tuple[Sequence[Delivery], int]:
        where = _delivery_filter(filter)
        total = await self._count(deliveries, where)
        statement = (
            select(deliveries)
            .where(*where)
            .order_by(deliveries.c.created_at.desc(), deliveries.c.delivery_id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        return [_delivery_from(row) for row in await self.connection.execute(statement)], total


# --- in-app messages --------------------------------------------------------------------------


def _message_from(row: Row[Any]) -> InAppMessage:
    return InAppMessage(
        message_id=row.message_id,
        user_id=row.user_id,
        kind=row.kind,
        category=Category(row.category),
        subject=row.subject,
        body=row.body,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def _of_user(user_id: UUID, *, unread_only: bool) -> list[ColumnElement[bool]]:
    where = [inbox_messages.c.user_id == user_id]
    if unread_only:
        where.append(inbox_messages.c.read_at.is_(None))
    return where


class SqlInboxMessageRepository(_SqlRepository):
    async def add(self, message: InAppMessage) -> bool:
        return await self._insert_if_absent(
            inbox_messages,
            {
                "message_id": message.message_id,
                "user_id": message.user_id,
                "kind": message.kind,
                "category": message.category.value,
                "subject": message.subject,
                "body": message.body,
                "created_at": message.created_at,
                "read_at": message.read_at,
            },
        )

    async def list_for(
        self, user_id: UUID, page: PageRequest, *, unread_only: bool = False
    ) -> tuple[Sequence[InAppMessage], int]:
        where = _of_user(user_id, unread_only=unread_only)
        total = await self._count(inbox_messages, where)
        statement = (
            select(inbox_messages)
            .where(*where)
            .order_by(inbox_messages.c.created_at.desc(), inbox_messages.c.message_id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        return [_message_from(row) for row in await self.connection.execute(statement)], total

    async def unread_count(self, user_id: UUID) -> int:
        return await self._count(inbox_messages, _of_user(user_id, unread_only=True))

    async def mark_read(
        self, user_id: UUID, message_ids: Sequence[UUID] | None, now: datetime
    ) -> int:
        where = _of_user(user_id, unread_only=True)
        if message_ids is not None:
            if not message_ids:
                return 0
            where.append(inbox_messages.c.message_id.in_(list(set(message_ids))))
        result = await self.connection.execute(
            update(inbox_messages).where(and_(*where)).values(read_at=now)
        )
        return int(result.rowcount or 0)


# --- reminders --------------------------------------------------------------------------------


def _reminder_values(reminder: Reminder) -> dict[str, Any]:
    return {
        "booking_id": reminder.booking_id,
        "owner_id": reminder.owner_id,
        "clinic_id": reminder.clinic_id,
        "starts_at": reminder.starts_at,
        "due_at": reminder.due_at,
        "status": reminder.status.value,
        "booking_version": reminder.booking_version,
        "version": reminder.version,
        "sent_source_id": reminder.sent_source_id,
    }


def _reminder_from(row: Row[Any]) -> Reminder:
    return Reminder(
        booking_id=row.booking_id,
        owner_id=row.owner_id,
        clinic_id=row.clinic_id,
        starts_at=row.starts_at,
        due_at=row.due_at,
        status=ReminderStatus(row.status),
        booking_version=row.booking_version,
        version=row.version,
        sent_source_id=row.sent_source_id,
    )


class SqlReminderRepository(_SqlRepository):
    async def get(self, booking_id: UUID) -> Reminder | None:
        statement = select(reminders).where(reminders.c.booking_id == booking_id)
        row = (await self.connection.execute(statement)).first()
        return None if row is None else _reminder_from(row)

    async def put(self, reminder: Reminder) -> None:
        values = _reminder_values(reminder)
        if reminder.version == 1:
            written = await self._insert_if_absent(reminders, values)
        elif reminder.version > 1:
            del values["booking_id"]
            result = await self.connection.execute(
                update(reminders)
                .where(reminders.c.booking_id == reminder.booking_id)
                .where(reminders.c.version == reminder.version - 1)
                .values(values)
            )
            written = result.rowcount == 1
        else:
            written = False
        if not written:
            raise ConcurrentUpdate("the reminder was changed by someone else; retry")

    async def due(self, now: datetime, limit: int) -> builtins.list[Reminder]:
        if limit < 1:
            return []
        c = reminders.c
        statement = (
            select(reminders)
            .where(c.status == ReminderStatus.SCHEDULED.value, c.due_at <= now)
            .order_by(c.due_at, c.booking_id)
            .limit(limit)
        )
        rows = await self.connection.execute(self._claiming(statement))
        return [_reminder_from(row) for row in rows]


__all__ = [
    "SqlClinicRepository",
    "SqlDeliveryRepository",
    "SqlInboxMessageRepository",
    "SqlPreferencesRepository",
    "SqlRecipientRepository",
    "SqlReminderRepository",
]
