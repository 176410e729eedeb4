"""Availability: which starts a clinic offers, in its zone, across daylight-saving changes,
with buffers, busy vets, exceptions, notice, horizon and the query window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from petpro_core.booking.domain.availability import (
    Slot,
    blocked_interval,
    free_slots,
    is_free_slot,
)
from petpro_core.booking.domain.clinic_cache import CachedService
from petpro_core.booking.ports import BusyInterval
from petpro_core.contracts.clinic import BookingPolicy, ScheduleException, WorkingHours
from petpro_core.shared.money import Money

TOKYO = ZoneInfo("Asia/Tokyo")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")

VET_A = UUID("00000000-0000-4000-8000-00000000000a")
VET_B = UUID("00000000-0000-4000-8000-00000000000b")
VET_C = UUID("00000000-0000-4000-8000-00000000000c")  # works at the clinic, not this service
CLINIC = UUID("00000000-0000-4000-8000-0000000000c1")

MONDAY = date(2026, 3, 2)  # an ordinary week in every zone used here
TUESDAY = MONDAY + timedelta(days=1)
WEDNESDAY = MONDAY + timedelta(days=2)
# Sundays of daylight-saving changes in 2026 (checked in test_the_transition_days_are_real).
NY_SPRING, NY_FALL = date(2026, 3, 8), date(2026, 11, 1)  # 02:00 → 03:00, 02:00 → 01:00
LONDON_SPRING, LONDON_FALL = date(2026, 3, 29), date(2026, 10, 25)  # 01:00 → 02:00, 02 → 01
LH_FALL, LH_SPRING = date(2026, 4, 5), date(2026, 10, 4)  # 02:00 → 01:30, 02:00 → 02:30

POLICY = BookingPolicy(min_notice_minutes=0, horizon_days=365, slot_minutes=30)


def service(**changes: Any) -> CachedService:
    base = CachedService(
        service_id=UUID("00000000-0000-4000-8000-000000000051"),
        clinic_id=CLINIC,
        name="Check-up",
        duration_minutes=30,
        buffer_before_minutes=0,
        buffer_after_minutes=0,
        price=Money(Decimal("40.00"), "JPY"),
        species=(),
        vet_ids=(VET_A, VET_B),
        active=True,
        version=1,
    )
    return replace(base, **changes)


def hours(vet: UUID, day: date, starts: str, ends: str) -> WorkingHours:
    return WorkingHours(
        vet_id=vet,
        weekday=day.isoweekday(),
        starts=time.fromisoformat(starts),
        ends=time.fromisoformat(ends),
    )


def at(zone: ZoneInfo, day: date, clock: str, *, fold: int = 0) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), zone).replace(fold=fold)


def busy(vet: UUID, start: datetime, end: datetime) -> BusyInterval:
    return BusyInterval(vet_id=vet, blocked_from=start, blocked_until=end)


def exception(
    vet: UUID | None,
    first_day: date,
    last_day: date | None = None,
    starts: str | None = None,
    ends: str | None = None,
    kind: str = "leave",
) -> ScheduleException:
    return ScheduleException(
        exception_id=UUID(int=first_day.toordinal()),
        vet_id=vet,
        kind=kind,
        first_day=first_day,
        last_day=last_day or first_day,
        starts=time.fromisoformat(starts) if starts else None,
        ends=time.fromisoformat(ends) if ends else None,
    )


def slots_on(
    day: date,
    *,
    zone: ZoneInfo = TOKYO,
    weekly_hours: Sequence[WorkingHours],
    policy: BookingPolicy = POLICY,
    svc: CachedService | None = None,
    exceptions: Sequence[ScheduleException] = (),
    busy_intervals: Sequence[BusyInterval] = (),
    now: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
    vet_ids: Sequence[UUID] | None = None,
) -> list[Slot]:
    """The slots of one local day (by default), as seen from 1 January 2026."""
    start, end = window or (
        datetime.combine(day, time(), zone),
        datetime.combine(day + timedelta(days=1), time(), zone),
    )
    return free_slots(
        zone=zone,
        policy=policy,
        service=svc or service(),
        weekly_hours=weekly_hours,
        exceptions=exceptions,
        busy=busy_intervals,
        now=now or datetime(2026, 1, 1, tzinfo=UTC),
        window_start=start,
        window_end=end,
        vet_ids=vet_ids,
    )


def shown(slots: Sequence[Slot], vet: UUID | None = None) -> list[str]:
    """Local starts with their offsets (time part of isoformat), of one vet if given."""
    return [s.starts_at.isoformat()[11:] for s in slots if vet is None or s.vet_id == vet]


def real_minutes(slot: Slot) -> float:
    return (slot.ends_at.astimezone(UTC) - slot.starts_at.astimezone(UTC)) / timedelta(minutes=1)


# -- an ordinary day ----------------------------------------------------------------------------


def test_slots_step_from_the_interval_start_and_show_the_local_offset() -> None:
    slots = slots_on(MONDAY, weekly_hours=[hours(VET_A, MONDAY, "09:00", "11:00")])

    assert shown(slots) == ["09:00:00+09:00", "09:30:00+09:00", "10:00:00+09:00", "10:30:00+09:00"]
    assert {s.vet_id for s in slots} == {VET_A}
    first = slots[0]
    assert first.starts_at == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert first.ends_at.isoformat() == "2026-03-02T09:30:00+09:00"
    assert first.starts_at.tzinfo == TOKYO and first.ends_at.tzinfo == TOKYO


def test_a_longer_appointment_must_end_inside_the_interval() -> None:
    slots = slots_on(
        MONDAY,
        weekly_hours=[hours(VET_A, MONDAY, "09:00", "11:00")],
        svc=service(duration_minutes=60),
    )

    assert shown(slots) == ["09:00:00+09:00", "09:30:00+09:00", "10:00:00+09:00"]
    assert all(real_minutes(s) == 60 for s in slots)


def test_the_grid_is_the_policys_slot_minutes_from_each_intervals_own_start() -> None:
    slots = slots_on(
        MONDAY,
        weekly_hours=[
            hours(VET_A, MONDAY, "09:10", "10:00"),
            hours(VET_A, MONDAY, "14:00", "15:00"),
        ],
        policy=replace(POLICY, slot_minutes=20),
        svc=service(duration_minutes=20),
    )

    assert shown(slots) == [
        "09:10:00+09:00",
        "09:30:00+09:00",
        "14:00:00+09:00",
        "14:20:00+09:00",
        "14:40:00+09:00",
    ]


def test_several_intervals_a_day_and_no_slot_straddles_two() -> None:
    slots = slots_on(
        MONDAY,
        weekly_hours=[
            hours(VET_A, MONDAY, "09:00", "10:00"),
            hours(VET_A, MONDAY, "10:00", "11:00"),
            hours(VET_A, MONDAY, "14:00", "15:30"),
        ],
        svc=service(duration_minutes=60),
    )

    # 09:30 would run 09:30-10:30 across two intervals: not offered.
    assert shown(slots) == ["09:00:00+09:00", "10:00:00+09:00", "14:00:00+09:00", "14:30:00+09:00"]


def test_hours_of_other_weekdays_do_not_apply() -> None:
    weekly = [hours(VET_A, TUESDAY, "09:00", "10:00")]

    assert slots_on(MONDAY, weekly_hours=weekly) == []
    assert shown(slots_on(TUESDAY, weekly_hours=weekly)) == ["09:00:00+09:00", "09:30:00+09:00"]


def test_overlapping_hours_of_one_vet_do_not_repeat_a_slot() -> None:
    slots = slots_on(
        MONDAY,
        weekly_hours=[
            hours(VET_A, MONDAY, "09:00", "10:00"),
            hours(VET_A, MONDAY, "09:00", "10:00"),
            hours(VET_A, MONDAY, "09:30", "10:30"),
        ],
    )

    assert shown(slots) == ["09:00:00+09:00", "09:30:00+09:00", "10:00:00+09:00"]


def test_output_is_sorted_by_start_then_vet() -> None:
    slots = slots_on(
        MONDAY,
        weekly_hours=[
            hours(VET_B, MONDAY, "09:00", "10:00"),
            hours(VET_A, MONDAY, "09:30", "10:30"),
            hours(VET_B, TUESDAY, "09:00", "09:30"),
        ],
        window=(at(TOKYO, MONDAY, "00:00"), at(TOKYO, WEDNESDAY, "00:00")),
    )

    assert [(s.starts_at.isoformat(), s.vet_id) for s in slots] == [
        ("2026-03-02T09:00:00+09:00", VET_B),
        ("2026-03-02T09:30:00+09:00", VET_A),
        ("2026-03-02T09:30:00+09:00", VET_B),
        ("2026-03-02T10:00:00+09:00", VET_A),
        ("2026-03-03T09:00:00+09:00", VET_B),
    ]


# -- vets and the service -----------------------------------------------------------------------

WEEKLY_ABC = [
    hours(VET_A, MONDAY, "09:00", "10:00"),
    hours(VET_B, MONDAY, "09:00", "10:00"),
    hours(VET_C, MONDAY, "09:00", "10:00"),
]


def test_only_vets_who_perform_the_service_are_offered() -> None:
    slots = slots_on(MONDAY, weekly_hours=WEEKLY_ABC)

    assert {s.vet_id for s in slots} == {VET_A, VET_B}
    assert len(slots) == 4


def test_the_vet_filter_narrows_to_the_services_vets() -> None:
    assert {s.vet_id for s in slots_on(MONDAY, weekly_hours=WEEKLY_ABC, vet_ids=[VET_B])} == {VET_B}
    # A vet who works there but does not perform the service has no slots for it.
    assert slots_on(MONDAY, weekly_hours=WEEKLY_ABC, vet_ids=[VET_C]) == []
    assert slots_on(MONDAY, weekly_hours=WEEKLY_ABC, vet_ids=[]) == []


def test_an_inactive_service_has_no_slots() -> None:
    assert slots_on(MONDAY, weekly_hours=WEEKLY_ABC, svc=service(active=False)) == []


def test_a_vet_without_hours_has_no_slots() -> None:
    slots = slots_on(MONDAY, weekly_hours=[hours(VET_A, MONDAY, "09:00", "10:00")])

    assert {s.vet_id for s in slots} == {VET_A}


# -- buffers and busy vets ----------------------------------------------------------------------


def test_buffers_must_fit_inside_the_working_interval() -> None:
    slots = slots_on(
        MONDAY,
        weekly_hours=[hours(VET_A, MONDAY, "09:00", "11:00")],
        policy=replace(POLICY, slot_minutes=15),
        svc=service(buffer_before_minutes=15, buffer_after_minutes=10),
    )

    # blocked [start - 15, start + 40) within 09:00-11:00: starts 09:15 … 10:15.
    assert shown(slots) == [
        "09:15:00+09:00",
        "09:30:00+09:00",
        "09:45:00+09:00",
        "10:00:00+09:00",
        "10:15:00+09:00",
    ]
    assert all(real_minutes(s) == 30 for s in slots)  # ends_at leaves the buffer out


def test_a_busy_interval_that_only_touches_leaves_the_neighbours_free() -> None:
    weekly = [hours(VET_A, MONDAY, "09:00", "11:00")]
    taken = [busy(VET_A, at(TOKYO, MONDAY, "10:00"), at(TOKYO, MONDAY, "10:30"))]

    slots = slots_on(MONDAY, weekly_hours=weekly, busy_intervals=taken)

    assert shown(slots) == ["09:00:00+09:00", "09:30:00+09:00", "10:30:00+09:00"]


def test_buffers_keep_clear_of_busy_intervals_on_both_sides() -> None:
    weekly = [hours(VET_A, MONDAY, "09:00", "12:00")]
    taken = [busy(VET_A, at(TOKYO, MONDAY, "10:00"), at(TOKYO, MONDAY, "10:30"))]
    svc = service(buffer_before_minutes=15, buffer_after_minutes=15)

    slots = slots_on(
        MONDAY,
        weekly_hours=weekly,
        busy_intervals=taken,
        svc=svc,
        policy=replace(POLICY, slot_minutes=15),
    )

    # Before: blocked until start + 45 ≤ 10:00 → start ≤ 09:15 (and ≥ 09:15 for the
    # interval's edge). After: blocked from start - 15 ≥ 10:30 → start ≥ 10:45, and
    # start + 45 ≤ 12:00 → start ≤ 11:15.
    assert shown(slots) == ["09:15:00+09:00", "10:45:00+09:00", "11:00:00+09:00", "11:15:00+09:00"]


def test_busy_intervals_count_for_their_own_vet_in_any_zone() -> None:
    weekly = [hours(VET_A, MONDAY, "09:00", "10:00"), hours(VET_B, MONDAY, "09:00", "10:00")]
    # 09:00-09:30 Tokyo, given in UTC
    taken = [
        busy(VET_A, datetime(2026, 3, 2, 0, 0, tzinfo=UTC), datetime(2026, 3, 2, 0, 30, tzinfo=UTC))
    ]

    slots = slots_on(MONDAY, weekly_hours=weekly, busy_intervals=taken)

    assert shown(slots, VET_A) == ["09:30:00+09:00"]
    assert shown(slots, VET_B) == ["09:00:00+09:00", "09:30:00+09:00"]


def test_many_busy_intervals_are_all_respected() -> None:
    weekly = [hours(VET_A, MONDAY, "08:00", "18:00")]
    # Every other half hour is taken, unsorted, with overlaps and duplicates.
    taken = [
        busy(VET_A, at(TOKYO, MONDAY, f"{h:02d}:30"), at(TOKYO, MONDAY, f"{h + 1:02d}:00"))
        for h in reversed(range(8, 18))
    ]
    taken += [*taken[:3], busy(VET_A, at(TOKYO, MONDAY, "12:40"), at(TOKYO, MONDAY, "12:50"))]

    slots = slots_on(MONDAY, weekly_hours=weekly, busy_intervals=taken)

    assert shown(slots) == [f"{h:02d}:00:00+09:00" for h in range(8, 18)]


# -- exceptions ---------------------------------------------------------------------------------

WEEK = [
    hours(vet, day, "09:00", "10:00")
    for vet in (VET_A, VET_B)
    for day in (MONDAY, TUESDAY, WEDNESDAY)
]
THREE_DAYS = (at(TOKYO, MONDAY, "00:00"), at(TOKYO, WEDNESDAY + timedelta(days=1), "00:00"))


def days_of(slots: Sequence[Slot], vet: UUID) -> list[int]:
    return sorted({s.starts_at.day for s in slots if s.vet_id == vet})


def test_a_clinic_wide_holiday_closes_every_vet_that_day() -> None:
    holiday = exception(None, TUESDAY, kind="holiday")

    slots = slots_on(MONDAY, weekly_hours=WEEK, exceptions=[holiday], window=THREE_DAYS)

    assert days_of(slots, VET_A) == [2, 4]
    assert days_of(slots, VET_B) == [2, 4]


def test_a_vets_leave_covers_its_days_inclusive_and_only_that_vet() -> None:
    leave = exception(VET_A, MONDAY, TUESDAY)

    slots = slots_on(MONDAY, weekly_hours=WEEK, exceptions=[leave], window=THREE_DAYS)

    assert days_of(slots, VET_A) == [4]
    assert days_of(slots, VET_B) == [2, 3, 4]


def test_a_long_leave_that_began_before_the_window_still_applies() -> None:
    leave = exception(VET_A, MONDAY - timedelta(days=40), TUESDAY)

    slots = slots_on(MONDAY, weekly_hours=WEEK, exceptions=[leave], window=THREE_DAYS)

    assert days_of(slots, VET_A) == [4]


def test_a_partial_day_closure_removes_only_overlapping_slots_on_each_of_its_days() -> None:
    weekly = [hours(VET_A, day, "09:00", "12:00") for day in (MONDAY, TUESDAY, WEDNESDAY)]
    closure = exception(None, MONDAY, TUESDAY, starts="10:00", ends="11:00", kind="closure")

    slots = slots_on(MONDAY, weekly_hours=weekly, exceptions=[closure], window=THREE_DAYS)

    by_day = {d: [s for s in slots if s.starts_at.day == d] for d in (2, 3, 4)}
    assert shown(by_day[2]) == [
        "09:00:00+09:00",
        "09:30:00+09:00",
        "11:00:00+09:00",
        "11:30:00+09:00",
    ]
    assert shown(by_day[3]) == shown(by_day[2])
    assert len(by_day[4]) == 6


def test_a_partial_closure_also_blocks_the_buffers() -> None:
    weekly = [hours(VET_A, MONDAY, "08:00", "13:00")]
    closure = exception(VET_A, MONDAY, starts="10:00", ends="11:00")

    slots = slots_on(
        MONDAY,
        weekly_hours=weekly,
        exceptions=[closure],
        svc=service(buffer_before_minutes=10, buffer_after_minutes=10),
    )

    # 09:30 would be blocked until 10:10, 11:00 from 10:50.
    assert shown(slots) == ["08:30:00+09:00", "09:00:00+09:00", "11:30:00+09:00", "12:00:00+09:00"]


def test_an_exception_of_another_vet_does_not_apply() -> None:
    slots = slots_on(
        MONDAY,
        weekly_hours=[hours(VET_A, MONDAY, "09:00", "10:00")],
        exceptions=[exception(VET_B, MONDAY)],
    )

    assert len(slots) == 2


# -- notice, horizon, window --------------------------------------------------------------------


def test_minimum_notice_counts_from_now_and_its_boundary_is_offered() -> None:
    weekly = [hours(VET_A, MONDAY, "09:00", "12:00")]
    policy = replace(POLICY, min_notice_minutes=60)

    at_nine = slots_on(MONDAY, weekly_hours=weekly, policy=policy, now=at(TOKYO, MONDAY, "09:00"))
    a_bit_later = slots_on(
        MONDAY, weekly_hours=weekly, policy=policy, now=at(TOKYO, MONDAY, "09:01")
    )

    assert shown(at_nine)[0] == "10:00:00+09:00"
    assert shown(a_bit_later)[0] == "10:30:00+09:00"


def test_nothing_in_the_past() -> None:
    weekly = [hours(VET_A, MONDAY, "09:00", "12:00")]

    slots = slots_on(MONDAY, weekly_hours=weekly, now=at(TOKYO, MONDAY, "10:15"))

    assert shown(slots) == ["10:30:00+09:00", "11:00:00+09:00", "11:30:00+09:00"]


def test_the_horizon_is_absolute_time_from_now_and_excludes_its_end() -> None:
    weekly = [hours(VET_A, day, "09:00", "10:00") for day in (MONDAY, TUESDAY, WEDNESDAY)]
    policy = replace(POLICY, horizon_days=1)

    slots = slots_on(
        MONDAY,
        weekly_hours=weekly,
        policy=policy,
        now=at(TOKYO, MONDAY, "09:15"),
        window=THREE_DAYS,
    )

    # Monday 09:30, and Tuesday before 09:15 (now + 24 h): 09:00 only.
    assert [s.starts_at.isoformat() for s in slots] == [
        "2026-03-02T09:30:00+09:00",
        "2026-03-03T09:00:00+09:00",
    ]


def test_the_horizon_over_a_spring_forward_is_24_real_hours_a_day() -> None:
    saturday = NY_SPRING - timedelta(days=1)
    weekly = [hours(VET_A, NY_SPRING, "09:00", "12:00")]

    slots = slots_on(
        NY_SPRING,
        zone=NEW_YORK,
        weekly_hours=weekly,
        policy=replace(POLICY, horizon_days=1),
        now=at(NEW_YORK, saturday, "09:00"),
    )

    # Saturday 09:00 EST + 24 h is Sunday 10:00 EDT.
    assert shown(slots) == ["09:00:00-04:00", "09:30:00-04:00"]


def test_the_window_is_half_open_and_clips_slots_by_start() -> None:
    weekly = [hours(VET_A, MONDAY, "09:00", "12:00")]

    slots = slots_on(
        MONDAY,
        weekly_hours=weekly,
        window=(at(TOKYO, MONDAY, "09:30"), at(TOKYO, MONDAY, "10:30")),
        svc=service(duration_minutes=60),
    )

    # 10:00 runs past the window's end, which only bounds starts.
    assert shown(slots) == ["09:30:00+09:00", "10:00:00+09:00"]


def test_an_empty_or_inverted_window_has_no_slots() -> None:
    weekly = [hours(VET_A, MONDAY, "09:00", "12:00")]
    nine = at(TOKYO, MONDAY, "09:00")

    assert slots_on(MONDAY, weekly_hours=weekly, window=(nine, nine)) == []
    assert slots_on(MONDAY, weekly_hours=weekly, window=(nine, nine - timedelta(hours=1))) == []


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        slots_on(
            MONDAY,
            weekly_hours=[],
            window=(datetime(2026, 3, 2), datetime(2026, 3, 3)),
        )


# -- daylight saving ----------------------------------------------------------------------------


def test_the_transition_days_are_real() -> None:
    def offsets(zone: ZoneInfo, day: date) -> set[timedelta | None]:
        start = datetime.combine(day, time(), zone).astimezone(UTC)
        return {(start + timedelta(minutes=15 * i)).astimezone(zone).utcoffset() for i in range(96)}

    for zone, days in (
        (NEW_YORK, (NY_SPRING, NY_FALL)),
        (LONDON, (LONDON_SPRING, LONDON_FALL)),
        (LORD_HOWE, (LH_FALL, LH_SPRING)),
    ):
        for day in days:
            assert day.isoweekday() == 7
            assert len(offsets(zone, day)) == 2, (zone, day)


def test_new_york_spring_forward_night_skips_the_missing_hour() -> None:
    slots = slots_on(
        NY_SPRING, zone=NEW_YORK, weekly_hours=[hours(VET_A, NY_SPRING, "00:00", "04:00")]
    )

    # 00:00-04:00 is three real hours: 02:00-03:00 does not exist.
    assert shown(slots) == [
        "00:00:00-05:00",
        "00:30:00-05:00",
        "01:00:00-05:00",
        "01:30:00-05:00",
        "03:00:00-04:00",
        "03:30:00-04:00",
    ]
    assert all(real_minutes(s) == 30 for s in slots)
    assert slots[3].ends_at.isoformat() == "2026-03-08T03:00:00-04:00"


def test_an_appointment_runs_across_the_spring_forward_in_real_minutes() -> None:
    slots = slots_on(
        NY_SPRING,
        zone=NEW_YORK,
        weekly_hours=[hours(VET_A, NY_SPRING, "00:00", "04:00")],
        svc=service(duration_minutes=60),
    )

    assert shown(slots) == [
        "00:00:00-05:00",
        "00:30:00-05:00",
        "01:00:00-05:00",
        "01:30:00-05:00",
        "03:00:00-04:00",
    ]
    assert slots[3].ends_at.isoformat() == "2026-03-08T03:30:00-04:00"
    assert real_minutes(slots[3]) == 60


def test_hours_starting_or_ending_in_the_gap_are_clipped_to_what_exists() -> None:
    starting = slots_on(
        NY_SPRING, zone=NEW_YORK, weekly_hours=[hours(VET_A, NY_SPRING, "02:30", "04:30")]
    )
    ending = slots_on(
        NY_SPRING,
        zone=NEW_YORK,
        weekly_hours=[hours(VET_A, NY_SPRING, "00:30", "02:30")],
        svc=service(duration_minutes=60),
    )

    # The grid still steps from 02:30 (which does not exist) on the wall clock.
    assert shown(starting) == ["03:00:00-04:00", "03:30:00-04:00", "04:00:00-04:00"]
    # 00:30-02:30 is 00:30-03:00 EDT: 90 real minutes.
    assert shown(ending) == ["00:30:00-05:00", "01:00:00-05:00"]


def test_new_york_fall_back_night_offers_the_repeated_hour_twice() -> None:
    slots = slots_on(NY_FALL, zone=NEW_YORK, weekly_hours=[hours(VET_A, NY_FALL, "00:00", "04:00")])

    # 00:00-04:00 is five real hours.
    assert shown(slots) == [
        "00:00:00-04:00",
        "00:30:00-04:00",
        "01:00:00-04:00",
        "01:30:00-04:00",
        "01:00:00-05:00",
        "01:30:00-05:00",
        "02:00:00-05:00",
        "02:30:00-05:00",
        "03:00:00-05:00",
        "03:30:00-05:00",
    ]
    starts = [s.starts_at.astimezone(UTC) for s in slots]
    assert all(b - a == timedelta(minutes=30) for a, b in pairwise(starts))
    # The slot before the repeat ends at the first instant of standard time.
    assert slots[3].ends_at.isoformat() == "2026-11-01T01:00:00-05:00"
    assert slots[4].starts_at.fold == 1
    assert all(real_minutes(s) == 30 for s in slots)


def test_hours_left_and_reentered_by_the_fall_back_are_two_pieces() -> None:
    weekly = [hours(VET_A, NY_FALL, "01:30", "03:00")]

    half_hours = slots_on(NY_FALL, zone=NEW_YORK, weekly_hours=weekly)
    hours_long = slots_on(
        NY_FALL, zone=NEW_YORK, weekly_hours=weekly, svc=service(duration_minutes=60)
    )

    # Wall times 01:30-03:00 are 01:30-02:00 EDT, then (after 01:00-01:30 EST, not in
    # the interval) 01:30-03:00 EST.
    assert shown(half_hours) == [
        "01:30:00-04:00",
        "01:30:00-05:00",
        "02:00:00-05:00",
        "02:30:00-05:00",
    ]
    # An hour from 01:30 EDT would run through 01:00-01:30 EST, outside the hours.
    assert shown(hours_long) == ["01:30:00-05:00", "02:00:00-05:00"]


def test_busy_time_in_the_repeated_hour_blocks_only_its_own_occurrence() -> None:
    weekly = [hours(VET_A, NY_FALL, "00:00", "04:00")]
    second_one = at(NEW_YORK, NY_FALL, "01:00", fold=1)
    taken = [busy(VET_A, second_one, second_one.astimezone(UTC) + timedelta(minutes=60))]

    slots = slots_on(NY_FALL, zone=NEW_YORK, weekly_hours=weekly, busy_intervals=taken)

    assert "01:00:00-04:00" in shown(slots) and "01:30:00-04:00" in shown(slots)
    assert "01:00:00-05:00" not in shown(slots) and "01:30:00-05:00" not in shown(slots)
    assert len(slots) == 8


def test_london_spring_forward_and_fall_back_nights() -> None:
    spring = slots_on(
        LONDON_SPRING, zone=LONDON, weekly_hours=[hours(VET_A, LONDON_SPRING, "00:00", "03:00")]
    )
    fall = slots_on(
        LONDON_FALL, zone=LONDON, weekly_hours=[hours(VET_A, LONDON_FALL, "00:00", "03:00")]
    )

    assert shown(spring) == ["00:00:00+00:00", "00:30:00+00:00", "02:00:00+01:00", "02:30:00+01:00"]
    assert shown(fall) == [
        "00:00:00+01:00",
        "00:30:00+01:00",
        "01:00:00+01:00",
        "01:30:00+01:00",
        "01:00:00+00:00",
        "01:30:00+00:00",
        "02:00:00+00:00",
        "02:30:00+00:00",
    ]


def test_lord_howe_half_hour_shifts() -> None:
    spring = slots_on(
        LH_SPRING, zone=LORD_HOWE, weekly_hours=[hours(VET_A, LH_SPRING, "01:00", "03:00")]
    )
    fall = slots_on(LH_FALL, zone=LORD_HOWE, weekly_hours=[hours(VET_A, LH_FALL, "01:00", "03:00")])

    # Spring: 02:00-02:30 does not exist, so 01:00-03:00 is 90 real minutes.
    assert shown(spring) == ["01:00:00+10:30", "01:30:00+10:30", "02:30:00+11:00"]
    # Fall: 01:30-02:00 happens twice, so 01:00-03:00 is 150 real minutes.
    assert shown(fall) == [
        "01:00:00+11:00",
        "01:30:00+11:00",
        "01:30:00+10:30",
        "02:00:00+10:30",
        "02:30:00+10:30",
    ]


def test_a_whole_day_exception_on_a_fall_back_day_covers_both_repeats() -> None:
    weekly = [hours(VET_A, NY_FALL, "00:00", "04:00"), hours(VET_B, NY_FALL, "00:00", "04:00")]

    slots = slots_on(
        NY_FALL, zone=NEW_YORK, weekly_hours=weekly, exceptions=[exception(VET_A, NY_FALL)]
    )

    assert {s.vet_id for s in slots} == {VET_B}
    assert len(slots) == 10


def test_a_partial_exception_in_the_repeated_hour_covers_both_occurrences() -> None:
    weekly = [hours(VET_A, NY_FALL, "00:00", "04:00")]

    slots = slots_on(
        NY_FALL,
        zone=NEW_YORK,
        weekly_hours=weekly,
        exceptions=[exception(VET_A, NY_FALL, starts="01:00", ends="02:00")],
    )

    assert shown(slots) == [
        "00:00:00-04:00",
        "00:30:00-04:00",
        "02:00:00-05:00",
        "02:30:00-05:00",
        "03:00:00-05:00",
        "03:30:00-05:00",
    ]


def test_the_local_day_ends_at_local_midnight() -> None:
    weekly = [hours(VET_A, NY_FALL, "23:00", "23:59")]
    monday_before = NY_FALL - timedelta(days=6)
    weekly += [hours(VET_A, monday_before, "00:00", "01:00")]

    slots = slots_on(
        NY_FALL,
        zone=NEW_YORK,
        weekly_hours=weekly,
        window=(at(NEW_YORK, NY_FALL, "00:00"), at(NEW_YORK, NY_FALL + timedelta(days=2), "00:00")),
    )

    assert [s.starts_at.isoformat() for s in slots] == [
        "2026-11-01T23:00:00-05:00",
        "2026-11-02T00:00:00-05:00",
        "2026-11-02T00:30:00-05:00",
    ]


# -- one requested start ------------------------------------------------------------------------


def is_free(start: datetime, *, vet: UUID = VET_A, **overrides: Any) -> bool:
    arguments: dict[str, Any] = {
        "zone": NEW_YORK,
        "policy": POLICY,
        "service": service(),
        "weekly_hours": [hours(VET_A, NY_FALL, "00:00", "04:00")],
        "exceptions": (),
        "busy": (),
        "now": datetime(2026, 1, 1, tzinfo=UTC),
    }
    return is_free_slot(**{**arguments, **overrides}, vet_id=vet, starts_at=start)


def test_is_free_slot_accepts_offered_starts_in_any_zone() -> None:
    assert is_free(at(NEW_YORK, NY_FALL, "00:30"))
    assert is_free(datetime(2026, 11, 1, 4, 30, tzinfo=UTC))  # the same instant
    assert is_free(at(NEW_YORK, NY_FALL, "01:30", fold=1))


def test_is_free_slot_refuses_off_grid_busy_other_vet_and_too_soon() -> None:
    start = at(NEW_YORK, NY_FALL, "00:30")

    assert not is_free(at(NEW_YORK, NY_FALL, "00:40"))
    assert not is_free(
        start, busy=[busy(VET_A, start, start.astimezone(UTC) + timedelta(minutes=5))]
    )
    assert not is_free(start, vet=VET_C)
    assert not is_free(start, vet=VET_B)  # performs the service, but no hours
    assert not is_free(
        start,
        now=start.astimezone(UTC) - timedelta(minutes=59),
        policy=replace(POLICY, min_notice_minutes=60),
    )
    assert is_free(
        start,
        now=start.astimezone(UTC) - timedelta(minutes=60),
        policy=replace(POLICY, min_notice_minutes=60),
    )
    assert not is_free(start, service=service(active=False))


def test_is_free_slot_tells_the_two_occurrences_of_a_repeated_hour_apart() -> None:
    first = at(NEW_YORK, NY_FALL, "01:30")
    taken = [busy(VET_A, first, first.astimezone(UTC) + timedelta(minutes=30))]

    assert not is_free(first, busy=taken)
    assert is_free(at(NEW_YORK, NY_FALL, "01:30", fold=1), busy=taken)


# -- blocked interval ---------------------------------------------------------------------------


def test_blocked_interval_adds_the_buffers_in_real_time_and_answers_utc() -> None:
    svc = service(duration_minutes=60, buffer_before_minutes=10, buffer_after_minutes=15)
    start = at(NEW_YORK, NY_FALL, "01:30")  # EDT; an hour later is 01:30 EST

    blocked_from, blocked_until = blocked_interval(svc, start)

    assert blocked_from == datetime(2026, 11, 1, 5, 20, tzinfo=UTC)
    assert blocked_until == datetime(2026, 11, 1, 6, 45, tzinfo=UTC)
    assert blocked_from.tzinfo is UTC and blocked_until.tzinfo is UTC


# -- size and properties ------------------------------------------------------------------------


def test_ten_vets_over_thirty_days() -> None:
    vets = [UUID(int=i + 1) for i in range(10)]
    weekly = [
        hours(vet, MONDAY + timedelta(days=d), span[0], span[1])
        for vet in vets
        for d in range(7)
        for span in (("08:00", "12:00"), ("13:00", "18:00"))
    ]
    first = at(NEW_YORK, MONDAY, "00:00")
    # Each vet is busy 10:00-11:00 every day (in New York, across the spring forward).
    taken = [
        busy(
            vet,
            at(NEW_YORK, MONDAY + timedelta(days=d), "10:00"),
            at(NEW_YORK, MONDAY + timedelta(days=d), "11:00"),
        )
        for vet in vets
        for d in range(30)
    ]

    slots = free_slots(
        zone=NEW_YORK,
        policy=replace(POLICY, slot_minutes=15),
        service=service(vet_ids=tuple(vets)),
        weekly_hours=weekly,
        exceptions=[exception(vets[0], MONDAY + timedelta(days=10))],
        busy=taken,
        now=first - timedelta(days=1),
        window_start=first,
        window_end=at(NEW_YORK, MONDAY + timedelta(days=30), "00:00"),
    )

    # A day: 08:00-12:00 gives 15 starts of 30 minutes, 13:00-18:00 gives 19; the busy hour
    # removes 09:45 … 10:45 (5; 09:30 ends as it starts). One vet has a day off.
    assert len(slots) == (10 * 30 - 1) * (15 + 19 - 5)
    instants = [(s.starts_at.astimezone(UTC), s.vet_id) for s in slots]
    assert instants == sorted(instants)


@st.composite
def schedules(draw: st.DrawFn) -> dict[str, Any]:
    zone = draw(st.sampled_from([TOKYO, NEW_YORK, LONDON, LORD_HOWE]))
    day = draw(st.sampled_from([MONDAY, NY_SPRING, NY_FALL, LONDON_FALL, LH_SPRING, LH_FALL]))
    minutes = st.integers(min_value=0, max_value=24 * 60 - 1)
    weekly = []
    for vet in (VET_A, VET_B):
        for _ in range(draw(st.integers(0, 3))):
            a, b = sorted(draw(st.lists(minutes, min_size=2, max_size=2, unique=True)))
            weekly.append(
                WorkingHours(
                    vet_id=vet,
                    weekday=day.isoweekday(),
                    starts=time(a // 60, a % 60),
                    ends=time(b // 60, b % 60),
                )
            )
    day_start = datetime.combine(day, time(), zone).astimezone(UTC)
    taken = []
    for _ in range(draw(st.integers(0, 6))):
        offset = draw(st.integers(-120, 26 * 60))
        length = draw(st.integers(1, 180))
        start = day_start + timedelta(minutes=offset)
        taken.append(
            busy(draw(st.sampled_from([VET_A, VET_B])), start, start + timedelta(minutes=length))
        )
    return {
        "zone": zone,
        "day": day,
        "weekly": weekly,
        "busy": taken,
        "service": service(
            duration_minutes=draw(st.sampled_from([5, 20, 30, 45, 90])),
            buffer_before_minutes=draw(st.sampled_from([0, 5, 15])),
            buffer_after_minutes=draw(st.sampled_from([0, 10])),
        ),
        "policy": replace(POLICY, slot_minutes=draw(st.sampled_from([5, 15, 30]))),
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules())
def test_slots_are_exactly_the_grid_starts_inside_hours_and_clear_of_busy_time(
    case: dict[str, Any],
) -> None:
    zone, day, svc, policy = case["zone"], case["day"], case["service"], case["policy"]
    slots = slots_on(
        day,
        zone=zone,
        weekly_hours=case["weekly"],
        busy_intervals=case["busy"],
        svc=svc,
        policy=policy,
    )

    for slot in slots:
        assert slot.starts_at.tzinfo == zone and slot.starts_at.date() == day
        assert real_minutes(slot) == svc.duration_minutes
    starts = [(s.starts_at.astimezone(UTC), s.vet_id) for s in slots]
    assert starts == sorted(set(starts))

    # A brute-force oracle: every minute around the local day tried as a start, each minute
    # of its blocked time checked against the hours (zones change offset on whole minutes).
    first = datetime.combine(day, time(), zone).astimezone(UTC) - timedelta(hours=6)
    local = [(first + timedelta(minutes=m)).astimezone(zone) for m in range(36 * 60)]
    before, after = svc.buffer_before_minutes, svc.duration_minutes + svc.buffer_after_minutes

    def inside(h: WorkingHours, start: int) -> bool:
        return all(
            moment.date() == day and h.starts <= moment.time() < h.ends
            for moment in local[start - before : start + after]
        )

    expected = set()
    for start in range(before, len(local) - after):
        if local[start].date() != day:
            continue
        wall = local[start].replace(tzinfo=None)
        for vet in (VET_A, VET_B):
            if not any(
                h.vet_id == vet and _on_grid(day, h, wall, policy.slot_minutes) and inside(h, start)
                for h in case["weekly"]
            ):
                continue
            instant = first + timedelta(minutes=start)
            blocked_from, blocked_until = blocked_interval(svc, instant)
            if not any(
                i.vet_id == vet
                and i.blocked_from < blocked_until
                and blocked_from < i.blocked_until
                for i in case["busy"]
            ):
                expected.add((instant, vet))
    assert set(starts) == expected


def _on_grid(day: date, h: WorkingHours, wall: datetime, step: int) -> bool:
    interval_start = datetime.combine(day, h.starts)
    return interval_start <= wall < datetime.combine(day, h.ends) and (
        wall - interval_start
    ) % timedelta(minutes=step) == timedelta(0)
