"""`LoggingMessageProvider`: logs the message and reports it sent.

The default for SMS and push while no provider webhook is configured, and for e-mail while
no SMTP host is: development and demos see every message in the log (structured `extra`
fields in the JSON log format) without an account anywhere.
"""

from __future__ import annotations

import logging

from petpro_core.notification.channels import Channel, OutgoingMessage

logger = logging.getLogger("petpro.notification.outgoing")

BODY_LIMIT = 200


class LoggingMessageProvider:
    def __init__(self, channel: Channel, *, log: logging.Logger = logger) -> None:
        if channel is Channel.IN_APP:
            raise ValueError("the in-app channel is the inbox, not a provider")
        self._channel = channel
        self._log = log
        self.sent = 0

    @property
    def channel(self) -> Channel:
        return self._channel

    async def send(self, message: OutgoingMessage) -> None:
        body = message.body
        if len(body) > BODY_LIMIT:
            body = body[: BODY_LIMIT - 1] + "…"
        self._log.info(
            "%s %s to %s logged, not sent: %s",
            self._channel.value,
            message.kind,
            message.to,
            message.subject,
            extra={
                "delivery_id": str(message.delivery_id),
                "channel": self._channel.value,
                "to": message.to,
                "language": message.language,
                "kind": message.kind,
                "subject": message.subject,
                "body": body,
            },
        )
        self.sent += 1

    async def close(self) -> None:
        """Nothing to close."""
