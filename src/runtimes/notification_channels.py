"""The external notification channels the settings ask for.

E-mail goes over SMTP when `PETPRO_SMTP_HOST` is set, SMS and push through their provider
webhooks when `PETPRO_SMS_WEBHOOK_URL` / `PETPRO_PUSH_WEBHOOK_URL` are; anything not
configured is logged instead of sent (`LoggingMessageProvider`), so development and demos
need no accounts. `build_channels` answers a `ChannelSet`: the mapping the dispatcher sends
through, and `aclose()` for the HTTP clients when the process stops.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Protocol

from adapters.email.smtp import SmtpEmailChannel, SmtpSettings
from adapters.providers.logging_provider import LoggingMessageProvider
from adapters.providers.webhook import WebhookMessageProvider
from petpro_core.notification.channels import Channel, NotificationChannel
from runtimes.settings import Environment, Settings

logger = logging.getLogger("petpro.notification")

DEFAULT_FROM = "petpro@localhost"


class ClosableChannel(NotificationChannel, Protocol):
    """Every adapter built here: a channel that may hold a connection pool to close."""

    async def close(self) -> None: ...


class ChannelSet(Mapping[Channel, NotificationChannel]):
    """Channel → adapter, plus `aclose()`; `describe()` says what each channel does."""

    def __init__(self, channels: Mapping[Channel, ClosableChannel]) -> None:
        self._channels = dict(channels)

    def __getitem__(self, channel: Channel) -> NotificationChannel:
        return self._channels[channel]

    def __iter__(self) -> Iterator[Channel]:
        return iter(self._channels)

    def __len__(self) -> int:
        return len(self._channels)

    def describe(self) -> dict[str, str]:
        """E.g. {"email": "smtp mail.example:587", "sms": "log", "push": "webhook host:443"}."""
        described: dict[str, str] = {}
        for channel, adapter in self._channels.items():
            if isinstance(adapter, SmtpEmailChannel):
                described[channel.value] = f"smtp {adapter.settings.endpoint}"
            elif isinstance(adapter, WebhookMessageProvider):
                described[channel.value] = f"webhook {adapter.endpoint}"
            else:
                described[channel.value] = "log"
        return described

    async def aclose(self) -> None:
        for adapter in self._channels.values():
            await adapter.close()


def build_channels(settings: Settings) -> ChannelSet:
    channels: dict[Channel, ClosableChannel] = {Channel.EMAIL: _email(settings)}
    for channel, url in (
        (Channel.SMS, settings.sms_webhook_url),
        (Channel.PUSH, settings.push_webhook_url),
    ):
        if url is None:
            channels[channel] = LoggingMessageProvider(channel)
            continue
        secret = settings.webhook_secret
        assert secret is not None  # the settings refuse a webhook URL without a secret
        channels[channel] = WebhookMessageProvider(
            channel,
            url=url,
            secret=secret.get_secret_value(),
            timeout_seconds=settings.webhook_timeout_seconds,
        )
    built = ChannelSet(channels)
    logged = [c.value for c, a in channels.items() if isinstance(a, LoggingMessageProvider)]
    if logged and settings.env is Environment.PRODUCTION:
        logger.warning(
            "notification channels not configured, their messages are logged, not sent: %s",
            ", ".join(logged),
        )
    return built


def _email(settings: Settings) -> ClosableChannel:
    if not settings.smtp_host:
        return LoggingMessageProvider(Channel.EMAIL)
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpEmailChannel(
        SmtpSettings(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password,
            security=settings.smtp_security,
            from_address=settings.smtp_from or DEFAULT_FROM,
            from_name=settings.smtp_from_name,
            timeout_seconds=settings.smtp_timeout_seconds,
        )
    )
