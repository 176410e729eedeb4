"""Events published by the clinic context: a clinic's public profile, whole after each change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from petpro_core.contracts.checks import require_at_least, require_positive_money, require_text
from petpro_core.shared.events import Event
from petpro_core.shared.money import Money

# The roles a clinic's staff hold there; vets also perform services.
STAFF_ROLES = frozenset({"vet", "clinic_staff"})
EXCEPTION_KINDS = frozenset({"holiday", "closure", "leave"})


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
class StaffMember:
    user_id: UUID
    role: str  # one of STAFF_ROLES

    def __post_init__(self) -> None:
        if self.role not in STAFF_ROLES:
            raise ValueError(f"staff role must be one of: {', '.join(sorted(STAFF_ROLES))}")


@dataclass(frozen=True, kw_only=True)
class BookingPolicy:
    """How a clinic takes bookings. Slots start every `slot_minutes` from the start of a
    working interval; a booking needs `min_notice_minutes` of notice and may be at most
    `horizon_days` ahead. Cancelling `full_refund_hours` or more before the start refunds
    everything, later (but before the start) `late_refund_percent`, once started nothing."""

    min_notice_minutes: int = 60
    horizon_days: int = 60
    slot_minutes: int = 15
    full_refund_hours: int = 24
    late_refund_percent: int = 50

    def __post_init__(self) -> None:
        require_at_least(self.min_notice_minutes, 0, "min_notice_minutes")
        require_at_least(self.horizon_days, 1, "horizon_days")
        require_at_least(self.slot_minutes, 5, "slot_minutes")
        require_at_least(self.full_refund_hours, 0, "full_refund_hours")
        if not 0 <= self.late_refund_percent <= 100:
            raise ValueError("late_refund_percent is between 0 and 100")


@dataclass(frozen=True, kw_only=True)
class ClinicSnapshot(Event):
    """Common shape of clinic.created and clinic.updated (v2), so consumers can upsert.
    `time_zone` is the IANA zone the clinic's hours and appointment times are read in;
    `staff` are the users who work there (vets perform services)."""

    VERSION = 2
    AGGREGATE = "clinic"

    clinic_id: UUID
    name: str
    address: PostalAddress
    phone: str | None
    email: str | None
    time_zone: str
    booking_policy: BookingPolicy
    staff: tuple[StaffMember, ...]

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text(self.name, "name")
        _require_time_zone(self.time_zone)
        if len({member.user_id for member in self.staff}) != len(self.staff):
            raise ValueError("a user holds one staff role per clinic")

    @property
    def aggregate_id(self) -> UUID:
        return self.clinic_id


@dataclass(frozen=True, kw_only=True)
class ClinicCreated(ClinicSnapshot):
    NAME = "clinic.created"


@dataclass(frozen=True, kw_only=True)
class ClinicUpdated(ClinicSnapshot):
    NAME = "clinic.updated"


@dataclass(frozen=True, kw_only=True)
class ClinicSnapshotV1(Event):
    """clinic.created / clinic.updated v1: no booking policy and no staff."""

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
        _require_time_zone(self.time_zone)

    @property
    def aggregate_id(self) -> UUID:
        return self.clinic_id


@dataclass(frozen=True, kw_only=True)
class ClinicCreatedV1(ClinicSnapshotV1):
    NAME = "clinic.created"


@dataclass(frozen=True, kw_only=True)
class ClinicUpdatedV1(ClinicSnapshotV1):
    NAME = "clinic.updated"


def clinic_snapshot_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    """Upcast a v1 clinic payload: the default booking policy, and no staff known yet."""
    defaults = BookingPolicy()
    policy = {name: getattr(defaults, name) for name in defaults.__dataclass_fields__}
    return {"booking_policy": policy, "staff": [], **payload}


def _require_time_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory, e.g. "Asia"
        raise ValueError(f"unknown IANA time zone {name!r}") from None


@dataclass(frozen=True, kw_only=True)
class ServiceSnapshot(Event):
    """A service a clinic offers, whole after each change. A booking blocks the vet from
    `buffer_before_minutes` before the start to `buffer_after_minutes` after the end;
    `species` empty means any species; `active` False withdraws it from booking."""

    AGGREGATE = "service"

    service_id: UUID
    clinic_id: UUID
    name: str
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    price: Money
    species: tuple[str, ...]
    vet_ids: tuple[UUID, ...]
    active: bool

    def __post_init__(self) -> None:
        super().__post_init__()
        require_text(self.name, "name")
        require_at_least(self.duration_minutes, 5, "duration_minutes")
        require_at_least(self.buffer_before_minutes, 0, "buffer_before_minutes")
        require_at_least(self.buffer_after_minutes, 0, "buffer_after_minutes")
        require_positive_money(self.price, "price")
        if len(set(self.vet_ids)) != len(self.vet_ids):
            raise ValueError("vet_ids are distinct")

    @property
    def aggregate_id(self) -> UUID:
        return self.service_id


@dataclass(frozen=True, kw_only=True)
class ServiceCreated(ServiceSnapshot):
    NAME = "service.created"


@dataclass(frozen=True, kw_only=True)
class ServiceUpdated(ServiceSnapshot):
    NAME = "service.updated"


@dataclass(frozen=True, kw_only=True)
class WorkingHours:
    """One interval of a vet's weekly hours, in the clinic's local time. `weekday` is ISO
    (1 = Monday … 7 = Sunday); a day may have several intervals."""

    vet_id: UUID
    weekday: int
    starts: time
    ends: time

    def __post_init__(self) -> None:
        if not 1 <= self.weekday <= 7:
            raise ValueError("weekday is 1 (Monday) to 7 (Sunday)")
        if self.starts.tzinfo is not None or self.ends.tzinfo is not None:
            raise ValueError("working hours are local times, without a zone")
        if self.ends <= self.starts:
            raise ValueError("working hours end after they start")


@dataclass(frozen=True, kw_only=True)
class ScheduleException:
    """Days off, in the clinic's local dates (both included): a public holiday or closure
    for the whole clinic (`vet_id` None), or a vet's leave. With `starts`/`ends` it covers
    only those local hours on each of those days."""

    exception_id: UUID
    vet_id: UUID | None
    kind: str
    first_day: date
    last_day: date
    starts: time | None = None
    ends: time | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EXCEPTION_KINDS:
            raise ValueError(f"kind must be one of: {', '.join(sorted(EXCEPTION_KINDS))}")
        if self.last_day < self.first_day:
            raise ValueError("an exception's last day is not before its first")
        if (self.starts is None) != (self.ends is None):
            raise ValueError("give both starts and ends, or neither for whole days")
        if self.starts is not None and self.ends is not None and self.ends <= self.starts:
            raise ValueError("an exception's hours end after they start")


@dataclass(frozen=True, kw_only=True)
class ScheduleUpdated(Event):
    """A clinic's whole schedule after a change: every vet's weekly hours, and the
    exceptions that have not ended yet."""

    NAME = "schedule.updated"
    AGGREGATE = "schedule"

    schedule_id: UUID  # one schedule per clinic, versioned apart from the clinic's profile
    clinic_id: UUID
    weekly_hours: tuple[WorkingHours, ...]
    exceptions: tuple[ScheduleException, ...]

    @property
    def aggregate_id(self) -> UUID:
        return self.schedule_id


CLINIC_EVENTS: tuple[type[Event], ...] = (
    ClinicCreated,
    ClinicUpdated,
    ServiceCreated,
    ServiceUpdated,
    ScheduleUpdated,
)
