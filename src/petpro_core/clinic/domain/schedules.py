"""A clinic's schedule: every vet's weekly working hours (several intervals a day, never
overlapping) and the exceptions (holidays, closures, a vet's leave). One per clinic,
versioned apart from the clinic; schedule.updated carries the hours and the exceptions
that have not ended yet."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from petpro_core.clinic.domain.errors import OverlappingHours, ScheduleExceptionNotFound
from petpro_core.contracts.clinic import ScheduleException, ScheduleUpdated, WorkingHours

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def hours_order(hours: WorkingHours) -> tuple[str, int, object]:
    return (str(hours.vet_id), hours.weekday, hours.starts)


def exception_order(exception: ScheduleException) -> tuple[date, date, str]:
    return (exception.first_day, exception.last_day, str(exception.exception_id))


def check_no_overlap(intervals: Iterable[WorkingHours]) -> None:
    """Raise OverlappingHours when two intervals of one vet on one weekday overlap (an
    interval may start when the previous one ends)."""
    ordered = sorted(intervals, key=hours_order)
    for before, after in itertools.pairwise(ordered):
        if (before.vet_id, before.weekday) == (
            after.vet_id,
            after.weekday,
        ) and after.starts < before.ends:
            day = WEEKDAYS[after.weekday - 1]
            raise OverlappingHours(
                f"on {day}, {before.starts:%H:%M}-{before.ends:%H:%M} overlaps "
                f"{after.starts:%H:%M}-{after.ends:%H:%M}",
                field="hours",
            )


@dataclass(frozen=True, kw_only=True)
class Schedule:
    schedule_id: UUID
    clinic_id: UUID
    weekly_hours: tuple[WorkingHours, ...]
    exceptions: tuple[ScheduleException, ...]
    updated_at: datetime
    version: int = 1

    @classmethod
    def empty(cls, *, schedule_id: UUID, clinic_id: UUID, now: datetime) -> Schedule:
        return cls(
            schedule_id=schedule_id,
            clinic_id=clinic_id,
            weekly_hours=(),
            exceptions=(),
            updated_at=now,
        )

    def hours_of(self, vet_id: UUID) -> tuple[WorkingHours, ...]:
        return tuple(h for h in self.weekly_hours if h.vet_id == vet_id)

    def exception(self, exception_id: UUID) -> ScheduleException:
        found = next((e for e in self.exceptions if e.exception_id == exception_id), None)
        if found is None:
            raise ScheduleExceptionNotFound("this clinic's schedule has no such exception")
        return found

    def current_exceptions(self, today: date) -> tuple[ScheduleException, ...]:
        """The exceptions whose last day is not before `today` (the clinic's local date)."""
        return tuple(e for e in self.exceptions if e.last_day >= today)

    def with_vet_hours(
        self, vet_id: UUID, hours: Iterable[WorkingHours], now: datetime
    ) -> Schedule | None:
        """The vet's weekly hours replaced by `hours` (the next version), or None when they
        are the same as now."""
        mine = tuple(sorted(hours, key=hours_order))
        if any(h.vet_id != vet_id for h in mine):
            raise ValueError("every interval must be the vet's")
        check_no_overlap(mine)
        if mine == tuple(sorted(self.hours_of(vet_id), key=hours_order)):
            return None
        others = tuple(h for h in self.weekly_hours if h.vet_id != vet_id)
        return self._next(now, weekly_hours=tuple(sorted((*others, *mine), key=hours_order)))

    def with_exception(self, exception: ScheduleException, now: datetime) -> Schedule:
        exceptions = sorted((*self.exceptions, exception), key=exception_order)
        return self._next(now, exceptions=tuple(exceptions))

    def without_exception(self, exception_id: UUID, now: datetime) -> Schedule:
        self.exception(exception_id)
        return self._next(
            now, exceptions=tuple(e for e in self.exceptions if e.exception_id != exception_id)
        )

    def without_vet(self, vet_id: UUID, now: datetime) -> Schedule | None:
        """Without the vet's hours and leave, or None when it has neither."""
        hours = tuple(h for h in self.weekly_hours if h.vet_id != vet_id)
        exceptions = tuple(e for e in self.exceptions if e.vet_id != vet_id)
        if hours == self.weekly_hours and exceptions == self.exceptions:
            return None
        return self._next(now, weekly_hours=hours, exceptions=exceptions)

    def _next(self, now: datetime, **changes: object) -> Schedule:
        return replace(self, **changes, updated_at=now, version=self.version + 1)  # type: ignore[arg-type]

    def updated_event(self, now: datetime, time_zone: str) -> ScheduleUpdated:
        today = now.astimezone(ZoneInfo(time_zone)).date()
        return ScheduleUpdated(
            occurred_at=now,
            aggregate_version=self.version,
            schedule_id=self.schedule_id,
            clinic_id=self.clinic_id,
            weekly_hours=self.weekly_hours,
            exceptions=self.current_exceptions(today),
        )
