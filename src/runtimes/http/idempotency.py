"""`Idempotency-Key` for unsafe endpoints (draft-ietf-httpapi-idempotency-key-header).

A route that requires the header builds its response inside `run` and lets `idempotent`
decide whether to run it::

    @post("/", responses=problem_responses(*IDEMPOTENCY_PROBLEM_STATUSES, 401, 404))
    async def create_booking(request: Request, data: …, principal: …, bus: Bus,
                             idempotency_key: IdempotencyKeyHeader = None) -> Response[Any]:
        scope = f"user:{principal.user_id}:POST /bookings"

        async def run() -> Response[Any]:
            booking_id = booking_id_for(scope, request_idempotency_key(request))
            booking = await bus.execute(CreateBooking(booking_id=booking_id, …))
            return Response(BookingResponse.of(booking), status_code=201,
                            headers={"Location": f"/bookings/{booking.id}"})

        return await idempotent(request, store=…, scope=scope, run=run, keep_for=…)

| situation                                               | answer                                |
|---------------------------------------------------------|---------------------------------------|
| no `Idempotency-Key` (or more than one)                 | 400 `idempotency-key-missing`         |
| a key that is not 1 to 255 visible ASCII characters     | 400 `idempotency-key-invalid`         |
| a new key                                               | `run`'s response, remembered          |
| the same key and request again, answered                | that response again, plus             |
|                                                         | `Idempotent-Replayed: true`           |
| the same key with another request (method, path, body)  | 422 `idempotency-key-reused`          |
| the same key while the first request still runs         | 409 `idempotency-key-in-flight`,      |
|                                                         | `Retry-After`                         |

What is remembered: every answer below 500 (a domain error raised by `run` becomes its
problem+json response first, via the HTTP translator) except 408 and 429, which say
"try again". A 5xx, a 408/429, or an exception `run` does not handle releases the key, so
the client may retry with it; the exception goes on to the error translator (500).

A claim holds the key for `lock_for` (default 30 s): a request still running then may be
taken over by a retry, as if it had died. So `run` should finish well within it, and it
should be safe to run twice: derive the id of what it creates from the key
(`booking_id_for`), and the retry finds what the first attempt made instead of making a
second one. Answers are kept `keep_for` (`PETPRO_IDEMPOTENCY_KEY_HOURS`, default 24 h);
`IdempotencyStore.prune` deletes them after that.

The request fingerprint is a SHA-256 over the method, the path, the query (sorted) and the
body: a JSON body is parsed and dumped again with sorted keys and no whitespace, so key
order and formatting do not matter; any other body counts byte for byte.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl
from uuid import NAMESPACE_URL, UUID, uuid5

from litestar import Request, Response
from litestar.params import HeaderParameter
from litestar.plugins.problem_details import ProblemDetailsException

from petpro_core.shared.clock import Clock, SystemClock
from petpro_core.shared.errors import PetProError
from petpro_core.shared.idempotency import (
    ClaimKind,
    IdempotencyStore,
    InvalidIdempotencyKey,
    StoredResponse,
    validate_idempotency_key,
)
from runtimes.http.problems import core_error_to_problem, problem_type

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
DEFAULT_LOCK_FOR = timedelta(seconds=30)
DEFAULT_KEEP_FOR = timedelta(hours=24)
# Response headers stored with an answer and sent again on a replay.
REPLAYED_RESPONSE_HEADERS = frozenset({"content-type", "location", "content-location", "etag"})
# Answers that mean "try again later": not remembered, like a 5xx.
_RETRYABLE_STATUSES = frozenset({408, 429})
# For `problem_responses(*IDEMPOTENCY_PROBLEM_STATUSES, …)` on a route that uses `idempotent`.
IDEMPOTENCY_PROBLEM_STATUSES = (400, 409, 422)
# The namespace of ids derived from idempotency keys.
_DERIVED_ID_NAMESPACE = uuid5(NAMESPACE_URL, "https://petpro.dev/idempotency")

log = logging.getLogger("petpro.idempotency")

RunRequest = Callable[[], Awaitable[Response[Any]]]

IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name=IDEMPOTENCY_KEY_HEADER,
        required=False,
        description="Required. One key per operation, reused when the request is retried: "
        "1 to 255 visible ASCII characters, e.g. a UUID (a quoted sf-string is accepted "
        "too). The same key and request replay the first answer (`Idempotent-Replayed: "
        "true`); the same key with another request is 422 `idempotency-key-reused`; while "
        "the first request still runs, 409 `idempotency-key-in-flight`. Keys are kept 24 h "
        "by default.",
    ),
]
"""A handler parameter that only documents the header in OpenAPI (`= None` default):
`idempotent` reads and checks the header itself, so a missing one is the
`idempotency-key-missing` problem rather than a generic validation error."""


async def idempotent(
    request: Request[Any, Any, Any],
    *,
    store: IdempotencyStore,
    scope: str,
    run: RunRequest,
    keep_for: timedelta = DEFAULT_KEEP_FOR,
    lock_for: timedelta = DEFAULT_LOCK_FOR,
    clock: Clock | None = None,
) -> Response[Any]:
    """Run `run` once per (scope, Idempotency-Key) and replay its answer; see the module.

    `scope` names the caller and the operation (``f"user:{user_id}:POST /bookings"``), at
    most 200 characters. Raises the 400, 409 and 422 problems itself."""
    clock = clock or SystemClock()
    key = request_idempotency_key(request)
    fingerprint = request_fingerprint(
        request.method, request.url.path, request.url.query, await request.body()
    )
    now = clock.now()
    outcome = await store.claim(scope, key, fingerprint, now, lock_for, keep_for)
    if outcome.kind is ClaimKind.REPLAY:
        assert outcome.response is not None
        return _replay(outcome.response)
    if outcome.kind is ClaimKind.MISMATCH:
        raise _problem(
            422,
            "idempotency-key-reused",
            "Idempotency-Key already used",
            "this Idempotency-Key was already used for another request; "
            "use a new key for a new request",
        )
    if outcome.kind is ClaimKind.IN_FLIGHT:
        assert outcome.locked_until is not None
        wait = max(1, math.ceil((outcome.locked_until - now).total_seconds()))
        raise _problem(
            409,
            "idempotency-key-in-flight",
            "A request with this Idempotency-Key is in progress",
            "the first request with this Idempotency-Key is still being processed; retry it later",
            headers={"Retry-After": str(wait)},
        )

    try:
        try:
            response = await run()
        except PetProError as error:
            response = core_error_to_problem(error).to_response(request)
        answer, stored = _render(request, response)
    except BaseException:
        await _release(store, scope, key)
        raise
    if not _remembered(stored.status_code):
        await _release(store, scope, key)
        return answer
    try:
        await store.complete(scope, key, stored, clock.now(), keep_for)
    except Exception:
        # The operation happened; the client gets its answer. A retry meets the claim
        # (409) until its lock lapses, then runs again and finds what this one made.
        log.exception("could not store the answer for an Idempotency-Key (scope %s)", scope)
    return answer


def request_idempotency_key(request: Request[Any, Any, Any]) -> str:
    """The request's Idempotency-Key, checked; the 400 problems otherwise."""
    values = request.headers.getall(IDEMPOTENCY_KEY_HEADER.lower(), [])
    if len(values) != 1:
        raise _problem(
            400,
            "idempotency-key-missing",
            "Idempotency-Key required",
            f"this operation requires exactly one {IDEMPOTENCY_KEY_HEADER} header "
            f"(got {len(values)}); send a new unique key (e.g. a UUID) with each new request "
            "and the same key when retrying it",
        )
    try:
        return validate_idempotency_key(_unquote(values[0].strip()))
    except InvalidIdempotencyKey as error:
        raise _problem(400, error.code, error.title, error.detail) from None


def request_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """SHA-256 (hex) of the method, path, sorted query and canonical body."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        kind, canonical = b"raw", body
    else:
        kind = b"json"
        canonical = json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    digest = hashlib.sha256()
    for part in (
        method.upper().encode(),
        path.encode(),
        json.dumps(pairs).encode(),
        kind,
        canonical,
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def booking_id_for(scope: str, key: str) -> UUID:
    """The id of the booking a request with this key creates: the same for every retry."""
    return derived_id(scope, key)


def derived_id(scope: str, key: str) -> UUID:
    """A UUIDv5 over (scope, key): what one keyed request creates, whichever attempt runs."""
    return uuid5(_DERIVED_ID_NAMESPACE, f"{scope}\n{key}")


def _unquote(value: str) -> str:
    """An RFC 8941 sf-string (`"…"`, as the draft writes keys) or the bare key."""
    if not (len(value) >= 2 and value[0] == value[-1] == '"'):
        return value
    inner, out, escaped = value[1:-1], [], False
    for char in inner:
        if escaped:
            if char not in '"\\':
                raise InvalidIdempotencyKey('a quoted Idempotency-Key may escape only " and \\')
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            raise InvalidIdempotencyKey('a quoted Idempotency-Key must escape its " characters')
        else:
            out.append(char)
    if escaped:
        raise InvalidIdempotencyKey("a quoted Idempotency-Key ends in a lone backslash")
    return "".join(out)


def _render(
    request: Request[Any, Any, Any], response: Response[Any]
) -> tuple[Response[Any], StoredResponse]:
    """Encode `response` as the route would (its media type, status, type encoders): the
    answer to send now, and what to remember of it."""
    handler = request.route_handler
    media_type = handler.media_type
    encoded = response.to_asgi_response(
        None,
        request,
        media_type=media_type.value if hasattr(media_type, "value") else str(media_type),
        status_code=getattr(handler, "status_code", None),
        type_encoders=handler.resolve_type_encoders(),
    )
    status = int(encoded.status_code or 200)
    headers = [(name.lower(), value) for name, value in encoded.headers.items()]
    content_type = next((v for n, v in headers if n == "content-type"), None)
    kept = tuple((n, v) for n, v in headers if n in REPLAYED_RESPONSE_HEADERS)
    answer = Response(
        encoded.body,
        status_code=status,
        # The content-type header as encoded (a media type given to Response would get a
        # second charset for text/*); content-length is counted again.
        headers={n: v for n, v in headers if n != "content-length"},
        media_type=content_type,
        cookies=response.cookies,
        background=response.background,
    )
    return answer, StoredResponse(status_code=status, headers=kept, body=encoded.body)


def _replay(stored: StoredResponse) -> Response[Any]:
    content_type = next((v for n, v in stored.headers if n == "content-type"), None)
    headers = dict(stored.headers)
    headers[REPLAYED_HEADER] = "true"
    return Response(
        stored.body, status_code=stored.status_code, headers=headers, media_type=content_type
    )


def _remembered(status: int) -> bool:
    return status < 500 and status not in _RETRYABLE_STATUSES


async def _release(store: IdempotencyStore, scope: str, key: str) -> None:
    """Forget the claim so the client may retry; shielded from a cancelled request. If this
    fails too, the claim lapses after its lock time anyway."""
    try:
        await asyncio.shield(store.release(scope, key))
    except Exception:
        log.exception("could not release an Idempotency-Key (scope %s)", scope)


def _problem(
    status: int, code: str, title: str, detail: str, *, headers: dict[str, str] | None = None
) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=status,
        type_=problem_type(code),
        title=title,
        detail=detail,
        headers=headers or {},
    )


__all__ = [
    "DEFAULT_KEEP_FOR",
    "DEFAULT_LOCK_FOR",
    "IDEMPOTENCY_KEY_HEADER",
    "IDEMPOTENCY_PROBLEM_STATUSES",
    "REPLAYED_HEADER",
    "IdempotencyKeyHeader",
    "booking_id_for",
    "derived_id",
    "idempotent",
    "request_fingerprint",
    "request_idempotency_key",
]
