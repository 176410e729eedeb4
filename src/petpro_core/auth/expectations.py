"""The fields of other contexts' events the auth context reads (a consumer-driven contract).

Auth keeps each owner's booking history and knows which clinics exist for staff permissions.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_BOOKING_HISTORY = frozenset(
    {"booking_id", "owner_id", "pet_id", "clinic_id", "starts_at", "ends_at", "aggregate_version"}
)
_CLINIC = frozenset({"clinic_id", "name", "aggregate_version"})

EXPECTED_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "booking.created": _BOOKING_HISTORY,
        "booking.confirmed": _BOOKING_HISTORY,
        "booking.cancelled": _BOOKING_HISTORY | {"cancelled_by", "reason"},
        "booking.failed": _BOOKING_HISTORY | {"reason"},
        "booking.rescheduled": _BOOKING_HISTORY | {"previous_starts_at"},
        "clinic.created": _CLINIC,
        "clinic.updated": _CLINIC,
    }
)
