"""Errors of the notification context, each a branch of the shared PetProError tree."""

from __future__ import annotations

from petpro_core.shared.errors import Conflict, PermissionDenied


class ConcurrentUpdate(Conflict):
    """A version-guarded save found a different stored version (preferences, reminders)."""

    code = "concurrent-update"
    title = "The record was changed by someone else; retry"


class StaleDelivery(ConcurrentUpdate):
    """A delivery changed since it was read (another dispatcher claimed or recorded it)."""

    code = "stale-delivery"
    title = "The delivery was changed by someone else"


class AdminOnly(PermissionDenied):
    code = "admin-only"
    title = "Only an administrator may do this"
