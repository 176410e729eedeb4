"""The plumbing of the raw baselines: a bare ASGI callable (no framework) with an asyncpg
pool per uvicorn worker, bearer-token verification as the product does it (PyJWT, Ed25519,
the same claims), and JSON answers.

Configuration comes from the environment the benchmark sets:
`BENCH_DATABASE_URL` (postgresql://…), `BENCH_JWT_KEY_FILE` (the product's Ed25519 PEM),
`BENCH_POOL_SIZE` (connections per worker; default 15, as SQLAlchemy's 5 + 10 overflow).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ISSUER = "petpro"
AUDIENCE = "petpro-api"
LEEWAY_SECONDS = 30
_REQUIRED = ["iss", "aud", "exp", "iat", "sub", "sid", "jti", "token_type", "roles"]

JSON_HEADERS = [(b"content-type", b"application/json")]


class HttpError(Exception):
    def __init__(self, status: int, title: str) -> None:
        super().__init__(title)
        self.status = status
        self.title = title


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: bytes
    headers: dict[bytes, bytes]
    body: bytes


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: UUID
    session_id: UUID


Handler = Callable[[Request, asyncpg.Pool], Awaitable[tuple[int, bytes, list[tuple[bytes, bytes]]]]]


class Verifier:
    """The access-token checks of adapters.security.tokens.JwtTokenIssuer, on the same key,
    remembering verified tokens by their text as it does (the expiry checked on every use)."""

    def __init__(self, key_file: str) -> None:
        with open(key_file, "rb") as pem:
            key = serialization.load_pem_private_key(pem.read(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        self._public_key = key.public_key()
        self._verified: dict[str, tuple[Claims, int]] = {}

    def verify(self, headers: dict[bytes, bytes]) -> Claims:
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HttpError(401, "a bearer access token is required")
        kept = self._verified.get(token)
        if kept is None:
            kept = self._verified[token] = self._verify_signed(token)
        claims, expires = kept
        if time.time() >= expires + LEEWAY_SECONDS:
            raise HttpError(401, "access token has expired")
        return claims

    def _verify_signed(self, token: str) -> tuple[Claims, int]:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "EdDSA" or header.get("typ") != "at+jwt":
                raise HttpError(401, "invalid access token")
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=["EdDSA"],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY_SECONDS,
                options={"require": _REQUIRED, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise HttpError(401, "invalid access token") from exc
        if claims["token_type"] != "access":  # noqa: S105
            raise HttpError(401, "not an access token")
        verified = Claims(user_id=UUID(claims["sub"]), session_id=UUID(claims["sid"]))
        return verified, int(claims["exp"])


def json_response(
    status: int, document: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    return (
        status,
        json.dumps(document, separators=(",", ":")).encode(),
        [
            *JSON_HEADERS,
            *(headers or []),
        ],
    )


class RawApp:
    """Routes `(method, path prefix)` to handlers; one asyncpg pool per process, opened at
    lifespan start-up."""

    def __init__(self, routes: dict[tuple[str, str], Handler]) -> None:
        self._routes = routes
        self._pool: asyncpg.Pool | None = None

    async def _startup(self) -> None:
        self._pool = await asyncpg.create_pool(
            os.environ["BENCH_DATABASE_URL"],
            min_size=1,
            max_size=int(os.environ.get("BENCH_POOL_SIZE", "15")),
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self._startup()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if self._pool is not None:
                        await self._pool.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = Request(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b""),
            headers=dict(scope["headers"]),
            body=body,
        )
        handler = self._route(request)
        try:
            if handler is None:
                raise HttpError(404, "not found")
            assert self._pool is not None
            status, payload, headers = await handler(request, self._pool)
        except HttpError as error:
            status, payload, headers = json_response(
                error.status, {"status": error.status, "title": error.title}
            )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _route(self, request: Request) -> Handler | None:
        for (method, prefix), handler in self._routes.items():
            if request.method == method and request.path.startswith(prefix):
                return handler
        return None


async def ready(
    request: Request, pool: asyncpg.Pool
) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """/health/ready: the pool answers."""
    await pool.fetchval("SELECT 1")
    return json_response(200, {"status": "ok"})
