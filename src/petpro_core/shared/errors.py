"""The one error tree of the core. Runtimes translate it: HTTP problem+json, CLI exit codes.

Every error has a stable `code` (the last segment of the problem `type` URI) and a message
safe to show to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class PetProError(Exception):
    code: ClassVar[str] = "error"
    title: ClassVar[str] = "Request failed"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra: Mapping[str, Any] = extra


class NotFound(PetProError):
    code = "not-found"
    title = "Not found"


class Conflict(PetProError):
    code = "conflict"
    title = "Conflict"


class RuleViolated(PetProError):
    """Input that is well-formed but breaks a domain rule."""

    code = "rule-violated"
    title = "Domain rule violated"


class InvalidInput(RuleViolated):
    code = "invalid-input"
    title = "Invalid input"


class PermissionDenied(PetProError):
    code = "permission-denied"
    title = "Permission denied"


class Unauthenticated(PetProError):
    code = "unauthenticated"
    title = "Authentication required"


class TooManyAttempts(PetProError):
    code = "too-many-attempts"
    title = "Too many attempts"

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail, retry_after=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


class ServiceUnavailable(PetProError):
    code = "service-unavailable"
    title = "Service unavailable"


class PaymentRequired(PetProError):
    """The payment was refused (HTTP 402): declined, insufficient funds."""

    code = "payment-required"
    title = "Payment required"
