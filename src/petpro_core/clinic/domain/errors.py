"""Errors of the clinic context, each a branch of the shared PetProError tree."""

from __future__ import annotations

from petpro_core.shared.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolated,
)


class ClinicNotFound(NotFound):
    code = "clinic-not-found"
    title = "Clinic not found"


class ServiceNotFound(NotFound):
    code = "service-not-found"
    title = "Service not found"


class ScheduleExceptionNotFound(NotFound):
    code = "schedule-exception-not-found"
    title = "Schedule exception not found"


class StaffUserNotFound(NotFound):
    """The user to add to a clinic's staff does not exist (auth knows no such user)."""

    code = "user-not-found"
    title = "User not found"


class StaffMemberNotFound(NotFound):
    code = "staff-member-not-found"
    title = "Not on the clinic's staff"


class AdminOnly(PermissionDenied):
    code = "admin-only"
    title = "Only an administrator may do this"


class NotClinicStaff(PermissionDenied):
    code = "not-clinic-staff"
    title = "Not on this clinic's staff"


class RoleNotHeld(RuleViolated):
    """A user joins a clinic's staff only in a role their account holds."""

    code = "role-not-held"
    title = "The user does not hold that role"


class VetNotOnStaff(RuleViolated):
    code = "vet-not-on-staff"
    title = "Not a vet on the clinic's staff"


class OverlappingHours(InvalidInput):
    code = "overlapping-hours"
    title = "Working hours overlap"


class ConcurrentClinicUpdate(Conflict):
    code = "concurrent-update"
    title = "The record was changed by someone else; retry"
