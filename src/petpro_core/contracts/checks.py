"""Invariants the published events share. They raise ValueError, which decoding reports as an
invalid payload, so a malformed message is refused at the edge like a bad constructor call."""

from __future__ import annotations

from petpro_core.shared.money import Money


def require_text(value: str, field: str) -> None:
    if not value.strip():
        raise ValueError(f"{field} must not be blank")


def require_at_least(value: int, minimum: int, field: str) -> None:
    # bool is an int: a True quantity is a bug, not a 1.
    if isinstance(value, bool) or value < minimum:
        raise ValueError(f"{field} must be at least {minimum}")


def require_positive_money(value: Money, field: str) -> None:
    if value.amount <= 0:
        raise ValueError(f"{field} must be positive")
