"""Application services of the notification context: one handler per command.

Everyone reads and marks their own in-app messages and manages their own preferences; only
admins read the delivery log. `DispatchDueDeliveries` is the only place anything leaves the
system: it claims a batch of due deliveries in one transaction, sends each through its
channel outside any transaction, and records each outcome in its own transaction (sent;
pending again after a backoff; or failed with the reason once permanent or out of attempts).
A delivery whose lease ran out while `sending` (the dispatcher stopped mid-send) is claimed
again; one that already used every attempt is marked failed instead.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from uuid import UUID

from petpro_core.notification.channels import Channel, DeliveryFailed, NotificationChannel
from petpro_core.notification.commands import (
    CountUnread,
    DispatchDueDeliveries,
    GetPreferences,
    ListDeliveries,
    ListNotifications,
    MarkRead,
    QuietHoursInput,
    SendDueReminders,
    Unset,
    UpdatePreferences,
)
from petpro_core.notification.domain.deliveries import Delivery, DeliveryStatus, RetryPolicy
from petpro_core.notification.domain.errors import AdminOnly, ConcurrentUpdate, StaleDelivery
from petpro_core.notification.domain.inbox import InAppMessage
from petpro_core.notification.domain.planning import Values
from petpro_core.notification.domain.preferences import (
    Category,
    Preferences,
    QuietHours,
    parse_time_of_day,
)
from petpro_core.notification.domain.recipients import KnownClinic
from petpro_core.notification.domain.reminders import REMINDER_KIND, Reminder
from petpro_core.notification.domain.rendering import format_instant, short_ref
from petpro_core.notification.domain.templates import phrase
from petpro_core.notification.ports import DeliveryFilter, NotificationUnitOfWorkFactory
from petpro_core.notification.writing import write_message
from petpro_core.shared.clock import Clock
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.pagination import Page

log = logging.getLogger("petpro.notification")

MAX_MARK_READ = 500


@dataclass(frozen=True, kw_only=True)
class NotificationDependencies:
    uow: NotificationUnitOfWorkFactory
    clock: Clock
    # The external channels configured; a delivery on a channel missing here fails
    # permanently ("no sms channel configured").
    channels: Mapping[Channel, NotificationChannel] = field(
        default_factory=lambda: MappingProxyType({})
    )
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    random: Callable[[], float] = _random.random
    # How many sends of one dispatch batch run at the same time.
    concurrency: int = 8


@dataclass(frozen=True)
class _Outcome:
    delivery: Delivery  # as claimed
    error: str | None = None
    permanent: bool = False


def _reminder_values(reminder: Reminder, clinic: KnownClinic | None) -> Values:
    zone = clinic.time_zone if clinic else None

    def values(language: str) -> Mapping[str, str]:
        return {
            "clinic": clinic.name if clinic else phrase(language, "clinic"),
            "starts": format_instant(reminder.starts_at, zone, language),
            "booking_ref": short_ref(reminder.booking_id),
        }

    return values


def _enum_choice(enum: Any, raw: str, field_name: str) -> Any:
    try:
        return enum(raw)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InvalidInput(f"{field_name} is one of {allowed}", field=field_name) from None


def _parse_channels(raw: Mapping[str, Any]) -> dict[Category, frozenset[Channel]]:
    if not isinstance(raw, Mapping):
        raise InvalidInput("channels maps categories to lists of channels", field="channels")
    parsed: dict[Category, frozenset[Channel]] = {}
    for category_name, channel_names in raw.items():
        category = _enum_choice(Category, str(category_name), "channels")
        if isinstance(channel_names, str) or not all(isinstance(c, str) for c in channel_names):
            raise InvalidInput(f"channels.{category} is a list of channel names", field="channels")
        parsed[category] = frozenset(
            _enum_choice(Channel, name, f"channels.{category}") for name in channel_names
        )
    return parsed


class NotificationHandlers:
    def __init__(self, deps: NotificationDependencies) -> None:
        self._deps = deps

    def register(self, bus: MessageBus) -> None:
        bus.register_command(ListNotifications, self.list_notifications)
        bus.register_command(CountUnread, self.count_unread)
        bus.register_command(MarkRead, self.mark_read)
        bus.register_command(GetPreferences, self.get_preferences)
        bus.register_command(UpdatePreferences, self.update_preferences)
        bus.register_command(ListDeliveries, self.list_deliveries)
        bus.register_command(DispatchDueDeliveries, self.dispatch_due_deliveries)
        bus.register_command(SendDueReminders, self.send_due_reminders)

    # -- the inbox ----------------------------------------------------------------------------

    async def list_notifications(self, cmd: ListNotifications) -> Page[InAppMessage]:
        async with self._deps.uow() as uow:
            items, total = await uow.messages.list_for(
                cmd.actor.user_id, cmd.page, unread_only=cmd.unread_only
            )
        return Page(items=items, total=total, limit=cmd.page.limit, offset=cmd.page.offset)

    async def count_unread(self, cmd: CountUnread) -> int:
        async with self._deps.uow() as uow:
            return await uow.messages.unread_count(cmd.actor.user_id)

    async def mark_read(self, cmd: MarkRead) -> int:
        ids: list[UUID] | None = None
        if cmd.message_ids is not None:
            ids = list(dict.fromkeys(cmd.message_ids))
            if len(ids) > MAX_MARK_READ:
                raise InvalidInput(
                    f"at most {MAX_MARK_READ} message ids at once", field="message_ids"
                )
            if not ids:
                return 0
        async with self._deps.uow() as uow:
            changed = await uow.messages.mark_read(cmd.actor.user_id, ids, self._deps.clock.now())
            await uow.commit()
        return changed

    # -- preferences --------------------------------------------------------------------------

    async def get_preferences(self, cmd: GetPreferences) -> Preferences:
        async with self._deps.uow() as uow:
            stored = await uow.preferences.get(cmd.actor.user_id)
        return stored or Preferences.defaults(cmd.actor.user_id)

    async def update_preferences(self, cmd: UpdatePreferences) -> Preferences:
        changes: dict[str, Any] = {}
        if not isinstance(cmd.quiet_hours, Unset):
            quiet = cmd.quiet_hours
            if quiet is not None and not isinstance(quiet, QuietHoursInput):
                raise InvalidInput("quiet_hours needs starts, ends and time_zone")
            changes["quiet_hours"] = (
                None
                if quiet is None
                else QuietHours(
                    starts=parse_time_of_day(quiet.starts, "quiet_hours.starts"),
                    ends=parse_time_of_day(quiet.ends, "quiet_hours.ends"),
                    time_zone=quiet.time_zone,
                )
            )
        if not isinstance(cmd.sms_number, Unset):
            changes["sms_number"] = cmd.sms_number or None
        if not isinstance(cmd.push_token, Unset):
            changes["push_token"] = cmd.push_token or None
        async with self._deps.uow() as uow:
            current = await uow.preferences.get(cmd.actor.user_id) or Preferences.defaults(
                cmd.actor.user_id
            )
            if cmd.expected_version is not None and cmd.expected_version != current.version:
                raise ConcurrentUpdate(
                    f"the preferences are at version {current.version}, "
                    f"not {cmd.expected_version}; reload and retry"
                )
            if not isinstance(cmd.channels, Unset):
                changes["channels"] = {**current.channels, **_parse_channels(cmd.channels)}
            updated = current.changed(**changes)
            await uow.preferences.save(updated)
            await uow.commit()
        return updated

    # -- the delivery log ---------------------------------------------------------------------

    async def list_deliveries(self, cmd: ListDeliveries) -> Page[Delivery]:
        if not cmd.actor.is_admin:
            raise AdminOnly("only an administrator may read the delivery log")
        wanted = DeliveryFilter(
            status=None
            if cmd.status is None
            else _enum_choice(DeliveryStatus, cmd.status, "status"),
            channel=None if cmd.channel is None else _enum_choice(Channel, cmd.channel, "channel"),
            recipient_id=cmd.recipient_id,
            kind=cmd.kind,
            source_id=cmd.source_id,
        )
        async with self._deps.uow() as uow:
            items, total = await uow.deliveries.list(wanted, cmd.page)
        return Page(items=items, total=total, limit=cmd.page.limit, offset=cmd.page.offset)

    # -- the dispatcher -----------------------------------------------------------------------

    async def dispatch_due_deliveries(self, cmd: DispatchDueDeliveries) -> int:
        policy = self._deps.retry
        claimed: list[Delivery] = []
        abandoned = 0
        async with self._deps.uow() as uow:
            now = self._deps.clock.now()
            for delivery in await uow.deliveries.due(now, cmd.limit):
                if delivery.attempts >= policy.max_attempts:
                    # Its last attempt's lease ran out with no outcome recorded.
                    reason = (
                        f"no outcome recorded after {delivery.attempts} attempts "
                        "(the sender stopped mid-send)"
                    )
                    await uow.deliveries.save(delivery.gave_up(now, reason))
                    abandoned += 1
                    continue
                taken = delivery.claimed(now, policy.lease)
                await uow.deliveries.save(taken)
                claimed.append(taken)
            await uow.commit()
        limit = asyncio.Semaphore(max(1, self._deps.concurrency))

        async def send(delivery: Delivery) -> _Outcome:
            async with limit:
                return await self._send(delivery)

        outcomes = await asyncio.gather(*(send(delivery) for delivery in claimed))
        for outcome in outcomes:
            await self._record(outcome)
        return len(claimed) + abandoned

    async def _send(self, delivery: Delivery) -> _Outcome:
        channel = self._deps.channels.get(delivery.channel)
        if channel is None:
            return _Outcome(
                delivery, error=f"no {delivery.channel} channel configured", permanent=True
            )
        try:
            await channel.send(delivery.outgoing())
        except DeliveryFailed as failure:
            return _Outcome(delivery, error=failure.reason, permanent=failure.permanent)
        except Exception as exc:  # a channel bug must not stop the batch: retry it
            log.exception(
                "channel %s failed on delivery %s", delivery.channel, delivery.delivery_id
            )
            return _Outcome(delivery, error=f"{type(exc).__name__}: {exc}")
        return _Outcome(delivery)

    async def _record(self, outcome: _Outcome) -> None:
        delivery = outcome.delivery
        now = self._deps.clock.now()
        if outcome.error is None:
            changed = delivery.sent(now)
        else:
            changed = delivery.attempt_failed(
                now,
                outcome.error,
                permanent=outcome.permanent,
                policy=self._deps.retry,
                random=self._deps.random,
            )
        try:
            async with self._deps.uow() as uow:
                await uow.deliveries.save(changed)
                await uow.commit()
        except StaleDelivery:
            # Its lease ran out and another dispatcher took it meanwhile: theirs counts.
            log.warning("delivery %s changed while it was being sent", delivery.delivery_id)

    # -- reminders ----------------------------------------------------------------------------

    async def send_due_reminders(self, cmd: SendDueReminders) -> int:
        async with self._deps.uow() as uow:
            now = self._deps.clock.now()
            due = await uow.reminders.due(now, cmd.limit)
            for reminder in due:
                clinic = await uow.clinics.get(reminder.clinic_id)
                await write_message(
                    uow,
                    source_id=reminder.source_id,
                    kind=REMINDER_KIND,
                    recipient_ids=[reminder.owner_id],
                    values=_reminder_values(reminder, clinic),
                    now=now,
                )
                await uow.reminders.put(reminder.marked_sent())
            await uow.commit()
        return len(due)
