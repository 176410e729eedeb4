"""The HTTP error translator: every error leaves as RFC 9457 ``application/problem+json``.

The ``type`` of a problem is ``https://petpro.dev/problems/<code>``, where ``<code>`` is
the core error's stable ``PetProError.code`` (``email-taken``, ``pet-not-found``, …) or,
for errors raised by the framework, one of ``validation-error``, ``not-found``,
``method-not-allowed``, ``too-many-requests`` and ``internal-error``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    TooManyRequestsException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from pydantic import BaseModel, ConfigDict, Field

from petpro_core.shared.errors import (
    Conflict,
    NotFound,
    PaymentRequired,
    PermissionDenied,
    PetProError,
    RuleViolated,
    ServiceUnavailable,
    TooManyAttempts,
    Unauthenticated,
)

PROBLEM_BASE_URI = "https://petpro.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
BEARER_CHALLENGE = "Bearer"

logger = logging.getLogger(__name__)

# Most specific first: InvalidInput is a RuleViolated, InvalidCredentials an Unauthenticated.
_STATUS_BY_ERROR: tuple[tuple[type[PetProError], int], ...] = (
    (TooManyAttempts, 429),
    (Unauthenticated, 401),
    (PaymentRequired, 402),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RuleViolated, 422),
    (ServiceUnavailable, 503),
)
_RESERVED = frozenset({"type", "title", "status", "detail", "instance"})


class FieldError(BaseModel):
    field: str | None = Field(None, description="The offending field, when one can be named.")
    message: str
    source: str | None = Field(None, description="body, query, path or header")


class Problem(BaseModel):
    """An RFC 9457 problem document. Extra members (e.g. ``field``) depend on the ``type``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[f"{PROBLEM_BASE_URI}pet-not-found"])
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(None, description="Only for validation-error.")


def problem_type(code: str) -> str:
    return f"{PROBLEM_BASE_URI}{code}"


def status_for(error: PetProError) -> int:
    return next((status for cls, status in _STATUS_BY_ERROR if isinstance(error, cls)), 400)


def core_error_to_problem(exc: PetProError) -> ProblemDetailsException:
    status = status_for(exc)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = BEARER_CHALLENGE
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    return _problem(status, exc.code, exc.title, exc.detail, headers=headers, extra=exc.extra)


def http_error_to_problem(exc: HTTPException) -> ProblemDetailsException:
    """Litestar's own errors: request validation, unknown routes, rate limiting, …"""
    status = exc.status_code
    if isinstance(exc, ValidationException) or status == 400:
        return _validation_problem(exc)
    if isinstance(exc, NotFoundException):
        return _problem(404, "not-found", "Not found", "no such resource", headers=exc.headers)
    if isinstance(exc, MethodNotAllowedException):
        return _problem(
            405, "method-not-allowed", "Method not allowed", exc.detail, headers=exc.headers
        )
    if isinstance(exc, TooManyRequestsException):
        headers = dict(exc.headers or {})
        headers["Retry-After"] = _retry_after(headers)
        return _problem(
            429,
            "too-many-requests",
            "Too many requests",
            "request rate limit exceeded; slow down",
            headers=headers,
        )
    if status >= 500:
        logger.error("HTTP %s: %s", status, exc.detail, exc_info=exc)
        code = "internal-error" if status == 500 else _slug(status)
        return _problem(
            status, code, HTTPStatus(status).phrase, "the server could not handle the request"
        )
    return _problem(
        status, _slug(status), HTTPStatus(status).phrase, exc.detail, headers=exc.headers
    )


def unexpected_error_to_problem(exc: Exception) -> ProblemDetailsException:
    """Anything else is a bug: log it whole, tell the caller nothing about the internals."""
    logger.error("unhandled error", exc_info=exc)
    return _problem(500, "internal-error", "Internal server error", "an unexpected error occurred")


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                PetProError: core_error_to_problem,
                HTTPException: http_error_to_problem,
                Exception: unexpected_error_to_problem,
            }
        )
    )


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the problem responses a route can give (always 400 and 422)."""
    documented = sorted({400, 422, *statuses})
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=_DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
            generate_examples=False,
        )
        for status in documented
    }


_DESCRIPTIONS = {
    400: "Malformed request (validation-error)",
    401: "Missing, invalid or expired credentials (WWW-Authenticate: Bearer)",
    402: "The payment was declined; nothing is owed",
    403: "Authenticated, but not allowed",
    404: "No such resource, or not yours",
    409: "Conflicts with existing data (or the current state)",
    422: "Invalid input: request validation (validation-error) or a domain rule",
    429: "Too many attempts; see Retry-After (seconds)",
    503: "A dependency is unavailable",
}


def _validation_problem(exc: HTTPException) -> ProblemDetailsException:
    """Litestar reports unparsable bodies as 400 and schema violations as ValidationException;
    the first stays 400, the second becomes 422 like the core's own InvalidInput."""
    raw = exc.extra if isinstance(exc.extra, list) else []
    errors = [_field_error(item) for item in raw if isinstance(item, Mapping)]
    if isinstance(exc, ValidationException):
        status, detail = 422, "the request does not match the expected schema"
    else:
        status, detail = 400, exc.detail or "malformed request"
    return _problem(status, "validation-error", "Invalid request", detail, extra={"errors": errors})


def _field_error(item: Mapping[str, Any]) -> dict[str, Any]:
    source = item.get("source")
    return {
        "field": item.get("key"),
        "message": str(item.get("message", "invalid value")),
        "source": None if source is None else str(getattr(source, "value", source)),
    }


def _problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> ProblemDetailsException:
    members = {k: v for k, v in (extra or {}).items() if k not in _RESERVED}
    return ProblemDetailsException(
        status_code=status,
        type_=problem_type(code),
        title=title,
        detail=detail,
        headers=dict(headers or {}),
        extra=members or None,
    )


def _retry_after(headers: Mapping[str, str]) -> str:
    reset = headers.get("RateLimit-Reset")
    try:
        return str(max(1, int(reset))) if reset is not None else "60"
    except ValueError:
        return "60"


def _slug(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "-")


__all__ = [
    "PROBLEM_BASE_URI",
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "problem_details_plugin",
    "problem_responses",
    "problem_type",
    "status_for",
]
