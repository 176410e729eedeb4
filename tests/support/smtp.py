"""A real SMTP server for tests (aiosmtpd on 127.0.0.1 and a free port, in its own thread).

    with running_smtp_server() as smtp:
        ...send to smtp.host:smtp.port with security "none"...
        [mail] = smtp.messages          # email.message.EmailMessage, default policy
        mail["Subject"]                  # decoded (RFC 2047 undone)

Replies can be scripted: `smtp.rcpt_reply = "550 5.1.1 mailbox unavailable"` refuses every
recipient, `smtp.data_reply = "451 4.3.0 try again later"` refuses every message; None (the
default) accepts. `wait_for(n)` blocks until n messages arrived (for senders that run in the
background, such as the dispatcher sweeper).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage


class SmtpTestServer:
    """The aiosmtpd handler and its controller; `messages` are what the server accepted."""

    def __init__(self, host: str = HOST, port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        self.envelopes: list[Envelope] = []
        self._arrived = threading.Condition()
        self._controller = Controller(self, hostname=host, port=self.port, ready_timeout=5.0)

    @property
    def messages(self) -> list[EmailMessage]:
        with self._arrived:
            return [envelope.message for envelope in self.envelopes]

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.envelopes) >= count, timeout):
                raise AssertionError(
                    f"expected {count} e-mails within {timeout}s, got {len(self.envelopes)}"
                )
            return [envelope.message for envelope in self.envelopes]

    # aiosmtpd handler hooks (run on the server's thread and loop)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply is not None:
            return self.data_reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.envelopes.append(Envelope(envelope.mail_from, tuple(envelope.rcpt_tos), message))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"


@contextmanager
def running_smtp_server(host: str = HOST) -> Iterator[SmtpTestServer]:
    server = SmtpTestServer(host)
    server.start()
    try:
        yield server
    finally:
        server.stop()
