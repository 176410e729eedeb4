"""Messages the booking context accepts. Queries are commands that change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from petpro_core.shared.messagebus import Command


@dataclass(frozen=True, kw_only=True)
class GetCachedPet(Command):
    """Booking's copy of one pet. Internal for now: no actor, so no runtime exposes it to
    callers until a booking feature decides who may see what."""

    pet_id: UUID
    include_deleted: bool = False  # answer a deleted pet's tombstone instead of not-found
