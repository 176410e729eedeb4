"""The channels a message leaves by: one port for every external channel.

The in-app inbox is not one of them: an in-app message is written to the notification
store in the same transaction that decides to send it. E-mail (SMTP), SMS and push are
sent by a dispatcher after that transaction committed, through a `NotificationChannel`;
SMS and push reach their provider through the same port (a webhook adapter and a logging
adapter implement it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


EXTERNAL_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PUSH)


@dataclass(frozen=True, kw_only=True)
class OutgoingMessage:
    """One message to one address on one channel.

    `delivery_id` is stable for the (event, channel, recipient) it was written for: adapters
    pass it on (the e-mail's Message-ID, the webhook's Idempotency-Key) so that a receiver
    can drop the copy a crash between sending and recording may cause.
    """

    delivery_id: UUID
    channel: Channel
    to: str  # an e-mail address, a phone number in E.164, a push device token
    recipient_name: str
    language: str  # "en" or "ja"
    subject: str
    body: str
    kind: str  # the template's name, e.g. "booking.confirmed"


class DeliveryFailed(Exception):
    """The channel did not take the message. `permanent` failures (an address the provider
    refuses) are not retried; others are, with backoff, until the attempts run out."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class NotificationChannel(Protocol):
    """Sends over one external channel. Returns once the channel accepted the message
    (an SMTP server queued it, a provider answered 2xx); raises DeliveryFailed otherwise."""

    @property
    def channel(self) -> Channel: ...

    async def send(self, message: OutgoingMessage) -> None: ...
