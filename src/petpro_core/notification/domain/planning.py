"""Planning one message: which deliveries (and in-app messages) a kind of message makes for
its recipients.

Per recipient: the template in their language; its default channels intersected with the
channels their preferences turn on for its category and with the addresses they have (an
e-mail, an SMS number, a push token; in-app needs none). A non-transactional message that
falls in their quiet hours has its external deliveries wait until the quiet hours end; in-app
is never deferred and is written `sent` at once with its inbox message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from petpro_core.notification.channels import Channel
from petpro_core.notification.domain.deliveries import Delivery
from petpro_core.notification.domain.inbox import InAppMessage
from petpro_core.notification.domain.preferences import Preferences
from petpro_core.notification.domain.recipients import Recipient
from petpro_core.notification.domain.templates import template_for

CHANNEL_ORDER = (Channel.IN_APP, Channel.EMAIL, Channel.SMS, Channel.PUSH)

# Language → the values its texts need (dates and money are written per language).
Values = Callable[[str], Mapping[str, str]]


@dataclass
class Plan:
    deliveries: list[Delivery] = field(default_factory=list)
    messages: list[InAppMessage] = field(default_factory=list)

    def message_for(self, delivery: Delivery) -> InAppMessage | None:
        return next((m for m in self.messages if m.message_id == delivery.delivery_id), None)


def address_of(channel: Channel, recipient: Recipient, preferences: Preferences) -> str | None:
    if channel is Channel.EMAIL:
        return recipient.email or None
    if channel is Channel.SMS:
        return preferences.sms_number
    if channel is Channel.PUSH:
        return preferences.push_token
    return None


def plan_message(
    *,
    source_id: UUID,
    kind: str,
    recipients: Sequence[Recipient],
    preferences: Mapping[UUID, Preferences],
    values: Values,
    now: datetime,
) -> Plan:
    plan = Plan()
    seen: set[UUID] = set()
    for recipient in recipients:
        if recipient.user_id in seen:
            continue
        seen.add(recipient.user_id)
        prefs = preferences.get(recipient.user_id) or Preferences.defaults(recipient.user_id)
        template = template_for(kind, recipient.language)
        chosen = template.channels & prefs.channels_for(template.category)
        subject, body = template.render(
            {**values(template.language), "name": recipient.display_name}
        )
        not_before = None
        if not template.transactional and prefs.quiet_hours is not None:
            not_before = prefs.quiet_hours.until(now)
        for channel in CHANNEL_ORDER:
            if channel not in chosen:
                continue
            address = address_of(channel, recipient, prefs)
            if channel is not Channel.IN_APP and address is None:
                continue
            delivery = Delivery.planned(
                source_id=source_id,
                kind=kind,
                channel=channel,
                recipient_id=recipient.user_id,
                recipient_name=recipient.display_name,
                address=address,
                language=template.language,
                subject=subject,
                body=body,
                category=template.category,
                now=now,
                not_before=not_before,
            )
            plan.deliveries.append(delivery)
            if channel is Channel.IN_APP:
                plan.messages.append(
                    InAppMessage(
                        message_id=delivery.delivery_id,
                        user_id=recipient.user_id,
                        kind=kind,
                        category=template.category,
                        subject=subject,
                        body=body,
                        created_at=now,
                    )
                )
    return plan
