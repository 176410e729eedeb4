"""Messages the notification context accepts. Queries are commands that change nothing;
user-facing ones carry the acting user (`Actor`): everyone sees only their own inbox and
preferences, and only admins see the delivery log. The two sweeps (dispatching due
deliveries, sending due reminders) are run by the worker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from uuid import UUID

from petpro_core.shared.actors import Actor
from petpro_core.shared.messagebus import Command
from petpro_core.shared.pagination import PageRequest

__all__ = [
    "UNSET",
    "CountUnread",
    "DispatchDueDeliveries",
    "GetPreferences",
    "ListDeliveries",
    "ListNotifications",
    "MarkRead",
    "QuietHoursInput",
    "SendDueReminders",
    "Unset",
    "UpdatePreferences",
]


class Unset(Enum):
    """Marks a field a partial update leaves alone (None means "clear it")."""

    UNSET = "unset"


UNSET = Unset.UNSET


# -- the inbox --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ListNotifications(Command):
    """The actor's in-app messages, newest first. Answers Page[InAppMessage]."""

    actor: Actor
    unread_only: bool = False
    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True, kw_only=True)
class CountUnread(Command):
    """How many of the actor's in-app messages are unread. Answers int."""

    actor: Actor


@dataclass(frozen=True, kw_only=True)
class MarkRead(Command):
    """Mark the actor's messages read: those listed, or all when `message_ids` is None.
    Ids of other users' messages are ignored. Answers how many changed (int)."""

    actor: Actor
    message_ids: Sequence[UUID] | None = None


# -- preferences ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class QuietHoursInput:
    """Wall-clock "HH:MM" times in an IANA zone; may wrap midnight."""

    starts: str
    ends: str
    time_zone: str


@dataclass(frozen=True, kw_only=True)
class GetPreferences(Command):
    """The actor's preferences (the defaults when never saved). Answers Preferences."""

    actor: Actor


@dataclass(frozen=True, kw_only=True)
class UpdatePreferences(Command):
    """Partial update of the actor's preferences. `channels` maps category names to the
    channel names wanted for them (the categories given are replaced, others kept; an empty
    list turns a category off). `sms_number` (E.164) and `push_token` must be set before SMS
    or push is turned on. `expected_version` guards against a concurrent change.
    Answers Preferences."""

    actor: Actor
    channels: Mapping[str, Sequence[str]] | Unset = UNSET
    quiet_hours: QuietHoursInput | Unset | None = UNSET
    sms_number: str | Unset | None = UNSET
    push_token: str | Unset | None = UNSET
    expected_version: int | None = None


# -- the delivery log (admins) ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ListDeliveries(Command):
    """Deliveries matching every given filter, newest first; admins only.
    Answers Page[Delivery]."""

    actor: Actor
    status: str | None = None
    channel: str | None = None
    recipient_id: UUID | None = None
    kind: str | None = None
    source_id: UUID | None = None
    page: PageRequest = field(default_factory=PageRequest)


# -- sweeps (the worker) ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DispatchDueDeliveries(Command):
    """Claim up to `limit` due deliveries, send each through its channel, record each
    outcome. Answers how many deliveries it handled (int)."""

    limit: int = 50

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= 1000:
            raise ValueError("limit is between 1 and 1000")


@dataclass(frozen=True, kw_only=True)
class SendDueReminders(Command):
    """Turn up to `limit` due appointment reminders into deliveries and inbox messages and
    mark them sent. Answers how many reminders it handled (int)."""

    limit: int = 100

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= 1000:
            raise ValueError("limit is between 1 and 1000")
