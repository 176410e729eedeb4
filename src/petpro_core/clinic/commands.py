"""Messages the clinic context accepts. Queries are commands that change nothing.

Writes carry the acting user (`Actor`); reads are public (a clinic's profile, services
and schedule are what owners book from), so they carry none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import Enum
from uuid import UUID

from petpro_core.clinic.domain.values import AddressInput, PolicyInput, PriceInput
from petpro_core.shared.actors import Actor
from petpro_core.shared.messagebus import Command
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import PageRequest

__all__ = [
    "UNSET",
    "AddScheduleException",
    "AddService",
    "AddressInput",
    "AssignStaff",
    "CreateClinic",
    "GetClinic",
    "GetSchedule",
    "GetService",
    "HoursInput",
    "ListClinics",
    "ListServices",
    "PolicyInput",
    "PriceInput",
    "RemoveScheduleException",
    "RemoveStaff",
    "SetVetHours",
    "StaffClinics",
    "Unset",
    "UpdateClinic",
    "UpdateService",
]


class Unset(Enum):
    """Marks a field a partial update leaves alone (None means "clear it")."""

    UNSET = "unset"


UNSET = Unset.UNSET


def _given(command: object, names: tuple[str, ...]) -> Mapping[str, object]:
    return {name: getattr(command, name) for name in names if getattr(command, name) is not UNSET}


# -- clinics ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateClinic(Command):
    """Admins open clinics; the clinic's schedule is created with it (empty)."""

    actor: Actor
    name: str
    address: AddressInput
    time_zone: str
    phone: str | None = None
    email: str | None = None
    booking_policy: PolicyInput | None = None  # None: the default policy


@dataclass(frozen=True, kw_only=True)
class UpdateClinic(Command):
    """Partial: admins, or the clinic's staff in the clinic_staff role. `booking_policy`
    changes only the policy fields it gives."""

    actor: Actor
    clinic_id: UUID
    name: str | Unset = UNSET
    address: AddressInput | Unset = UNSET
    phone: str | Unset | None = UNSET
    email: str | Unset | None = UNSET
    time_zone: str | Unset = UNSET
    booking_policy: PolicyInput | Unset = UNSET

    def changes(self) -> Mapping[str, object]:
        return _given(self, ("name", "address", "phone", "email", "time_zone", "booking_policy"))


@dataclass(frozen=True, kw_only=True)
class AssignStaff(Command):
    """Admins add a user to a clinic's staff (or change their role there). The user must
    exist and hold the role (vet or clinic_staff). A vet who becomes clinic_staff stops
    performing services and loses their hours and leave, as on removal."""

    actor: Actor
    clinic_id: UUID
    user_id: UUID
    role: str


@dataclass(frozen=True, kw_only=True)
class RemoveStaff(Command):
    """Admins remove a user from a clinic's staff; a vet is also taken off the clinic's
    services and their hours and leave leave the schedule."""

    actor: Actor
    clinic_id: UUID
    user_id: UUID


@dataclass(frozen=True, kw_only=True)
class GetClinic(Command):
    clinic_id: UUID


@dataclass(frozen=True, kw_only=True)
class ListClinics(Command):
    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True, kw_only=True)
class StaffClinics(Command):
    """The clinics where the user is on the staff (any role)."""

    user_id: UUID


# -- services ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AddService(Command):
    """The clinic's staff or admins. `vet_ids` must be vets on the clinic's staff;
    `species` empty means any species."""

    actor: Actor
    clinic_id: UUID
    name: str
    duration_minutes: int
    price: Money | PriceInput
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    species: tuple[str, ...] = ()
    vet_ids: tuple[UUID, ...] = ()


@dataclass(frozen=True, kw_only=True)
class UpdateService(Command):
    """Partial; `active` False withdraws the service from booking (True offers it again)."""

    actor: Actor
    clinic_id: UUID
    service_id: UUID
    name: str | Unset = UNSET
    duration_minutes: int | Unset = UNSET
    buffer_before_minutes: int | Unset = UNSET
    buffer_after_minutes: int | Unset = UNSET
    price: Money | PriceInput | Unset = UNSET
    species: tuple[str, ...] | Unset = UNSET
    vet_ids: tuple[UUID, ...] | Unset = UNSET
    active: bool | Unset = UNSET

    def changes(self) -> Mapping[str, object]:
        return _given(
            self,
            (
                "name",
                "duration_minutes",
                "buffer_before_minutes",
                "buffer_after_minutes",
                "price",
                "species",
                "vet_ids",
                "active",
            ),
        )


@dataclass(frozen=True, kw_only=True)
class ListServices(Command):
    clinic_id: UUID
    include_inactive: bool = False


@dataclass(frozen=True, kw_only=True)
class GetService(Command):
    """One service; with `clinic_id`, only if it is that clinic's."""

    service_id: UUID
    clinic_id: UUID | None = None


# -- schedules --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class HoursInput:
    """One working interval as given: ISO weekday (1 = Monday … 7 = Sunday), local times."""

    weekday: int
    starts: time
    ends: time


@dataclass(frozen=True, kw_only=True)
class SetVetHours(Command):
    """Replace one vet's weekly hours (empty: no hours). Intervals of a day must not
    overlap. Admins and clinic_staff set any vet's hours; a vet sets their own."""

    actor: Actor
    clinic_id: UUID
    vet_id: UUID
    hours: tuple[HoursInput, ...]


@dataclass(frozen=True, kw_only=True)
class AddScheduleException(Command):
    """A holiday or closure for the whole clinic (`vet_id` None), or a vet's leave, over
    local days `first_day`..`last_day` (optionally only `starts`..`ends` of each day).
    Clinic-wide ones: admins and clinic_staff; a vet's leave also the vet."""

    actor: Actor
    clinic_id: UUID
    kind: str
    first_day: date
    last_day: date
    vet_id: UUID | None = None
    starts: time | None = None
    ends: time | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class RemoveScheduleException(Command):
    actor: Actor
    clinic_id: UUID
    exception_id: UUID


@dataclass(frozen=True, kw_only=True)
class GetSchedule(Command):
    clinic_id: UUID
