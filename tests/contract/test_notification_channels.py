"""The notification channel adapters against real servers: SMTP (aiosmtpd) for e-mail, a
local HTTP server for the SMS/push webhook, and the logging provider."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from uuid import UUID, uuid4

import pytest

from adapters.email.smtp import SmtpEmailChannel, SmtpSecurity, SmtpSettings
from adapters.providers.logging_provider import BODY_LIMIT, LoggingMessageProvider
from adapters.providers.webhook import WebhookMessageProvider, verify_signature
from petpro_core.notification.channels import (
    Channel,
    DeliveryFailed,
    OutgoingMessage,
)
from runtimes.notification_channels import ClosableChannel
from tests.support.smtp import HOST, SmtpTestServer, free_port, running_smtp_server
from tests.support.webhooks import WebhookTestServer, running_webhook_server

SECRET = "webhook-test-secret"
JA_SUBJECT = "ご予約が確定しました: ポチ 6月3日 10:00"
JA_BODY = "山田 太郎 様\n\nさくら動物病院でのご予約が確定しました。\n"


def message(channel: Channel = Channel.EMAIL, **changes: object) -> OutgoingMessage:
    fields: dict[str, object] = {
        "delivery_id": uuid4(),
        "channel": channel,
        "to": "taro@example.jp" if channel is Channel.EMAIL else "+819012345678",
        "recipient_name": "山田 太郎",
        "language": "ja",
        "subject": JA_SUBJECT,
        "body": JA_BODY,
        "kind": "booking.confirmed",
    }
    fields.update(changes)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


def smtp_channel(port: int, *, timeout: float = 2.0) -> SmtpEmailChannel:
    return SmtpEmailChannel(
        SmtpSettings(
            host=HOST,
            port=port,
            security=SmtpSecurity.NONE,
            from_address="no-reply@clinic.example",
            from_name="さくら動物病院",
            timeout_seconds=timeout,
        )
    )


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def hook() -> Iterator[WebhookTestServer]:
    with running_webhook_server() as server:
        yield server


@pytest.fixture
async def sms(hook: WebhookTestServer) -> AsyncIterator[WebhookMessageProvider]:
    provider = WebhookMessageProvider(
        Channel.SMS, url=hook.url, secret=SECRET, timeout_seconds=2.0, clock=lambda: 1_750_000_000
    )
    yield provider
    await provider.close()


# Every adapter satisfies the port the same way


@pytest.mark.parametrize("kind", ["smtp", "webhook-sms", "webhook-push", "log-email", "log-sms"])
async def test_every_adapter_takes_a_message_for_its_channel(
    kind: str, smtp: SmtpTestServer, hook: WebhookTestServer
) -> None:
    adapter: ClosableChannel  # the port, plus close()
    if kind == "smtp":
        adapter = smtp_channel(smtp.port)
    elif kind.startswith("webhook"):
        channel = Channel.SMS if kind == "webhook-sms" else Channel.PUSH
        adapter = WebhookMessageProvider(channel, url=hook.url, secret=SECRET)
    else:
        adapter = LoggingMessageProvider(Channel.EMAIL if kind == "log-email" else Channel.SMS)

    await adapter.send(message(adapter.channel))

    received = {"smtp": len(smtp.messages), "webhook": len(hook.requests)}
    expected = {
        "smtp": int(kind == "smtp"),
        "webhook": int(kind.startswith("webhook")),
    }
    assert received == expected
    await adapter.close()


# SMTP


async def test_smtp_delivers_a_japanese_message_that_decodes_intact(smtp: SmtpTestServer) -> None:
    outgoing = message()

    await smtp_channel(smtp.port).send(outgoing)

    [envelope] = smtp.envelopes
    assert envelope.sender == "no-reply@clinic.example"
    assert envelope.recipients == ("taro@example.jp",)
    mail = envelope.message
    assert mail["Subject"] == JA_SUBJECT
    assert mail["From"].addresses[0].display_name == "さくら動物病院"
    assert mail["From"].addresses[0].addr_spec == "no-reply@clinic.example"
    assert mail["To"].addresses[0].display_name == "山田 太郎"
    assert mail["To"].addresses[0].addr_spec == "taro@example.jp"
    assert mail["Message-ID"] == f"<{outgoing.delivery_id}@clinic.example>"
    assert mail["Content-Language"] == "ja"
    assert mail["X-PetPro-Delivery"] == str(outgoing.delivery_id)
    assert mail["X-PetPro-Kind"] == "booking.confirmed"
    assert mail["Date"] is not None
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail["Content-Transfer-Encoding"] == "base64"
    assert mail.get_content().replace("\r\n", "\n") == JA_BODY


def test_smtp_message_on_the_wire_is_ascii() -> None:
    raw = smtp_channel(25).build(message()).as_bytes()

    head = raw.decode("ascii").split("\r\n\r\n", 1)[0]  # RFC 2047 headers, base64 body
    assert "Subject: =?utf-8?" in head
    assert "To: =?utf-8?" in head


def test_smtp_folds_line_breaks_out_of_the_subject() -> None:
    built = smtp_channel(25).build(message(subject="Hello\r\nBcc: victim@example.com"))

    assert built["Subject"] == "Hello Bcc: victim@example.com"
    assert built["Bcc"] is None


@pytest.mark.parametrize(
    ("reply", "permanent", "reason"),
    [
        ("550 5.1.1 mailbox unavailable", True, "smtp 550 mailbox unavailable"),
        ("451 4.3.0 try again later", False, "smtp 451 try again later"),
    ],
)
async def test_smtp_recipient_refused(
    smtp: SmtpTestServer, reply: str, permanent: bool, reason: str
) -> None:
    smtp.rcpt_reply = reply

    with pytest.raises(DeliveryFailed) as failed:
        await smtp_channel(smtp.port).send(message())

    assert (failed.value.permanent, failed.value.reason) == (permanent, reason)
    assert smtp.messages == []


@pytest.mark.parametrize(
    ("reply", "permanent"), [("554 5.7.1 message refused", True), ("452 4.3.1 full", False)]
)
async def test_smtp_message_refused_after_data(
    smtp: SmtpTestServer, reply: str, permanent: bool
) -> None:
    smtp.data_reply = reply

    with pytest.raises(DeliveryFailed) as failed:
        await smtp_channel(smtp.port).send(message())

    assert failed.value.permanent is permanent
    assert failed.value.reason.startswith(f"smtp {reply[:3]} ")


async def test_smtp_closed_port_is_a_retryable_connect_refused() -> None:
    port = free_port()

    with pytest.raises(DeliveryFailed) as failed:
        await smtp_channel(port).send(message())

    assert failed.value.permanent is False
    assert failed.value.reason == f"smtp connect refused {HOST}:{port}"


async def test_smtp_silent_server_is_a_retryable_timeout() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never greets
        silent.bind((HOST, 0))
        silent.listen(1)
        port = silent.getsockname()[1]

        with pytest.raises(DeliveryFailed) as failed:
            await smtp_channel(port, timeout=0.2).send(message())

    assert failed.value.permanent is False
    assert failed.value.reason == f"smtp timeout after 0.2s ({HOST}:{port})"


@pytest.mark.parametrize("address", ["not-an-address", "two words@example.jp", "a@b@c"])
async def test_smtp_invalid_address_is_permanent_without_connecting(address: str) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await smtp_channel(free_port()).send(message(to=address))

    assert failed.value.permanent is True
    assert failed.value.reason.startswith("invalid e-mail address")


def test_smtp_settings_refuse_half_credentials_and_a_bad_sender() -> None:
    with pytest.raises(ValueError, match="username and password"):
        SmtpSettings(host=HOST, username="u", from_address="a@b.example")
    with pytest.raises(ValueError, match="invalid e-mail address"):
        SmtpSettings(host=HOST, from_address="nobody")


# Webhook


async def test_webhook_posts_signed_json_with_the_delivery_as_idempotency_key(
    hook: WebhookTestServer, sms: WebhookMessageProvider
) -> None:
    outgoing = message(Channel.SMS)

    await sms.send(outgoing)

    [request] = hook.requests
    assert request.method == "POST" and request.path == "/hooks/messages"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == str(outgoing.delivery_id)
    assert json.loads(request.body) == {
        "delivery_id": str(outgoing.delivery_id),
        "channel": "sms",
        "to": "+819012345678",
        "language": "ja",
        "subject": JA_SUBJECT,
        "body": JA_BODY,
        "kind": "booking.confirmed",
    }
    timestamp = request.headers["x-petpro-timestamp"]
    assert timestamp == "1750000000"
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert request.headers["x-petpro-signature"] == f"sha256={expected.hexdigest()}"


async def test_webhook_signature_verifies_only_fresh_and_untampered(
    hook: WebhookTestServer, sms: WebhookMessageProvider
) -> None:
    await sms.send(message(Channel.SMS))
    [request] = hook.requests
    timestamp = request.headers["x-petpro-timestamp"]
    signature = request.headers["x-petpro-signature"]
    now = 1_750_000_060.0

    def verify(body: bytes = request.body, at: float = now, secret: str = SECRET) -> bool:
        return verify_signature(secret, timestamp=timestamp, body=body, signature=signature, now=at)

    assert verify()
    assert not verify(body=request.body.replace(b"+8190", b"+8180"))
    assert not verify(secret="another secret")
    assert not verify(at=now + 3600)  # a replay an hour later


async def test_webhook_repeats_carry_the_same_idempotency_key(
    hook: WebhookTestServer, sms: WebhookMessageProvider
) -> None:
    outgoing = message(Channel.SMS)
    hook.statuses = [503]

    with pytest.raises(DeliveryFailed):
        await sms.send(outgoing)
    await sms.send(outgoing)

    keys = [request.headers["idempotency-key"] for request in hook.requests]
    assert keys == [str(outgoing.delivery_id)] * 2


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(500, False), (503, False), (429, False), (408, False), (400, True), (404, True), (422, True)],
)
async def test_webhook_answer_decides_whether_to_retry(
    hook: WebhookTestServer, sms: WebhookMessageProvider, status: int, permanent: bool
) -> None:
    hook.statuses = [status]

    with pytest.raises(DeliveryFailed) as failed:
        await sms.send(message(Channel.SMS))

    assert failed.value.permanent is permanent
    assert failed.value.reason.startswith(f"webhook {status} ")
    assert failed.value.reason.endswith('{"error":"refused"}')


async def test_webhook_timeout_is_retryable(hook: WebhookTestServer) -> None:
    hook.stall = True
    provider = WebhookMessageProvider(
        Channel.PUSH, url=hook.url, secret=SECRET, timeout_seconds=0.2
    )

    with pytest.raises(DeliveryFailed) as failed:
        await provider.send(message(Channel.PUSH, to="device-token-1"))
    await provider.close()

    assert failed.value.permanent is False
    assert failed.value.reason.startswith("webhook timeout after 0.2s")


async def test_webhook_connection_refused_is_retryable() -> None:
    port = free_port()
    provider = WebhookMessageProvider(Channel.SMS, url=f"http://{HOST}:{port}/x", secret=SECRET)

    with pytest.raises(DeliveryFailed) as failed:
        await provider.send(message(Channel.SMS))
    await provider.close()

    assert failed.value.permanent is False
    assert failed.value.reason == f"webhook connect failed {HOST}:{port}"


@pytest.mark.parametrize(
    ("channel", "url", "secret", "error"),
    [
        (Channel.EMAIL, "http://h/x", SECRET, "sms or push"),
        (Channel.SMS, "ftp://h/x", SECRET, "http"),
        (Channel.SMS, "http:///x", SECRET, "http"),
        (Channel.SMS, "http://h/x", "", "secret"),
    ],
)
def test_webhook_provider_refuses_bad_configuration(
    channel: Channel, url: str, secret: str, error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        WebhookMessageProvider(channel, url=url, secret=secret)


# Logging provider


async def test_logging_provider_logs_the_message_with_structured_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider = LoggingMessageProvider(Channel.SMS)
    outgoing = message(Channel.SMS, body="x" * 500)

    with caplog.at_level(logging.INFO, logger="petpro.notification.outgoing"):
        await provider.send(outgoing)

    [record] = caplog.records
    assert record.getMessage() == (
        f"sms booking.confirmed to +819012345678 logged, not sent: {JA_SUBJECT}"
    )
    fields = record.__dict__
    assert fields["delivery_id"] == str(outgoing.delivery_id)
    assert (fields["channel"], fields["to"], fields["kind"]) == (
        "sms",
        "+819012345678",
        outgoing.kind,
    )
    assert len(fields["body"]) == BODY_LIMIT and fields["body"].endswith("…")
    assert provider.sent == 1


def test_logging_provider_is_not_the_inbox() -> None:
    with pytest.raises(ValueError, match="in-app"):
        LoggingMessageProvider(Channel.IN_APP)


def test_delivery_id_is_a_uuid_in_every_identifier() -> None:
    # The Message-ID and the Idempotency-Key are derived from the same stable id.
    outgoing = message()
    built = smtp_channel(25).build(outgoing)
    assert UUID(built["Message-ID"].strip("<>").split("@")[0]) == outgoing.delivery_id
