"""Recognising which constraint an IntegrityError violated, on PostgreSQL and SQLite."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError


def violates(error: IntegrityError, *markers: str) -> bool:
    """True when the driver's message names one of `markers`.

    PostgreSQL names the constraint or unique index (`"uq_pets_microchip"`); SQLite names an
    expression index (`index 'uq_users_email_lower'`) or the columns (`pets.microchip`).
    """
    message = str(error.orig)
    return any(marker in message for marker in markers)
