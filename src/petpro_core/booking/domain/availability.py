"""Which appointment starts a clinic can offer: a pure computation over the clinic's booking
policy, a service, the vets' weekly hours and exceptions, and what the vets already have.

The rules:

- Vets: those in `service.vet_ids`, intersected with `vet_ids` when given. An inactive
  service has no slots.
- Working hours are local wall-clock intervals per ISO weekday (1 = Monday … 7 = Sunday),
  several a day, read in the clinic's zone. An interval `starts`-`ends` on a local day covers
  every instant whose local wall time on that day lies in [starts, ends).
- Candidate starts are the interval's local start plus k x `policy.slot_minutes`, stepped on
  the wall clock, while before the interval's local end. A wall time maps to the instants
  that show it: none in a spring-forward gap (no slot starts there), two in a fall-back
  overlap (both are offered: two slots at the same wall time with different UTC offsets,
  as they are distinct instants), else one.
- A candidate is offered when its whole blocked interval (`blocked_interval`: the
  appointment plus the service's buffer before and after) lies inside one working interval
  of that vet on that day, as absolute time, without crossing into a neighbouring interval
  of the same vet, does not overlap a busy interval of that vet, and does not overlap an
  exception. All intervals are half-open, so touching is fine.
- Exceptions cover whole local days `first_day`..`last_day` (both included), or with
  `starts`/`ends` only those local hours on each of those days; `vet_id` None means the
  whole clinic (every vet).
- Daylight saving: an interval whose local start or end falls in a gap is clipped to what
  exists, and one spanning an overlap has its real length (00:00-04:00 on a fall-back night
  is five hours, on a spring-forward night three). An interval whose wall times are left
  and re-entered by a fall-back (e.g. 01:30-03:00 in New York on the fall-back night) is two
  pieces, and a blocked interval lies inside one of them. Durations and buffers are
  absolute: a 30-minute appointment is 30 real minutes.
- Minimum notice: a start is at least `now + policy.min_notice_minutes`. Horizon: a start
  is before `now + policy.horizon_days` x 24 hours (absolute time, not local days).
- Window: a start lies in [window_start, window_end).

Everything is computed in UTC; slots are expressed in the clinic's zone, so `isoformat()`
shows the local time and its UTC offset. Careful: Python compares and subtracts two
datetimes of the same zone by their wall times (ignoring `fold`), so convert a slot's times
to UTC before comparing or subtracting them (the two slots of a repeated hour compare equal
otherwise). The output is sorted by the real start instant, then by vet id.

Cost: the zone's offsets are found once for the whole range, each vet's busy intervals and
exceptions are merged into one sorted list searched with bisect, so a query costs about
(vets x days x candidates a day x log busy).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from petpro_core.booking.domain.clinic_cache import CachedService
from petpro_core.booking.ports import BusyInterval
from petpro_core.contracts.clinic import BookingPolicy, ScheduleException, WorkingHours

__all__ = [
    "Slot",
    "blocked_interval",
    "bookable_range",
    "free_slots",
    "is_free_slot",
    "slots_between",
]

_Span = tuple[datetime, datetime]  # a half-open interval of absolute time, aware UTC

# Real UTC offsets are within ±26 hours (Python's limit is < 24); the scan of a zone's
# offsets reaches this far around the local days asked about.
_MAX_OFFSET = timedelta(hours=26)
# The zone's offset is sampled at this step and each change located to the second; two
# changes less than this apart would be missed (no zone has ever had such).
_SCAN_STEP = timedelta(minutes=30)
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, kw_only=True)
class Slot:
    """An appointment start a vet can take. Both times are aware and in the clinic's zone;
    convert them to UTC before comparing or subtracting (see the module's note)."""

    vet_id: UUID
    starts_at: datetime
    ends_at: datetime  # starts_at + the service's duration (real minutes)


def blocked_interval(service: CachedService, starts_at: datetime) -> tuple[datetime, datetime]:
    """What an appointment of `service` starting at `starts_at` takes from its vet, in UTC:
    (start - buffer_before, start + duration + buffer_after), in real minutes."""
    start = _utc(starts_at, "starts_at")
    return (
        start - timedelta(minutes=service.buffer_before_minutes),
        start + timedelta(minutes=service.duration_minutes + service.buffer_after_minutes),
    )


def free_slots(
    *,
    zone: ZoneInfo,
    policy: BookingPolicy,
    service: CachedService,
    weekly_hours: Sequence[WorkingHours],
    exceptions: Sequence[ScheduleException],
    busy: Sequence[BusyInterval],
    now: datetime,
    window_start: datetime,
    window_end: datetime,
    vet_ids: Sequence[UUID] | None = None,
) -> list[Slot]:
    """The slots of `service` starting in [window_start, window_end) under the module's
    rules, sorted by start instant, then vet id. `busy` holds the vets' blocked intervals
    (other vets' entries are ignored); leave out a booking being moved."""
    lower, upper = bookable_range(policy, now, window_start, window_end)
    return slots_between(
        zone=zone,
        slot_minutes=policy.slot_minutes,
        service=service,
        weekly_hours=weekly_hours,
        exceptions=exceptions,
        busy=busy,
        lower=lower,
        upper=upper,
        vet_ids=vet_ids,
    )


def bookable_range(
    policy: BookingPolicy, now: datetime, window_start: datetime, window_end: datetime
) -> tuple[datetime, datetime]:
    """[lower, upper): the starts the window allows at `now`, after the minimum notice and
    the horizon. The only part of the rules that depends on the time of asking."""
    now = _utc(now, "now")
    lower = max(
        _utc(window_start, "window_start"), now + timedelta(minutes=policy.min_notice_minutes)
    )
    upper = min(_utc(window_end, "window_end"), now + timedelta(days=policy.horizon_days))
    return lower, upper


def slots_between(
    *,
    zone: ZoneInfo,
    slot_minutes: int,
    service: CachedService,
    weekly_hours: Sequence[WorkingHours],
    exceptions: Sequence[ScheduleException],
    busy: Sequence[BusyInterval],
    lower: datetime,
    upper: datetime,
    vet_ids: Sequence[UUID] | None = None,
) -> list[Slot]:
    """The slots starting in [lower, upper) under every rule but notice and horizon (which
    `bookable_range` turns into the bounds), sorted by start instant, then vet id. Every
    slot's start depends only on the inputs, so the answer for a narrower range is a
    contiguous part of this one (what lets a caller keep it and cut it per request)."""
    lower, upper = _utc(lower, "lower"), _utc(upper, "upper")
    if not service.active or lower >= upper:
        return []
    vets = set(service.vet_ids)
    if vet_ids is not None:
        vets &= set(vet_ids)
    if not vets:
        return []

    # Every slot starts on a local day between these two (a candidate's wall time is on the
    # day of its working interval).
    first_day = lower.astimezone(zone).date()
    last_day = (upper - timedelta(microseconds=1)).astimezone(zone).date()
    timeline = _Timeline(zone, first_day - timedelta(days=2), last_day + timedelta(days=2))

    hours_by_day: dict[tuple[UUID, int], list[WorkingHours]] = {}
    for hours in weekly_hours:
        if hours.vet_id in vets:
            hours_by_day.setdefault((hours.vet_id, hours.weekday), []).append(hours)

    unavailable = {
        vet: _Blocked(_vet_unavailable(vet, busy, exceptions, timeline, first_day, last_day))
        for vet in vets
    }
    before = timedelta(minutes=service.buffer_before_minutes)
    duration = timedelta(minutes=service.duration_minutes)
    after = timedelta(minutes=service.buffer_after_minutes)
    step = timedelta(minutes=slot_minutes)

    found: dict[tuple[datetime, UUID], Slot] = {}
    day = first_day
    while day <= last_day:
        for vet in vets:
            for hours in hours_by_day.get((vet, day.isoweekday()), ()):
                wall_start = datetime.combine(day, hours.starts)
                wall_end = datetime.combine(day, hours.ends)
                pieces = timeline.pieces(wall_start, wall_end)
                wall = wall_start
                while wall < wall_end:
                    for start in timeline.instants(wall):
                        if not lower <= start < upper or (start, vet) in found:
                            continue
                        blocked_from, blocked_until = start - before, start + duration + after
                        if _inside_one(pieces, blocked_from, blocked_until) and not unavailable[
                            vet
                        ].overlaps(blocked_from, blocked_until):
                            found[(start, vet)] = Slot(
                                vet_id=vet,
                                starts_at=start.astimezone(zone),
                                ends_at=(start + duration).astimezone(zone),
                            )
                    wall += step
        day += timedelta(days=1)
    return [found[key] for key in sorted(found)]


def is_free_slot(
    *,
    zone: ZoneInfo,
    policy: BookingPolicy,
    service: CachedService,
    weekly_hours: Sequence[WorkingHours],
    exceptions: Sequence[ScheduleException],
    busy: Sequence[BusyInterval],
    now: datetime,
    vet_id: UUID,
    starts_at: datetime,
) -> bool:
    """Whether `free_slots` offers `vet_id` at exactly the instant `starts_at` (any zone;
    compared as absolute time, so either occurrence of a repeated hour is told apart).
    For a reschedule, leave the booking being moved out of `busy`."""
    start = _utc(starts_at, "starts_at")
    slots = free_slots(
        zone=zone,
        policy=policy,
        service=service,
        weekly_hours=weekly_hours,
        exceptions=exceptions,
        busy=busy,
        now=now,
        window_start=start,
        window_end=start + timedelta(microseconds=1),
        vet_ids=(vet_id,),
    )
    return any(slot.vet_id == vet_id and _utc(slot.starts_at, "") == start for slot in slots)


# -- internals -------------------------------------------------------------------------------


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)


class _Timeline:
    """A zone's UTC offsets over a stretch of absolute time, as segments [start, end) of
    one offset each, so wall times convert to instants without zoneinfo's `fold` guesses:
    a wall time is shown by each instant `wall - offset` that falls in its offset's
    segment (none in a gap, two in an overlap)."""

    def __init__(self, zone: ZoneInfo, first_day: date, last_day: date) -> None:
        start = datetime.combine(first_day, time(), UTC) - _MAX_OFFSET
        end = datetime.combine(last_day + timedelta(days=1), time(), UTC) + _MAX_OFFSET
        self._start, self._end = start, end
        segment_starts = [start]
        offsets = [_offset(zone, start)]
        moment = start
        while moment < end:
            following = min(moment + _SCAN_STEP, end)
            if _offset(zone, following) != offsets[-1]:
                change = _first_change(zone, moment, following, offsets[-1])
                segment_starts.append(change)
                offsets.append(_offset(zone, change))
            moment = following
        self._starts = segment_starts
        self._segments = [
            (segment_start, segment_end, offset)
            for segment_start, segment_end, offset in zip(
                segment_starts, [*segment_starts[1:], end], offsets, strict=True
            )
        ]

    def _near(
        self, wall_start: datetime, wall_end: datetime
    ) -> Iterable[tuple[datetime, datetime, timedelta]]:
        """The segments, ascending, an instant showing a (naive) wall time in
        [wall_start, wall_end] could fall in."""
        low, high = wall_start.replace(tzinfo=UTC), wall_end.replace(tzinfo=UTC)
        if not self._start + _MAX_OFFSET <= low <= high <= self._end - _MAX_OFFSET:
            raise ValueError("wall time outside the timeline")  # a bug in this module
        index = max(bisect_right(self._starts, low - _MAX_OFFSET) - 1, 0)
        for segment in self._segments[index:]:
            if segment[0] > high + _MAX_OFFSET:
                break
            yield segment

    def instants(self, wall: datetime) -> list[datetime]:
        """The instants (aware UTC, ascending) whose local wall time is `wall` (naive)."""
        shown = []
        for segment_start, segment_end, offset in self._near(wall, wall):
            instant = wall.replace(tzinfo=UTC) - offset
            if segment_start <= instant < segment_end:
                shown.append(instant)
        return shown

    def pieces(self, wall_start: datetime, wall_end: datetime) -> list[_Span]:
        """The instants whose local wall time lies in [wall_start, wall_end) (naive), as
        disjoint ascending spans: one, or more where a fall-back leaves and re-enters it."""
        spans: list[_Span] = []
        for segment_start, segment_end, offset in self._near(wall_start, wall_end):
            span_start = max(segment_start, wall_start.replace(tzinfo=UTC) - offset)
            span_end = min(segment_end, wall_end.replace(tzinfo=UTC) - offset)
            if span_start >= span_end:
                continue
            if spans and spans[-1][1] == span_start:  # continuous across a change
                spans[-1] = (spans[-1][0], span_end)
            else:
                spans.append((span_start, span_end))
        return spans


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return offset


def _first_change(zone: ZoneInfo, low: datetime, high: datetime, old: timedelta) -> datetime:
    """The first whole second in (low, high] whose offset differs from `old` (low has it)."""
    low_seconds, high_seconds = 0, int((high - low) // _SECOND)
    while high_seconds - low_seconds > 1:
        middle = (low_seconds + high_seconds) // 2
        if _offset(zone, low + middle * _SECOND) == old:
            low_seconds = middle
        else:
            high_seconds = middle
    return low + high_seconds * _SECOND


def _inside_one(pieces: Sequence[_Span], start: datetime, end: datetime) -> bool:
    return any(piece_start <= start and end <= piece_end for piece_start, piece_end in pieces)


def _vet_unavailable(
    vet: UUID,
    busy: Sequence[BusyInterval],
    exceptions: Sequence[ScheduleException],
    timeline: _Timeline,
    first_day: date,
    last_day: date,
) -> list[_Span]:
    """A vet's busy intervals and exceptions near [first_day, last_day], in UTC."""
    spans = [
        (_utc(interval.blocked_from, "blocked_from"), _utc(interval.blocked_until, "blocked_until"))
        for interval in busy
        if interval.vet_id == vet
    ]
    # Blocked intervals lie within a working day, so exceptions a day beyond are enough.
    near_first, near_last = first_day - timedelta(days=1), last_day + timedelta(days=1)
    for exception in exceptions:
        if exception.vet_id not in (None, vet):
            continue
        since, until = max(exception.first_day, near_first), min(exception.last_day, near_last)
        if since > until:
            continue
        if exception.starts is None or exception.ends is None:
            spans += timeline.pieces(
                datetime.combine(since, time()),
                datetime.combine(until + timedelta(days=1), time()),
            )
            continue
        day = since
        while day <= until:
            spans += timeline.pieces(
                datetime.combine(day, exception.starts), datetime.combine(day, exception.ends)
            )
            day += timedelta(days=1)
    return spans


class _Blocked:
    """Intervals merged into disjoint sorted spans, for overlap tests by bisect."""

    def __init__(self, spans: Iterable[_Span]) -> None:
        merged: list[_Span] = []
        for start, end in sorted(span for span in spans if span[0] < span[1]):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        self._starts = [start for start, _ in merged]
        self._spans = merged

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end) shares an instant with a span (touching does not)."""
        index = bisect_right(self._starts, start) - 1  # the last span starting at or before
        if index >= 0 and self._spans[index][1] > start:
            return True
        following = index + 1  # the first span starting after `start`
        return following < len(self._spans) and self._spans[following][0] < end
