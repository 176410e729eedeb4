"""Events published by the clinic context: a clinic's public profile, whole after each change."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from petpro_core.contracts.checks import require_text
from petpro_core.shared.events import Event


@dataclass(frozen=True, kw_only=True)
class PostalAddress:
    lines: tuple[str, ...]
    locality: str
    region: str | None
    postal_code: str | None
    country: str  # ISO 3166-1 alpha-2

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("an address has at least one line")
        for line in self.lines:
            require_text(line, "address line")
        require_text(self.locality, "locality")
        if not (len(self.country) == 2 and self.country.isascii() and self.country.isupper()):
            raise ValueError("country must be an ISO 3166-1 alpha-2 code, e.g. JP")


@dataclass(frozen=True, kw_only=True)
class ClinicSnapshot(Event):
    """Common shape of clinic.created and clinic.updated, so consumers can upsert. `time_zone`
    is the IANA zone the clinic's opening hours and appointment times are read in."""

    AGGREGATE = "clinic"

    clinic_id: UUID
    name: str
    address: PostalAddress
    phone: str | None
    email: str | None
    time_zone: str

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text(self.name, "name")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory, e.g. "Asia"
            raise ValueError(f"unknown IANA time zone {self.time_zone!r}") from None

    @property
    def aggregate_id(self) -> UUID:
        return self.clinic_id


@dataclass(frozen=True, kw_only=True)
class ClinicCreated(ClinicSnapshot):
    NAME = "clinic.created"


@dataclass(frozen=True, kw_only=True)
class ClinicUpdated(ClinicSnapshot):
    NAME = "clinic.updated"


CLINIC_EVENTS: tuple[type[Event], ...] = (ClinicCreated, ClinicUpdated)
