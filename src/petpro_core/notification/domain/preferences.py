"""What a user wants to hear, and how: channels per category, quiet hours, the SMS number
and push token they registered.

A user who never set preferences gets `Preferences.defaults`: every category on the in-app
inbox and e-mail; SMS and push off (they need a number or token first). Validation errors
are `InvalidInput` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from petpro_core.notification.channels import Channel
from petpro_core.shared.errors import InvalidInput


class Category(StrEnum):
    APPOINTMENTS = "appointments"  # booking.*
    REMINDERS = "reminders"  # appointment reminders
    PAYMENTS = "payments"  # payment.refunded
    RECEIPTS = "receipts"  # payment.processed (the confirmation already states what was paid)
    SHOP = "shop"  # customer_order.*
    STOCK = "stock"  # stock.*
    PURCHASING = "purchasing"  # order.*, shipment.created


DEFAULT_CHANNELS = frozenset({Channel.IN_APP, Channel.EMAIL})
# Separate receipts are opt-in: by default a confirmed booking is one message per channel.
OPT_IN_CATEGORIES = frozenset({Category.RECEIPTS})


def default_channels(category: Category) -> frozenset[Channel]:
    return frozenset() if category in OPT_IN_CATEGORIES else DEFAULT_CHANNELS


_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
MAX_PUSH_TOKEN = 512


def parse_e164(raw: str, field_name: str = "sms_number") -> str:
    """A phone number in E.164: "+" then 7 to 15 digits, no spaces ("+819012345678")."""
    number = raw.strip().replace(" ", "").replace("-", "")
    if not _E164.fullmatch(number):
        raise InvalidInput(
            f"{field_name} must be an E.164 number such as +819012345678", field=field_name
        )
    return number


def parse_time_zone(raw: str, field_name: str = "time_zone") -> str:
    """An IANA time zone name ("Asia/Tokyo", "UTC")."""
    name = raw.strip()
    if not name or name != raw or name.startswith("/") or ".." in name:
        raise InvalidInput(f"{field_name} must be an IANA time zone name", field=field_name)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {raw!r}: use an IANA name such as Asia/Tokyo", field=field_name
        ) from None
    return name


def parse_time_of_day(raw: str | time, field_name: str) -> time:
    """A wall-clock time "HH:MM" (24-hour)."""
    if isinstance(raw, time):
        if raw.tzinfo is not None or raw.second or raw.microsecond:
            raise InvalidInput(f"{field_name} is a time of day HH:MM", field=field_name)
        return raw
    match = _TIME.fullmatch(raw.strip())
    if match is None:
        raise InvalidInput(f"{field_name} must be a time HH:MM, e.g. 22:00", field=field_name)
    return time(int(match.group(1)), int(match.group(2)))


def parse_push_token(raw: str) -> str:
    token = raw.strip()
    if not token or len(token) > MAX_PUSH_TOKEN or any(c.isspace() for c in token):
        raise InvalidInput(
            f"push_token is 1 to {MAX_PUSH_TOKEN} characters without spaces", field="push_token"
        )
    return token


@dataclass(frozen=True, kw_only=True)
class QuietHours:
    """Local wall-clock hours in `time_zone` when non-transactional messages wait. The period
    may wrap midnight (22:00 to 07:00); `starts` is included, `ends` is not."""

    starts: time
    ends: time
    time_zone: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts", parse_time_of_day(self.starts, "quiet_hours.starts"))
        object.__setattr__(self, "ends", parse_time_of_day(self.ends, "quiet_hours.ends"))
        parse_time_zone(self.time_zone, "quiet_hours.time_zone")
        if self.starts == self.ends:
            raise InvalidInput(
                "quiet hours must start and end at different times", field="quiet_hours"
            )

    def until(self, at: datetime) -> datetime | None:
        """When the quiet period containing `at` ends (UTC), or None when `at` is not quiet."""
        zone = ZoneInfo(self.time_zone)
        local = at.astimezone(zone)
        clock = local.time().replace(tzinfo=None)
        day = local.date()
        if self.starts < self.ends:
            if not self.starts <= clock < self.ends:
                return None
            end_day = day
        elif clock >= self.starts:
            end_day = day + timedelta(days=1)
        elif clock < self.ends:
            end_day = day
        else:
            return None
        end = datetime.combine(end_day, self.ends, tzinfo=zone)
        # A wall time a DST change skips resolves forward; never answer a past instant.
        return max(end.astimezone(UTC), at.astimezone(UTC))


def _frozen_channels(
    channels: Mapping[Category, frozenset[Channel]],
) -> Mapping[Category, frozenset[Channel]]:
    return MappingProxyType(
        {Category(k): frozenset(Channel(c) for c in v) for k, v in channels.items()}
    )


@dataclass(frozen=True, kw_only=True)
class Preferences:
    user_id: UUID
    # Channels per category; a category not listed uses its `default_channels`.
    channels: Mapping[Category, frozenset[Channel]] = field(default_factory=dict)
    quiet_hours: QuietHours | None = None
    sms_number: str | None = None  # E.164
    push_token: str | None = None
    version: int = 0  # 0: never saved (the defaults)

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", _frozen_channels(self.channels))
        if self.sms_number is not None:
            object.__setattr__(self, "sms_number", parse_e164(self.sms_number))
        if self.push_token is not None:
            object.__setattr__(self, "push_token", parse_push_token(self.push_token))
        for category, chosen in self.channels.items():
            if Channel.SMS in chosen and self.sms_number is None:
                raise InvalidInput(
                    f"SMS for {category} needs an sms_number first", field="sms_number"
                )
            if Channel.PUSH in chosen and self.push_token is None:
                raise InvalidInput(
                    f"push for {category} needs a push_token first", field="push_token"
                )

    @classmethod
    def defaults(cls, user_id: UUID) -> Preferences:
        return cls(user_id=user_id)

    def channels_for(self, category: Category) -> frozenset[Channel]:
        return self.channels.get(category, default_channels(category))

    def every_category(self) -> dict[Category, frozenset[Channel]]:
        """The effective channels of every category (defaults filled in)."""
        return {category: self.channels_for(category) for category in Category}

    def changed(self, **fields: object) -> Preferences:
        """A validated copy with the fields changed and the version one more."""
        return replace(self, **fields, version=self.version + 1)  # type: ignore[arg-type]
