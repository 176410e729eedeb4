"""A clinic: its public profile, booking policy and staff. Every change makes a new
version and the whole snapshot is published (clinic.created / clinic.updated v2)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from petpro_core.contracts.clinic import (
    BookingPolicy,
    ClinicCreated,
    ClinicUpdated,
    PostalAddress,
    StaffMember,
)

VET_ROLE = "vet"
CLINIC_STAFF_ROLE = "clinic_staff"


@dataclass(frozen=True, kw_only=True)
class Clinic:
    clinic_id: UUID
    name: str
    address: PostalAddress
    phone: str | None
    email: str | None
    time_zone: str
    policy: BookingPolicy
    staff: tuple[StaffMember, ...]
    schedule_id: UUID  # the clinic's one schedule, versioned on its own
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @classmethod
    def open(
        cls,
        *,
        clinic_id: UUID,
        schedule_id: UUID,
        name: str,
        address: PostalAddress,
        phone: str | None,
        email: str | None,
        time_zone: str,
        policy: BookingPolicy,
        now: datetime,
    ) -> tuple[Clinic, ClinicCreated]:
        clinic = cls(
            clinic_id=clinic_id,
            name=name,
            address=address,
            phone=phone,
            email=email,
            time_zone=time_zone,
            policy=policy,
            staff=(),
            schedule_id=schedule_id,
            created_at=now,
            updated_at=now,
        )
        return clinic, ClinicCreated(occurred_at=now, **clinic._snapshot())

    def role_of(self, user_id: UUID) -> str | None:
        return next((m.role for m in self.staff if m.user_id == user_id), None)

    def is_staff(self, user_id: UUID) -> bool:
        return self.role_of(user_id) is not None

    def is_vet(self, user_id: UUID) -> bool:
        return self.role_of(user_id) == VET_ROLE

    @property
    def vet_ids(self) -> tuple[UUID, ...]:
        return tuple(m.user_id for m in self.staff if m.role == VET_ROLE)

    def change(self, now: datetime, **changes: Any) -> tuple[Clinic, ClinicUpdated | None]:
        """The clinic with `changes` as its next version, and the event; (self, None) when
        nothing actually changes."""
        if all(getattr(self, name) == value for name, value in changes.items()):
            return self, None
        changed = replace(self, **changes, updated_at=now, version=self.version + 1)
        return changed, ClinicUpdated(occurred_at=now, **changed._snapshot())

    def with_member(
        self, user_id: UUID, role: str, now: datetime
    ) -> tuple[Clinic, ClinicUpdated | None]:
        """Add the user in `role`, or change their role; staff stay in the order they joined."""
        if self.role_of(user_id) == role:
            return self, None
        if self.is_staff(user_id):
            staff = tuple(
                StaffMember(user_id=user_id, role=role) if m.user_id == user_id else m
                for m in self.staff
            )
        else:
            staff = (*self.staff, StaffMember(user_id=user_id, role=role))
        return self.change(now, staff=staff)

    def without_member(self, user_id: UUID, now: datetime) -> tuple[Clinic, ClinicUpdated | None]:
        return self.change(now, staff=tuple(m for m in self.staff if m.user_id != user_id))

    def _snapshot(self) -> dict[str, Any]:
        return {
            "aggregate_version": self.version,
            "clinic_id": self.clinic_id,
            "name": self.name,
            "address": self.address,
            "phone": self.phone,
            "email": self.email,
            "time_zone": self.time_zone,
            "booking_policy": self.policy,
            "staff": self.staff,
        }
