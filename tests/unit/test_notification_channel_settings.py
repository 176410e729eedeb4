"""Which notification channel adapters the settings build, and what the settings refuse."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.email.smtp import SmtpEmailChannel, SmtpSecurity
from adapters.providers.logging_provider import LoggingMessageProvider
from adapters.providers.webhook import WebhookMessageProvider
from petpro_core.notification.channels import EXTERNAL_CHANNELS, Channel
from runtimes.notification_channels import build_channels
from runtimes.settings import Settings

UNCONFIGURED: dict[str, Any] = {
    "database_url": "memory://",
    "smtp_host": None,
    "sms_webhook_url": None,
    "push_webhook_url": None,
    "webhook_secret": None,
}


def settings(**changes: Any) -> Settings:
    return Settings.model_validate(UNCONFIGURED | changes)


async def test_nothing_configured_logs_every_external_channel() -> None:
    channels = build_channels(settings())

    assert set(channels) == set(EXTERNAL_CHANNELS)
    assert all(isinstance(channels[c], LoggingMessageProvider) for c in EXTERNAL_CHANNELS)
    assert [channels[c].channel for c in EXTERNAL_CHANNELS] == list(EXTERNAL_CHANNELS)
    assert channels.describe() == {"email": "log", "sms": "log", "push": "log"}
    await channels.aclose()


async def test_configured_channels_send_for_real() -> None:
    channels = build_channels(
        settings(
            smtp_host="mail.example",
            smtp_port=465,
            smtp_security="tls",
            smtp_username="petpro",
            smtp_password="pw",
            smtp_from="no-reply@clinic.example",
            smtp_from_name="さくら動物病院",
            sms_webhook_url="https://sms.example/hook",
            webhook_secret="s3cret",
        )
    )

    email = channels[Channel.EMAIL]
    assert isinstance(email, SmtpEmailChannel)
    assert email.settings.security is SmtpSecurity.TLS
    assert (email.settings.username, email.settings.password) == ("petpro", "pw")
    assert email.settings.from_name == "さくら動物病院"
    assert isinstance(channels[Channel.SMS], WebhookMessageProvider)
    assert isinstance(channels[Channel.PUSH], LoggingMessageProvider)
    assert channels.describe() == {
        "email": "smtp mail.example:465",
        "sms": "webhook sms.example:443",
        "push": "log",
    }
    await channels.aclose()


def test_smtp_defaults_are_submission_with_starttls() -> None:
    channels = build_channels(settings(smtp_host="127.0.0.1"))

    email = channels[Channel.EMAIL]
    assert isinstance(email, SmtpEmailChannel)
    assert (email.settings.port, email.settings.security) == (587, SmtpSecurity.STARTTLS)
    assert email.settings.from_address == "petpro@localhost"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"sms_webhook_url": "https://sms.example/hook"}, "PETPRO_WEBHOOK_SECRET is required"),
        ({"push_webhook_url": "https://push.example/hook", "webhook_secret": ""}, "SECRET"),
        ({"sms_webhook_url": "sms.example/hook", "webhook_secret": "s"}, "http(s)://host"),
        ({"smtp_username": "petpro"}, "USERNAME and PETPRO_SMTP_PASSWORD go together"),
        ({"smtp_security": "ssl"}, "smtp_security"),
        ({"smtp_from": "no reply@clinic.example"}, "not an e-mail address"),
        ({"smtp_port": 0}, "smtp_port"),
        ({"env": "production", "smtp_host": "mail.example"}, "PETPRO_SMTP_FROM is required"),
        (
            {"notification_retry_base_seconds": 60, "notification_retry_cap_seconds": 30},
            "must not be below",
        ),
        ({"notification_max_attempts": 0}, "notification_max_attempts"),
    ],
)
def test_settings_refuse_incomplete_channel_configuration(
    changes: dict[str, Any], error: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(error)):
        settings(**changes)


def test_retry_defaults() -> None:
    configured = settings()

    assert configured.notification_max_attempts == 5
    assert configured.notification_retry_base_seconds == 30
    assert configured.notification_retry_cap_seconds == 3600
