"""A real HTTP server standing in for an SMS or push provider's webhook (http.server in a
thread on 127.0.0.1 and a free port).

    with running_webhook_server() as hook:
        ...post to hook.url...
        [request] = hook.requests        # path, headers (lower-case names), raw body

`hook.statuses` scripts the answers: each request pops the first status (200 when empty).
`hook.stall = True` holds every answer until the server stops, for client timeouts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.smtp import HOST


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookTestServer:
    def __init__(self, host: str = HOST) -> None:
        self.requests: list[ReceivedRequest] = []
        self.statuses: list[int] = []
        self.stall = False
        self._released = threading.Event()
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                with owner._lock:
                    owner.requests.append(ReceivedRequest("POST", self.path, headers, body))
                    status = owner.statuses.pop(0) if owner.statuses else 200
                if owner.stall:
                    owner._released.wait(10)
                    return
                answer = b'{"accepted":true}' if status < 300 else b'{"error":"refused"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/messages"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@contextmanager
def running_webhook_server(host: str = HOST) -> Iterator[WebhookTestServer]:
    server = WebhookTestServer(host)
    server.start()
    try:
        yield server
    finally:
        server.stop()
