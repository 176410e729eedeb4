"""Recognising which constraint an IntegrityError violated, on PostgreSQL and SQLite, and
which PostgreSQL error a statement met."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError

DEADLOCK_DETECTED = "40P01"


def violates(error: IntegrityError, *markers: str) -> bool:
    """True when the driver's message names one of `markers`.

    PostgreSQL names the constraint or unique index (`"uq_pets_microchip"`); SQLite names an
    expression index (`index 'uq_users_email_lower'`) or the columns (`pets.microchip`).
    """
    message = str(error.orig)
    return any(marker in message for marker in markers)


def sqlstate(error: DBAPIError) -> str | None:
    """PostgreSQL's SQLSTATE of the error (psycopg and asyncpg both expose it)."""
    state = getattr(error.orig, "sqlstate", None)
    return state if isinstance(state, str) else None
