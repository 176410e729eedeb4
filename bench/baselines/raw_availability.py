"""The baseline of `bench/availability_http.py`: `GET /clinics/{id}/availability` by hand, on
raw asyncpg, as a bare ASGI callable under uvicorn (`bench.baselines.raw_availability:app`).

It does the work the product's endpoint does, and no more:

1. the bearer token: the same PyJWT/Ed25519 checks, then auth's `Authenticate` statement
   (the user, if the session's refresh-token family is still active);
2. booking's caches: the clinic, the service, the schedule;
3. the vets' busy intervals with the same one-day margin (`SqlBookingRepository.busy`);
4. the same pure computation, `petpro_core.booking.domain.availability.free_slots`, on the
   same domain values built from those rows;
5. the same JSON document (`clinic_id`, `service_id`, `slots` of `vet_id`,
   `starts_at`, `ends_at`), encoded with the standard library.

Every read runs outside a transaction, as the product's plain reads before a write do. What
it leaves out is the product's memo (an answer kept per cache versions and busy fingerprint):
it computes every answer.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from bench.baselines._asgi import (
    HttpError,
    RawApp,
    Request,
    Verifier,
    json_response,
    ready,
)
from petpro_core.booking.domain.availability import free_slots
from petpro_core.booking.domain.clinic_cache import CachedService
from petpro_core.booking.ports import BusyInterval
from petpro_core.contracts.clinic import BookingPolicy, ScheduleException, WorkingHours
from petpro_core.shared.money import Money

BUSY_MARGIN = timedelta(days=1)
MAX_WINDOW = timedelta(days=31)

# 1. Authenticate (auth's unit of work)
USER_IN_ACTIVE_SESSION = """SELECT auth.users.id, auth.users.email, auth.users.display_name,
 auth.users.password_hash, auth.users.roles, auth.users.language, auth.users.created_at,
 auth.users.updated_at, auth.users.version FROM auth.users
 WHERE auth.users.id = $1::UUID AND (EXISTS (SELECT * FROM auth.refresh_tokens
 WHERE auth.refresh_tokens.family_id = $2::UUID AND auth.refresh_tokens.user_id = auth.users.id
 AND auth.refresh_tokens.used_at IS NULL AND auth.refresh_tokens.revoked_at IS NULL))"""
# 2. booking's caches
CLINIC = """SELECT booking.clinic_cache.clinic_id, booking.clinic_cache.name,
 booking.clinic_cache.time_zone, booking.clinic_cache.policy, booking.clinic_cache.staff,
 booking.clinic_cache.version FROM booking.clinic_cache
 WHERE booking.clinic_cache.clinic_id = $1::UUID"""
SERVICE = """SELECT booking.service_cache.service_id, booking.service_cache.clinic_id,
 booking.service_cache.name, booking.service_cache.duration_minutes,
 booking.service_cache.buffer_before_minutes, booking.service_cache.buffer_after_minutes,
 booking.service_cache.price_amount, booking.service_cache.price_currency,
 booking.service_cache.species, booking.service_cache.vet_ids, booking.service_cache.active,
 booking.service_cache.version FROM booking.service_cache
 WHERE booking.service_cache.service_id = $1::UUID"""
SCHEDULE = """SELECT booking.schedule_cache.clinic_id, booking.schedule_cache.weekly_hours,
 booking.schedule_cache.exceptions, booking.schedule_cache.version
 FROM booking.schedule_cache WHERE booking.schedule_cache.clinic_id = $1::UUID"""
# 3. busy intervals
BUSY = """SELECT booking.bookings.vet_id, booking.bookings.blocked_from,
 booking.bookings.blocked_until FROM booking.bookings
 WHERE booking.bookings.vet_id = ANY($1::UUID[]) AND status IN ('held', 'confirmed')
 AND booking.bookings.blocked_from < $2::TIMESTAMP WITH TIME ZONE
 AND booking.bookings.blocked_until > $3::TIMESTAMP WITH TIME ZONE
 ORDER BY booking.bookings.blocked_from, booking.bookings.vet_id"""

_verifier: Verifier | None = None


def verifier() -> Verifier:
    global _verifier
    if _verifier is None:
        _verifier = Verifier(os.environ["BENCH_JWT_KEY_FILE"])
    return _verifier


async def authenticate(pool: asyncpg.Pool, request: Request) -> UUID:
    claims = verifier().verify(request.headers)
    async with pool.acquire() as connection:
        user = await connection.fetchrow(USER_IN_ACTIVE_SESSION, claims.user_id, claims.session_id)
    if user is None:
        raise HttpError(401, "the session of this token has ended")
    return claims.user_id


def _aware(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise HttpError(400, f"{name} is not an ISO date-time") from None
    if moment.tzinfo is None:
        raise HttpError(400, f"{name} must include a time zone offset")
    return moment


def _service(row: Any) -> CachedService:
    return CachedService(
        service_id=row["service_id"],
        clinic_id=row["clinic_id"],
        name=row["name"],
        duration_minutes=row["duration_minutes"],
        buffer_before_minutes=row["buffer_before_minutes"],
        buffer_after_minutes=row["buffer_after_minutes"],
        price=Money(row["price_amount"], row["price_currency"]),
        species=tuple(json.loads(row["species"])),
        vet_ids=tuple(UUID(vet_id) for vet_id in json.loads(row["vet_ids"])),
        active=row["active"],
        version=row["version"],
    )


def _optional_time(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def _schedule(row: Any) -> tuple[list[WorkingHours], list[ScheduleException]]:
    hours = [
        WorkingHours(
            vet_id=UUID(item["vet_id"]),
            weekday=item["weekday"],
            starts=time.fromisoformat(item["starts"]),
            ends=time.fromisoformat(item["ends"]),
        )
        for item in json.loads(row["weekly_hours"])
    ]
    exceptions = [
        ScheduleException(
            exception_id=UUID(item["exception_id"]),
            vet_id=None if item["vet_id"] is None else UUID(item["vet_id"]),
            kind=item["kind"],
            first_day=date.fromisoformat(item["first_day"]),
            last_day=date.fromisoformat(item["last_day"]),
            starts=_optional_time(item["starts"]),
            ends=_optional_time(item["ends"]),
            reason=item["reason"],
        )
        for item in json.loads(row["exceptions"])
    ]
    return hours, exceptions


async def availability(
    request: Request, pool: asyncpg.Pool
) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    await authenticate(pool, request)
    parts = request.path.strip("/").split("/")  # clinics/{id}/availability
    if len(parts) != 3 or parts[2] != "availability":
        raise HttpError(404, "not found")
    query = parse_qs(request.query.decode("latin-1"))
    try:
        clinic_id = UUID(parts[1])
        service_id = UUID(query["service_id"][0])
        vet_filter = UUID(query["vet_id"][0]) if "vet_id" in query else None
    except (KeyError, ValueError):
        raise HttpError(400, "clinic_id and service_id are UUIDs") from None
    window_start = _aware(query.get("from", [""])[0], "from")
    window_end = _aware(query.get("to", [""])[0], "to")
    if window_end <= window_start or window_end - window_start > MAX_WINDOW:
        raise HttpError(400, "the window ends after it starts, at most 31 days later")

    async with pool.acquire() as connection:
        clinic = await connection.fetchrow(CLINIC, clinic_id)
        service_row = await connection.fetchrow(SERVICE, service_id)
        schedule = await connection.fetchrow(SCHEDULE, clinic_id)
    if clinic is None:
        raise HttpError(404, "no such clinic")
    if service_row is None or service_row["clinic_id"] != clinic_id:
        raise HttpError(404, "no such service")
    zone_name = clinic["time_zone"]
    slots = []
    if schedule is not None:
        service = _service(service_row)
        vets = [vet_filter] if vet_filter is not None else sorted(service.vet_ids)
        async with pool.acquire() as connection:
            rows = await connection.fetch(
                BUSY, vets, window_end + BUSY_MARGIN, window_start - BUSY_MARGIN
            )
        busy = [
            BusyInterval(
                vet_id=row["vet_id"],
                blocked_from=row["blocked_from"],
                blocked_until=row["blocked_until"],
            )
            for row in rows
        ]
        hours, exceptions = _schedule(schedule)
        slots = free_slots(
            zone=ZoneInfo(zone_name),
            policy=BookingPolicy(**json.loads(clinic["policy"])),
            service=service,
            weekly_hours=hours,
            exceptions=exceptions,
            busy=busy,
            now=datetime.now(UTC),
            window_start=window_start,
            window_end=window_end,
            vet_ids=None if vet_filter is None else (vet_filter,),
        )
    return json_response(
        200,
        {
            "clinic_id": str(clinic_id),
            "service_id": str(service_id),
            "slots": [
                {
                    "vet_id": str(slot.vet_id),
                    "starts_at": slot.starts_at.isoformat(),
                    "ends_at": slot.ends_at.isoformat(),
                }
                for slot in slots
            ],
        },
    )


app = RawApp({("GET", "/health/ready"): ready, ("GET", "/clinics/"): availability})
