"""Pydantic shapes of the notification endpoints: the in-app inbox, preferences and the
admins' delivery log.

Requests reject unknown members and only cap sizes; the core applies the real rules
(category and channel names, E.164 numbers, HH:MM times, IANA zones) and answers 422 with
the offending field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from petpro_core.notification.commands import UNSET, QuietHoursInput
from petpro_core.notification.domain.deliveries import Delivery
from petpro_core.notification.domain.inbox import InAppMessage
from petpro_core.notification.domain.preferences import Preferences, QuietHours

MAX_IDS = 500


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=600)


# -- the inbox --------------------------------------------------------------------------------


class NotificationResponse(BaseModel):
    id: UUID
    kind: str = Field(examples=["booking.confirmed"])
    category: str = Field(examples=["appointments"])
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, message: InAppMessage) -> NotificationResponse:
        return cls(
            id=message.message_id,
            kind=message.kind,
            category=message.category.value,
            subject=message.subject,
            body=message.body,
            created_at=message.created_at,
            read_at=message.read_at,
        )


class NotificationPage(BaseModel):
    items: list[NotificationResponse]
    total: int
    limit: int
    offset: int


class UnreadCount(BaseModel):
    unread: int


class MarkReadRequest(_Request):
    """Either `ids` (your messages to mark read; others' ids are ignored) or `"all": true`."""

    ids: list[UUID] | None = Field(None, max_length=MAX_IDS)
    all: bool = False

    @model_validator(mode="after")
    def _ids_or_all(self) -> MarkReadRequest:
        if (self.ids is not None) == self.all:
            raise ValueError('give either "ids" or "all": true, not both')
        return self


class MarkReadResponse(BaseModel):
    changed: int = Field(description="How many messages were unread and are read now.")


# -- preferences ------------------------------------------------------------------------------


class QuietHoursBody(_Request):
    starts: str = Field(max_length=5, examples=["22:00"], description="HH:MM, local time.")
    ends: str = Field(max_length=5, examples=["07:00"], description="HH:MM; may wrap midnight.")
    time_zone: str = Field(max_length=64, examples=["Asia/Tokyo"])

    def input(self) -> QuietHoursInput:
        return QuietHoursInput(starts=self.starts, ends=self.ends, time_zone=self.time_zone)

    @classmethod
    def of(cls, quiet: QuietHours) -> QuietHoursBody:
        return cls(
            starts=quiet.starts.strftime("%H:%M"),
            ends=quiet.ends.strftime("%H:%M"),
            time_zone=quiet.time_zone,
        )


class PreferencesResponse(BaseModel):
    channels: dict[str, list[str]] = Field(
        description="Every category with the channels its messages use.",
        examples=[{"appointments": ["email", "in_app"], "reminders": ["in_app"]}],
    )
    quiet_hours: QuietHoursBody | None
    sms_number: str | None
    push_token: str | None
    version: int = Field(description="0 until first saved; send it back as expected_version.")

    @classmethod
    def of(cls, preferences: Preferences) -> PreferencesResponse:
        return cls(
            channels={
                category.value: sorted(channel.value for channel in channels)
                for category, channels in preferences.every_category().items()
            },
            quiet_hours=(
                QuietHoursBody.of(preferences.quiet_hours) if preferences.quiet_hours else None
            ),
            sms_number=preferences.sms_number,
            push_token=preferences.push_token,
            version=preferences.version,
        )


class PreferencesUpdate(_Request):
    """Members absent stay unchanged. `channels` replaces the categories it names (an empty
    list turns one off); `quiet_hours`, `sms_number` and `push_token` accept null (clear)."""

    channels: dict[str, list[str]] | None = Field(
        None,
        max_length=20,
        description="Category → channels (in_app, email, sms, push).",
        examples=[{"reminders": ["in_app", "sms"]}],
    )
    quiet_hours: QuietHoursBody | None = None
    sms_number: str | None = Field(None, max_length=32, examples=["+819012345678"])
    push_token: str | None = Field(None, max_length=512)
    expected_version: int | None = Field(
        None, description="Refuse (409) unless the preferences are still at this version."
    )

    @model_validator(mode="after")
    def _channels_not_null(self) -> PreferencesUpdate:
        if "channels" in self.model_fields_set and self.channels is None:
            raise ValueError("channels cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The UpdatePreferences fields this request sets (UNSET for the others)."""
        given = self.model_fields_set
        quiet = self.quiet_hours
        return {
            "channels": self.channels if "channels" in given else UNSET,
            "quiet_hours": (
                UNSET if "quiet_hours" not in given else None if quiet is None else quiet.input()
            ),
            "sms_number": self.sms_number if "sms_number" in given else UNSET,
            "push_token": self.push_token if "push_token" in given else UNSET,
        }


# -- the delivery log -------------------------------------------------------------------------


class DeliveryResponse(BaseModel):
    id: UUID
    source_id: UUID = Field(description="The event (or reminder) that caused it.")
    kind: str = Field(examples=["booking.confirmed"])
    category: str
    channel: str = Field(examples=["email"])
    recipient_id: UUID
    address: str | None = Field(description="E-mail, E.164 number or push token; null in-app.")
    language: str
    subject: str
    status: str = Field(examples=["sent"], description="pending, sending, sent, failed.")
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryResponse:
        return cls(
            id=delivery.delivery_id,
            source_id=delivery.source_id,
            kind=delivery.kind,
            category=delivery.category.value,
            channel=delivery.channel.value,
            recipient_id=delivery.recipient_id,
            address=delivery.address,
            language=delivery.language,
            subject=delivery.subject,
            status=delivery.status.value,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            sent_at=delivery.sent_at,
        )


class DeliveryPage(BaseModel):
    items: list[DeliveryResponse]
    total: int
    limit: int
    offset: int
