"""`WebhookMessageProvider`: SMS or push through a provider (or a relay of ours) that takes a
signed JSON POST. One instance per channel, each with its URL.

Request: `POST <url>` with `Content-Type: application/json` and the UTF-8 body

    {"delivery_id": "…", "channel": "sms", "to": "+8190…", "language": "ja",
     "subject": "…", "body": "…", "kind": "booking.confirmed"}

Headers:

- `Idempotency-Key: <delivery_id>`: the same for every attempt of one delivery, so the
  receiver can drop the copy a retry after a lost answer (or a crash between sending and
  recording) sends.
- `X-PetPro-Timestamp: <unix seconds>`: when this attempt was signed.
- `X-PetPro-Signature: sha256=<hex>`: HMAC-SHA256, keyed with the shared secret
  (`PETPRO_WEBHOOK_SECRET`, as UTF-8), of `<timestamp>.<raw body>` (the timestamp's decimal
  digits, a dot, then the body bytes exactly as sent).

A receiver recomputes the HMAC over the raw body it read (before parsing JSON), compares
with `hmac.compare_digest`, and rejects a timestamp more than a few minutes from its clock,
so a captured request cannot be replayed later. `verify_signature` below does exactly that.

Answers: 2xx = sent. 408, 429 and 5xx, a timeout or a connection error = retried with
backoff; any other 4xx = permanent (the provider refuses this message: a bad number, an
unregistered device token); 1xx/3xx (redirects are not followed) = retried, a configuration
problem rather than this message's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from petpro_core.notification.channels import Channel, DeliveryFailed, OutgoingMessage

SIGNATURE_HEADER = "X-PetPro-Signature"
TIMESTAMP_HEADER = "X-PetPro-Timestamp"
SIGNATURE_TOLERANCE_SECONDS = 300
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})
DETAIL_LIMIT = 120


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-PetPro-Signature` value of `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify_signature(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float | None = None,
    tolerance_seconds: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent."""
    if not timestamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_seconds:
        return False
    return hmac.compare_digest(signature_for(secret, timestamp, body), signature)


class WebhookMessageProvider:
    def __init__(
        self,
        channel: Channel,
        *,
        url: str,
        secret: str,
        timeout_seconds: float = 10.0,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if channel not in (Channel.SMS, Channel.PUSH):
            raise ValueError(f"a webhook provider carries sms or push, not {channel.value}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"webhook URL must be http(s)://host/…, not {url!r}")
        if not secret:
            raise ValueError("a webhook provider needs a signing secret")
        if timeout_seconds <= 0:
            raise ValueError("webhook timeout must be positive")
        self._channel = channel
        self.url = url
        self._secret = secret
        self._timeout = timeout_seconds
        self._clock = clock
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False)

    @property
    def channel(self) -> Channel:
        return self._channel

    @property
    def endpoint(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"

    def request_for(self, message: OutgoingMessage) -> tuple[bytes, dict[str, str]]:
        """The body and headers `send` posts (public for tests and receivers' fixtures)."""
        payload = {
            "delivery_id": str(message.delivery_id),
            "channel": self._channel.value,
            "to": message.to,
            "language": message.language,
            "subject": message.subject,
            "body": message.body,
            "kind": message.kind,
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": str(message.delivery_id),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature_for(self._secret, timestamp, body),
        }
        return body, headers

    async def send(self, message: OutgoingMessage) -> None:
        body, headers = self.request_for(message)
        try:
            response = await self._client.post(
                self.url, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException as error:
            raise DeliveryFailed(
                f"webhook timeout after {self._timeout:g}s ({self.endpoint})"
            ) from error
        except httpx.ConnectError as error:
            raise DeliveryFailed(f"webhook connect failed {self.endpoint}") from error
        except httpx.TransportError as error:
            raise DeliveryFailed(f"webhook {type(error).__name__} ({self.endpoint})") from error
        status = response.status_code
        if 200 <= status < 300:
            return
        reason = f"webhook {status} {response.reason_phrase}".rstrip()
        detail = " ".join(response.text.split())[:DETAIL_LIMIT]
        if detail:
            reason = f"{reason}: {detail}"
        permanent = 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS
        raise DeliveryFailed(reason, permanent=permanent)

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()
