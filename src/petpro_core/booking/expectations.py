"""The fields of other contexts' events the booking context reads (a consumer-driven contract).

Booking caches owners, pets (`booking_pet_cache`) and clinics so it can take a booking without
calling the services that own them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_OWNER = frozenset({"user_id", "email", "display_name", "language", "aggregate_version"})
# The cache keeps a pet's version and when it changed, to ignore stale or reordered events.
_PET_CACHE = frozenset(
    {"pet_id", "owner_id", "name", "species", "breed", "aggregate_version", "occurred_at"}
)
_CLINIC = frozenset(
    {"clinic_id", "name", "time_zone", "booking_policy", "staff", "aggregate_version"}
)
_SERVICE = frozenset(
    {
        "service_id",
        "clinic_id",
        "name",
        "duration_minutes",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "price",
        "species",
        "vet_ids",
        "active",
        "aggregate_version",
    }
)
_RESERVATION_REPLY = frozenset({"reservation_id", "reference", "aggregate_version"})

EXPECTED_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "user.created": _OWNER,
        "user.updated": _OWNER,
        "pet.created": _PET_CACHE,
        "pet.updated": _PET_CACHE,
        "pet.deleted": frozenset({"pet_id", "owner_id", "aggregate_version", "occurred_at"}),
        "clinic.created": _CLINIC,
        "clinic.updated": _CLINIC,
        "service.created": _SERVICE,
        "service.updated": _SERVICE,
        "schedule.updated": frozenset(
            {"schedule_id", "clinic_id", "weekly_hours", "exceptions", "aggregate_version"}
        ),
        "products.reserved": _RESERVATION_REPLY | {"expires_at"},
        "products.reservation_failed": _RESERVATION_REPLY | {"reason"},
    }
)
