"""The fields of other contexts' events the clinic context reads (a consumer-driven contract).

The clinic knows its staff by user and plans each vet's day from the bookings.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_STAFF = frozenset({"user_id", "email", "display_name", "roles", "aggregate_version"})
_DAY_PLAN = frozenset(
    {
        "booking_id",
        "clinic_id",
        "service_id",
        "vet_id",
        "pet_id",
        "starts_at",
        "ends_at",
        "aggregate_version",
    }
)

EXPECTED_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "user.created": _STAFF,
        "user.updated": _STAFF,
        "booking.created": _DAY_PLAN,
        "booking.confirmed": _DAY_PLAN,
        "booking.cancelled": _DAY_PLAN | {"cancelled_by", "reason"},
        "booking.rescheduled": _DAY_PLAN | {"previous_starts_at", "previous_vet_id"},
    }
)
