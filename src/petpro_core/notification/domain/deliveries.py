"""Deliveries: one message to one recipient on one channel, written before it is sent.

A delivery's id is derived from (source, channel, recipient), where the source is the event
(or the reminder) that caused it, so a redelivered or replayed event derives the same ids and
the store's insert-if-absent writes nothing new: never twice.

Life of an external delivery (e-mail, SMS, push)::

    pending --claimed--> sending --sent--> sent
       ^                    |
       +--attempt_failed----+--(permanent, or attempts used up)--> failed

A `sending` delivery whose lease ran out (the dispatcher stopped mid-send) is due again.
In-app deliveries are written `sent` at once, together with their inbox message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid5

from petpro_core.notification.channels import Channel, OutgoingMessage
from petpro_core.notification.domain.preferences import Category

# The namespace of every uuid5 the notification context derives (deliveries, reminders).
NOTIFICATION_NAMESPACE = UUID("6f0c2a8e-4f64-5b1e-9d43-7e2b1c5a9f10")


def delivery_id_for(source_id: UUID, channel: Channel, recipient_id: UUID) -> UUID:
    return uuid5(NOTIFICATION_NAMESPACE, f"{source_id}:{channel}:{recipient_id}")


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how soon a failed send is tried again: `max_attempts` in all, waiting
    `base * 2**(attempts-1)` capped at `cap`, with equal jitter (half fixed, half random).
    `lease` is how long a claimed delivery stays `sending` before it is due again."""

    max_attempts: int = 5
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=2)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts is at least 1")
        if self.base <= timedelta(0) or self.cap < self.base or self.lease <= timedelta(0):
            raise ValueError("base and lease are positive and cap is at least base")

    def backoff(self, attempts: int, random: Callable[[], float]) -> timedelta:
        """The wait after the `attempts`-th failed attempt; `random()` is in [0, 1)."""
        exponent = min(max(attempts, 1) - 1, 32)
        ceiling = min(self.cap, self.base * (2**exponent))
        half: timedelta = ceiling / 2
        jitter: timedelta = half * min(max(random(), 0.0), 1.0)
        return half + jitter


@dataclass(frozen=True, kw_only=True)
class Delivery:
    delivery_id: UUID
    source_id: UUID  # the event id, or the reminder's source id
    kind: str  # the template, e.g. "booking.confirmed"
    channel: Channel
    recipient_id: UUID
    recipient_name: str
    address: str | None  # e-mail, E.164 number or push token; None for in_app
    language: str
    subject: str
    body: str
    category: Category
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None  # when pending/sending: when it is due (again)
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    version: int

    @classmethod
    def planned(
        cls,
        *,
        source_id: UUID,
        kind: str,
        channel: Channel,
        recipient_id: UUID,
        recipient_name: str,
        address: str | None,
        language: str,
        subject: str,
        body: str,
        category: Category,
        now: datetime,
        not_before: datetime | None = None,
    ) -> Delivery:
        """A new delivery: in-app ones are `sent` at once; others `pending`, due at
        `not_before` (the end of quiet hours) or now."""
        in_app = channel is Channel.IN_APP
        return cls(
            delivery_id=delivery_id_for(source_id, channel, recipient_id),
            source_id=source_id,
            kind=kind,
            channel=channel,
            recipient_id=recipient_id,
            recipient_name=recipient_name,
            address=None if in_app else address,
            language=language,
            subject=subject,
            body=body,
            category=category,
            status=DeliveryStatus.SENT if in_app else DeliveryStatus.PENDING,
            attempts=1 if in_app else 0,
            next_attempt_at=None if in_app else max(not_before or now, now),
            last_error=None,
            created_at=now,
            sent_at=now if in_app else None,
            version=1,
        )

    @property
    def is_open(self) -> bool:
        return self.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)

    def is_due(self, now: datetime) -> bool:
        return self.is_open and self.next_attempt_at is not None and self.next_attempt_at <= now

    def _next(self, **fields: object) -> Delivery:
        return replace(self, **fields, version=self.version + 1)  # type: ignore[arg-type]

    def claimed(self, now: datetime, lease: timedelta) -> Delivery:
        """Taken by a dispatcher for one attempt: `sending` until `now + lease`."""
        if not self.is_due(now):
            raise ValueError(f"delivery {self.delivery_id} is not due")
        return self._next(
            status=DeliveryStatus.SENDING,
            attempts=self.attempts + 1,
            next_attempt_at=now + lease,
        )

    def sent(self, now: datetime) -> Delivery:
        return self._next(
            status=DeliveryStatus.SENT, sent_at=now, next_attempt_at=None, last_error=None
        )

    def attempt_failed(
        self,
        now: datetime,
        reason: str,
        *,
        permanent: bool,
        policy: RetryPolicy,
        random: Callable[[], float],
    ) -> Delivery:
        """Pending again after a backoff, or `failed` with the reason when the failure is
        permanent or the attempts are used up."""
        reason = reason.strip()[:500] or "unknown error"
        if permanent or self.attempts >= policy.max_attempts:
            return self.gave_up(now, reason)
        return self._next(
            status=DeliveryStatus.PENDING,
            next_attempt_at=now + policy.backoff(self.attempts, random),
            last_error=reason,
        )

    def gave_up(self, now: datetime, reason: str) -> Delivery:
        return self._next(status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=reason)

    def outgoing(self) -> OutgoingMessage:
        if self.address is None:
            raise ValueError("an in-app delivery is not sent through a channel")
        return OutgoingMessage(
            delivery_id=self.delivery_id,
            channel=self.channel,
            to=self.address,
            recipient_name=self.recipient_name,
            language=self.language,
            subject=self.subject,
            body=self.body,
            kind=self.kind,
        )
