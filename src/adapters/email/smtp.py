"""`SmtpEmailChannel`: notification e-mail over SMTP (aiosmtplib), one connection per message.

The message is a plain-text `email.message.EmailMessage` built with the `email` package's
default policy (with CRLF line ends), so a Japanese subject or display name is RFC
2047-encoded, and a non-ASCII UTF-8 body is base64 (7-bit clean through any relay).
`Message-ID` is derived from the delivery id (`<delivery-id@from-domain>`): a copy sent twice
after a crash between sending and recording carries the same id, so mail clients and
de-duplicating relays can drop it.

Failures map to `DeliveryFailed` (permanent ones are not retried):

- permanent: the recipient (RCPT) or the message (DATA) refused with 5xx
  (`smtp 550 mailbox unavailable`); an address the `email` package cannot put in a header
  (`invalid e-mail address 'x y'`);
- retried: the same refused with 4xx (`smtp 451 try again later`); sender, AUTH or HELO
  refused with any code, since that is our configuration or the server, not this message
  (`smtp 535 auth refused: …`); connection refused, name not resolved, disconnected, TLS not
  offered (`smtp connect refused 127.0.0.1:2525`); a timeout
  (`smtp timeout after 10s (127.0.0.1:2525)`).

Non-permanent failures are retried by the dispatcher with backoff until its attempts run out.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from email.errors import HeaderParseError, MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from enum import StrEnum

import aiosmtplib

from petpro_core.notification.channels import Channel, DeliveryFailed, OutgoingMessage

REASON_LIMIT = 160


class SmtpSecurity(StrEnum):
    NONE = "none"  # plain SMTP (a local relay or a test server)
    STARTTLS = "starttls"  # upgrade after connecting, required (submission port 587)
    TLS = "tls"  # TLS from the first byte (implicit TLS, port 465)


@dataclass(frozen=True, kw_only=True)
class SmtpSettings:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    from_address: str
    from_name: str = "PetPro"
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("SMTP host is empty")
        if not 0 < self.port < 65536:
            raise ValueError(f"SMTP port {self.port} is out of range")
        if (self.username is None) != (self.password is None):
            raise ValueError("SMTP username and password go together")
        if self.timeout_seconds <= 0:
            raise ValueError("SMTP timeout must be positive")
        _address(self.from_name, self.from_address)  # raises on a bad sender address

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def from_domain(self) -> str:
        return self.from_address.rpartition("@")[2]


class SmtpEmailChannel:
    """Sends each message in its own SMTP session; `send` returns once the server queued it."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    @property
    def channel(self) -> Channel:
        return Channel.EMAIL

    def build(self, message: OutgoingMessage) -> EmailMessage:
        """The e-mail `send` would hand to the server (public for tests and previews)."""
        settings = self.settings
        try:
            recipient = _address(message.recipient_name, message.to)
        except ValueError as error:
            raise DeliveryFailed(
                _short(f"invalid e-mail address {message.to!r}"), permanent=True
            ) from error
        email = EmailMessage(policy=SMTP)  # CRLF line ends: the canonical form of text
        email["From"] = _address(settings.from_name, settings.from_address)
        email["To"] = recipient
        email["Subject"] = _one_line(message.subject)
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = f"<{message.delivery_id}@{settings.from_domain}>"
        email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
        email["X-PetPro-Delivery"] = str(message.delivery_id)
        email["X-PetPro-Kind"] = message.kind
        # base64 keeps a non-ASCII body 7-bit clean for relays without 8BITMIME.
        # (set_content clears the Content-* headers, so it comes before Content-Language.)
        cte = "7bit" if message.body.isascii() else "base64"
        email.set_content(message.body, charset="utf-8", cte=cte)
        email["Content-Language"] = message.language
        return email

    async def send(self, message: OutgoingMessage) -> None:
        email = self.build(message)
        settings = self.settings
        try:
            await aiosmtplib.send(
                email,
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                use_tls=settings.security is SmtpSecurity.TLS,
                start_tls=settings.security is SmtpSecurity.STARTTLS,
                timeout=settings.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            refused = error.recipients[0] if error.recipients else None
            if refused is None:
                raise DeliveryFailed("smtp recipient refused") from error
            raise _refused(refused.code, refused.message) from error
        except aiosmtplib.SMTPDataError as error:
            raise _refused(error.code, error.message) from error
        except aiosmtplib.SMTPSenderRefused as error:
            raise _not_this_message("sender refused", error) from error
        except aiosmtplib.SMTPAuthenticationError as error:
            raise _not_this_message("auth refused", error) from error
        except aiosmtplib.SMTPTimeoutError as error:
            raise DeliveryFailed(
                f"smtp timeout after {settings.timeout_seconds:g}s ({settings.endpoint})"
            ) from error
        except aiosmtplib.SMTPConnectError as error:
            raise DeliveryFailed(_connect_reason(error, settings.endpoint)) from error
        except aiosmtplib.SMTPResponseException as error:  # HELO, MAIL, … refused
            raise _not_this_message("refused", error) from error
        except aiosmtplib.SMTPException as error:
            # Disconnected, STARTTLS or AUTH not offered, …: the server or our configuration.
            raise DeliveryFailed(_short(f"smtp {settings.endpoint}: {error.message}")) from error
        except (OSError, ssl.SSLError) as error:
            raise DeliveryFailed(_short(f"smtp {settings.endpoint}: {error}")) from error

    async def close(self) -> None:
        """Nothing to close: every message has its own connection."""


def _address(display_name: str, addr_spec: str) -> Address:
    """An `Address`, or ValueError for anything the `email` package would not accept."""
    if not addr_spec or addr_spec.count("@") != 1 or any(c.isspace() for c in addr_spec):
        raise ValueError(f"invalid e-mail address {addr_spec!r}")
    try:
        return Address(display_name=_one_line(display_name), addr_spec=addr_spec)
    except (MessageError, HeaderParseError, IndexError, ValueError) as error:
        raise ValueError(f"invalid e-mail address {addr_spec!r}") from error


def _one_line(text: str) -> str:
    """Header values may not contain line breaks (header injection); fold them to spaces."""
    return " ".join(text.split())


def _refused(code: int, text: str) -> DeliveryFailed:
    """The server refused this recipient or this message: permanent on 5xx, else retried."""
    return DeliveryFailed(_short(f"smtp {code} {_reply_text(text)}"), permanent=500 <= code < 600)


def _not_this_message(what: str, error: aiosmtplib.SMTPResponseException) -> DeliveryFailed:
    """Refused for a reason that is not this message's (our sender, our credentials, the
    server): retried, since every message would fail alike until someone fixes it."""
    return DeliveryFailed(_short(f"smtp {error.code} {what}: {_reply_text(error.message)}"))


def _reply_text(text: str) -> str:
    """The server's reply without its enhanced status code ("5.1.1 mailbox unavailable")."""
    words = " ".join(text.split()).split(" ", 1)
    if len(words) == 2 and words[0].count(".") == 2 and words[0].replace(".", "").isdigit():
        return words[1]
    return " ".join(words)


def _connect_reason(error: aiosmtplib.SMTPConnectError, endpoint: str) -> str:
    cause = error.__cause__ or error.__context__
    if isinstance(cause, ConnectionRefusedError):
        return f"smtp connect refused {endpoint}"
    if isinstance(cause, socket.gaierror):
        return f"smtp connect failed {endpoint} (name not resolved)"
    if isinstance(error, aiosmtplib.SMTPConnectResponseError):
        return _short(
            f"smtp {error.code} greeting refused {endpoint}: {_reply_text(error.message)}"
        )
    return _short(f"smtp connect failed {endpoint}: {cause or error.message}")


def _short(reason: str) -> str:
    return reason if len(reason) <= REASON_LIMIT else reason[: REASON_LIMIT - 1] + "…"
