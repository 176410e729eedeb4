"""Every HTTP request runs in a message context: the caller's `X-Correlation-ID` (or a new
one) and a child span of the caller's `traceparent` (or a new trace). Units of work copy it
into the outbox, so consumers log the same ids; the response echoes the correlation id."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from petpro_core.shared.tracing import MessageContext, message_context

CORRELATION_HEADER = "x-correlation-id"


def request_context_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope.get("headers", ())
        }
        context = MessageContext.start(
            headers.get(CORRELATION_HEADER) or headers.get("x-request-id"),
            headers.get("traceparent"),
        )

        async def send_with_correlation(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", ()),
                    (CORRELATION_HEADER.encode(), context.correlation_id.encode("latin-1")),
                ]
            await send(message)

        with message_context(context):
            await app(scope, receive, send_with_correlation)

    return middleware
