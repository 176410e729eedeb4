"""Errors of the booking context, each a branch of the shared PetProError tree."""

from __future__ import annotations

from petpro_core.shared.errors import NotFound


class CachedPetNotFound(NotFound):
    """Booking has not heard of the pet (yet), or heard that it was deleted."""

    code = "pet-not-found"
    title = "Pet not found"
