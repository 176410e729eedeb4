"""The baseline of `bench/booking_http.py`: `POST /bookings` by hand, on raw asyncpg, as a bare
ASGI callable under uvicorn (`bench.baselines.raw_booking:app`).

It runs the statements the product's endpoint runs on the success path, in the same
transactions and the same order (captured from `petpro serve` with PostgreSQL's
`log_statement = all`; see the README's benchmark section), with the same values:

  T0  token/session   the user, if the session's refresh-token family is active (one
                      statement, no transaction: a plain read); after the same
                      PyJWT/Ed25519 checks of the bearer token
  T1  idempotency     BEGIN; claim the key (INSERT … ON CONFLICT DO UPDATE … WHERE
                      expired or abandoned … RETURNING); COMMIT
  T2  reads           booking by id (the id derived from the key); booking's copy of the
                      pet; the clinic's, service's and schedule's cache versions (one
                      statement; a row is read and parsed again only when its version
                      moved); no transaction (plain reads)
  T3  hold            booking by id; the vet's busy intervals (± one day); [is_free_slot];
                      BEGIN; INSERT booking (held); INSERT saga (charging); INSERT outbox
                      booking.created; COMMIT (the reads before the first write need no
                      transaction under READ COMMITTED, as in the product)
  T4  saga lease      BEGIN; UPDATE saga (version check, lease: a charge may be sent); COMMIT
                      [charge: the same in-process FakePaymentGateway, token tok_visa]
  T5  saga outcome    BEGIN; UPDATE saga (finished, payment); UPDATE booking (confirmed);
                      INSERT outbox payment.processed; INSERT outbox booking.confirmed; COMMIT
  T6  idempotency     BEGIN; UPDATE the key to completed with the response; COMMIT

and answers the same 201 document (`Location: /bookings/<id>`). It also does the pure work
the product does on that path: the request fingerprint (SHA-256 over the canonical JSON),
the key-derived booking id (UUIDv5), `is_free_slot` on the cached schedule, the events'
payloads and CloudEvent envelopes with a traceparent and correlation id. What it leaves
out: SQLAlchemy's connection ping before each checkout (`pool_pre_ping`, an empty query per
transaction above) and psycopg's `DEALLOCATE ALL` after a rollback (a driver artefact).
It takes one pooled connection for the whole request, as a hand-written endpoint would;
the product checks one out of its pool for each transaction.
A request that is not the success path (a taken slot, a replayed key, a foreign pet) is
answered 409/404 without the product's further handling: the benchmark never sends one.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

import asyncpg

from adapters.payments.fake_gateway import FakePaymentGateway
from bench.baselines._asgi import (
    HttpError,
    RawApp,
    Request,
    Verifier,
    json_response,
    ready,
)
from petpro_core.booking.domain.availability import blocked_interval, is_free_slot
from petpro_core.booking.domain.clinic_cache import CachedService
from petpro_core.booking.ports import BusyInterval
from petpro_core.contracts.clinic import BookingPolicy, ScheduleException, WorkingHours
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money

BUSY_MARGIN = timedelta(days=1)
LEASE = timedelta(seconds=30)
HOLD = timedelta(minutes=15)
LOCK_FOR = timedelta(seconds=30)
KEEP_FOR = timedelta(hours=24)
DERIVED_ID_NAMESPACE = uuid5(NAMESPACE_URL, "https://petpro.dev/idempotency")
SCHEMA_BASE = "https://petpro.dev/schemas/events/"

# T0
USER_IN_ACTIVE_SESSION = """SELECT auth.users.id, auth.users.email, auth.users.display_name,
 auth.users.password_hash, auth.users.roles, auth.users.language, auth.users.created_at,
 auth.users.updated_at, auth.users.version FROM auth.users
 WHERE auth.users.id = $1::UUID AND (EXISTS (SELECT * FROM auth.refresh_tokens
 WHERE auth.refresh_tokens.family_id = $2::UUID AND auth.refresh_tokens.user_id = auth.users.id
 AND auth.refresh_tokens.used_at IS NULL AND auth.refresh_tokens.revoked_at IS NULL))"""
# T1
CLAIM = """INSERT INTO booking.idempotency_keys (scope, key, fingerprint, state, status_code,
 response_headers, response_body, created_at, locked_until, expires_at)
 VALUES ($1::VARCHAR, $2::VARCHAR, $3::VARCHAR, $4::VARCHAR, $5::INTEGER, $6::VARCHAR, $7,
 $8::TIMESTAMP WITH TIME ZONE, $9::TIMESTAMP WITH TIME ZONE, $10::TIMESTAMP WITH TIME ZONE)
 ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint,
 state = excluded.state, status_code = excluded.status_code,
 response_headers = excluded.response_headers, response_body = excluded.response_body,
 created_at = excluded.created_at, locked_until = excluded.locked_until,
 expires_at = excluded.expires_at
 WHERE booking.idempotency_keys.expires_at <= excluded.created_at
 OR booking.idempotency_keys.state = $11::VARCHAR
 AND booking.idempotency_keys.locked_until <= excluded.created_at
 AND booking.idempotency_keys.fingerprint = excluded.fingerprint
 RETURNING booking.idempotency_keys.scope"""
# T2, T3
BOOKING = """SELECT booking.bookings.booking_id, booking.bookings.owner_id,
 booking.bookings.pet_id, booking.bookings.clinic_id, booking.bookings.service_id,
 booking.bookings.vet_id, booking.bookings.starts_at, booking.bookings.ends_at,
 booking.bookings.blocked_from, booking.bookings.blocked_until, booking.bookings.price_amount,
 booking.bookings.price_currency, booking.bookings.products, booking.bookings.status,
 booking.bookings.created_at, booking.bookings.updated_at, booking.bookings.version,
 booking.bookings.failure_reason, booking.bookings.cancelled_by,
 booking.bookings.cancelled_by_user_id, booking.bookings.cancellation_reason,
 booking.bookings.refund_amount, booking.bookings.refund_currency
 FROM booking.bookings WHERE booking.bookings.booking_id = $1::UUID"""
# T2
PET = """SELECT booking.pet_cache.pet_id, booking.pet_cache.owner_id, booking.pet_cache.name,
 booking.pet_cache.species, booking.pet_cache.breed, booking.pet_cache.version,
 booking.pet_cache.deleted, booking.pet_cache.updated_at
 FROM booking.pet_cache WHERE booking.pet_cache.pet_id = $1::UUID"""
# T2
VERSIONS = """SELECT (SELECT booking.clinic_cache.version FROM booking.clinic_cache
 WHERE booking.clinic_cache.clinic_id = $1::UUID) AS clinic,
 (SELECT booking.service_cache.version FROM booking.service_cache
 WHERE booking.service_cache.service_id = $2::UUID) AS service,
 (SELECT booking.schedule_cache.version FROM booking.schedule_cache
 WHERE booking.schedule_cache.clinic_id = $1::UUID) AS schedule"""
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
# T3
BUSY = """SELECT booking.bookings.vet_id, booking.bookings.blocked_from,
 booking.bookings.blocked_until FROM booking.bookings
 WHERE booking.bookings.vet_id = ANY ($1::UUID[]) AND status IN ('held', 'confirmed')
 AND booking.bookings.blocked_from < $2::TIMESTAMP WITH TIME ZONE
 AND booking.bookings.blocked_until > $3::TIMESTAMP WITH TIME ZONE
 ORDER BY booking.bookings.blocked_from, booking.bookings.vet_id"""
INSERT_BOOKING = """INSERT INTO booking.bookings (booking_id, owner_id, pet_id, clinic_id,
 service_id, vet_id, starts_at, ends_at, blocked_from, blocked_until, price_amount,
 price_currency, products, status, created_at, updated_at, version, failure_reason,
 cancelled_by, cancelled_by_user_id, cancellation_reason, refund_amount, refund_currency)
 VALUES ($1::UUID, $2::UUID, $3::UUID, $4::UUID, $5::UUID, $6::UUID,
 $7::TIMESTAMP WITH TIME ZONE, $8::TIMESTAMP WITH TIME ZONE, $9::TIMESTAMP WITH TIME ZONE,
 $10::TIMESTAMP WITH TIME ZONE, $11, $12::VARCHAR, $13::JSONB, $14::VARCHAR,
 $15::TIMESTAMP WITH TIME ZONE, $16::TIMESTAMP WITH TIME ZONE, $17::INTEGER, $18::VARCHAR,
 $19::VARCHAR, $20::UUID, $21::VARCHAR, $22, $23::VARCHAR)"""
INSERT_SAGA = """INSERT INTO booking.booking_sagas (booking_id, phase, payment_token, amount,
 currency, payment_id, gateway_reference, payment_method, reservation_id, refund_due_amount,
 refund_due_currency, release_due, refunded_amount, refunded_currency, failure_reason,
 attempts, next_attempt_at, expires_at, version, updated_at)
 VALUES ($1::UUID, $2::VARCHAR, $3::VARCHAR, $4, $5::VARCHAR, $6::UUID, $7::VARCHAR,
 $8::VARCHAR, $9::UUID, $10, $11::VARCHAR, $12, $13, $14::VARCHAR, $15::VARCHAR,
 $16::INTEGER, $17::TIMESTAMP WITH TIME ZONE, $18::TIMESTAMP WITH TIME ZONE, $19::INTEGER,
 $20::TIMESTAMP WITH TIME ZONE)"""
INSERT_OUTBOX = """INSERT INTO booking.outbox (id, event_type, event_name, event_version,
 aggregate_type, aggregate_id, aggregate_version, occurred_at, payload, headers, envelope,
 created_at) VALUES ($1::UUID, $2::VARCHAR, $3::VARCHAR, $4::INTEGER, $5::VARCHAR, $6::UUID,
 $7::INTEGER, $8::TIMESTAMP WITH TIME ZONE, $9::JSONB, $10::JSONB, $11::VARCHAR,
 $12::TIMESTAMP WITH TIME ZONE)"""
# T4, T5
UPDATE_SAGA = """UPDATE booking.booking_sagas SET phase=$1::VARCHAR, payment_token=$2::VARCHAR,
 amount=$3, currency=$4::VARCHAR, payment_id=$5::UUID, gateway_reference=$6::VARCHAR,
 payment_method=$7::VARCHAR, reservation_id=$8::UUID, refund_due_amount=$9,
 refund_due_currency=$10::VARCHAR, release_due=$11, refunded_amount=$12,
 refunded_currency=$13::VARCHAR, failure_reason=$14::VARCHAR, attempts=$15::INTEGER,
 next_attempt_at=$16::TIMESTAMP WITH TIME ZONE, expires_at=$17::TIMESTAMP WITH TIME ZONE,
 version=$18::INTEGER, updated_at=$19::TIMESTAMP WITH TIME ZONE
 WHERE booking.booking_sagas.booking_id = $20::UUID
 AND booking.booking_sagas.version = $21::INTEGER"""
UPDATE_BOOKING = """UPDATE booking.bookings SET owner_id=$1::UUID, pet_id=$2::UUID,
 clinic_id=$3::UUID, service_id=$4::UUID, vet_id=$5::UUID,
 starts_at=$6::TIMESTAMP WITH TIME ZONE, ends_at=$7::TIMESTAMP WITH TIME ZONE,
 blocked_from=$8::TIMESTAMP WITH TIME ZONE, blocked_until=$9::TIMESTAMP WITH TIME ZONE,
 price_amount=$10, price_currency=$11::VARCHAR, products=$12::JSONB, status=$13::VARCHAR,
 created_at=$14::TIMESTAMP WITH TIME ZONE, updated_at=$15::TIMESTAMP WITH TIME ZONE,
 version=$16::INTEGER, failure_reason=$17::VARCHAR, cancelled_by=$18::VARCHAR,
 cancelled_by_user_id=$19::UUID, cancellation_reason=$20::VARCHAR, refund_amount=$21,
 refund_currency=$22::VARCHAR
 WHERE booking.bookings.booking_id = $23::UUID AND booking.bookings.version = $24::INTEGER"""
# T6
COMPLETE = """UPDATE booking.idempotency_keys SET state=$1::VARCHAR, status_code=$2::INTEGER,
 response_headers=$3::VARCHAR, response_body=$4, expires_at=$5::TIMESTAMP WITH TIME ZONE
 WHERE booking.idempotency_keys.scope = $6::VARCHAR AND booking.idempotency_keys.key = $7::VARCHAR
 AND booking.idempotency_keys.state = $8::VARCHAR"""

_verifier: Verifier | None = None
_gateway = FakePaymentGateway()


def verifier() -> Verifier:
    global _verifier
    if _verifier is None:
        _verifier = Verifier(os.environ["BENCH_JWT_KEY_FILE"])
    return _verifier


# -- pure helpers ----------------------------------------------------------------------------


def fingerprint(method: str, path: str, body: bytes) -> str:
    document = json.loads(body)
    canonical = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), b"[]", b"json", canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def traceparent() -> str:
    return f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"


def outbox_row(
    *,
    name: str,
    aggregate_type: str,
    aggregate_id: UUID,
    aggregate_version: int,
    occurred_at: datetime,
    data: dict[str, Any],
    headers: dict[str, str],
    now: datetime,
) -> tuple[Any, ...]:
    """The values of one outbox INSERT: payload, headers and the stored CloudEvent."""
    event_id = new_id()
    event_type = f"petpro.{name}.v1"
    payload = {
        "occurred_at": rfc3339(occurred_at),
        "aggregate_version": aggregate_version,
        "event_id": str(event_id),
        **data,
    }
    payload_json = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    attributes = {
        "specversion": "1.0",
        "id": str(event_id),
        "source": "/petpro/booking",
        "type": event_type,
        "time": rfc3339(occurred_at),
        "subject": str(aggregate_id),
        "dataschema": f"{SCHEMA_BASE}{event_type}.json",
        "datacontenttype": "application/json",
        "aggregatetype": aggregate_type,
        "aggregateid": str(aggregate_id),
        "aggregateversion": aggregate_version,
        "traceparent": headers["traceparent"],
        "correlationid": headers["correlation_id"],
    }
    head = json.dumps(attributes, separators=(",", ":"), ensure_ascii=False)
    return (
        event_id,
        event_type,
        name,
        1,
        aggregate_type,
        aggregate_id,
        aggregate_version,
        occurred_at,
        payload_json,
        json.dumps(headers),
        f'{head[:-1]},"data":{payload_json}}}',
        now,
    )


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
            starts=None if item["starts"] is None else time.fromisoformat(item["starts"]),
            ends=None if item["ends"] is None else time.fromisoformat(item["ends"]),
            reason=item["reason"],
        )
        for item in json.loads(row["exceptions"])
    ]
    return hours, exceptions


def _saga_values(saga: dict[str, Any]) -> tuple[Any, ...]:
    return (
        saga["phase"],
        saga["payment_token"],
        saga["amount"],
        saga["currency"],
        saga["payment_id"],
        saga["gateway_reference"],
        saga["payment_method"],
        saga["reservation_id"],
        saga["refund_due_amount"],
        saga["refund_due_currency"],
        saga["release_due"],
        saga["refunded_amount"],
        saga["refunded_currency"],
        saga["failure_reason"],
        saga["attempts"],
        saga["next_attempt_at"],
        saga["expires_at"],
        saga["version"],
        saga["updated_at"],
    )


# Rows of the offer parsed by version, as the product keeps them (`clinic_cache.py`).
_kept_rows: dict[tuple[str, UUID], Any] = {}


async def _kept(connection: Any, statement: str, kind: str, key: UUID, version: int | None) -> Any:
    if version is None:
        return None
    found = _kept_rows.get((kind, key))
    if found is None or found["version"] != version:
        found = await connection.fetchrow(statement, key)
        _kept_rows[(kind, key)] = found
    return found


# -- the endpoint ----------------------------------------------------------------------------


async def create_booking(
    request: Request, pool: asyncpg.Pool
) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    claims = verifier().verify(request.headers)
    try:
        body = json.loads(request.body)
        pet_id = UUID(body["pet_id"])
        clinic_id = UUID(body["clinic_id"])
        service_id = UUID(body["service_id"])
        vet_id = UUID(body["vet_id"])
        starts_at = datetime.fromisoformat(body["start"])
        token = str(body["payment_method_token"])
    except (ValueError, KeyError, TypeError):
        raise HttpError(422, "invalid booking") from None
    if starts_at.tzinfo is None or body.get("products"):
        raise HttpError(422, "invalid booking")
    key = request.headers.get(b"idempotency-key", b"").decode("latin-1")
    if not key:
        raise HttpError(400, "Idempotency-Key is required")
    context = {"traceparent": traceparent(), "correlation_id": str(new_id())}

    async with pool.acquire() as connection:
        # T0: the token's user, in an active session
        user = await connection.fetchrow(USER_IN_ACTIVE_SESSION, claims.user_id, claims.session_id)
        if user is None:
            raise HttpError(401, "the session of this token has ended")
        if "pet_owner" not in json.loads(user["roles"]):
            raise HttpError(403, "only pet owners book appointments")

        # T1: claim the Idempotency-Key
        scope = f"user:{claims.user_id}:POST /bookings"
        now = datetime.now(UTC)
        async with connection.transaction():
            claimed = await connection.fetchval(
                CLAIM,
                scope,
                key,
                fingerprint(request.method, request.path, request.body),
                "in_flight",
                None,
                None,
                None,
                now,
                now + LOCK_FOR,
                now + KEEP_FOR,
                "in_flight",
            )
        if claimed is None:
            raise HttpError(409, "idempotency key in flight or used")
        booking_id = uuid5(DERIVED_ID_NAMESPACE, f"{scope}\n{key}")

        # T2: a booking with this id already? the pet, and the offer's versions
        existing = await connection.fetchrow(BOOKING, booking_id)
        pet = await connection.fetchrow(PET, pet_id)
        versions = await connection.fetchrow(VERSIONS, clinic_id, service_id)
        clinic = await _kept(connection, CLINIC, "clinic", clinic_id, versions["clinic"])
        service_row = await _kept(connection, SERVICE, "service", service_id, versions["service"])
        schedule = await _kept(connection, SCHEDULE, "schedule", clinic_id, versions["schedule"])
        if existing is not None:
            raise HttpError(409, "replays are not part of the baseline")
        if pet is None or pet["owner_id"] != claims.user_id or pet["deleted"]:
            raise HttpError(404, "no such pet")
        if clinic is None or service_row is None or service_row["clinic_id"] != clinic_id:
            raise HttpError(404, "no such clinic or service")
        service = _service(service_row)
        if not service.active or vet_id not in service.vet_ids:
            raise HttpError(422, "the service or vet is not bookable")
        if service.species and pet["species"].casefold() not in {
            s.casefold() for s in service.species
        }:
            raise HttpError(422, "the service does not treat this species")
        starts_utc = starts_at.astimezone(UTC)
        ends_utc = starts_utc + timedelta(minutes=service.duration_minutes)
        blocked_from, blocked_until = blocked_interval(service, starts_utc)
        price = service.price

        # T3: hold the slot
        try:
            await connection.fetchrow(BOOKING, booking_id)
            busy_rows = await connection.fetch(
                BUSY, [vet_id], blocked_until + BUSY_MARGIN, blocked_from - BUSY_MARGIN
            )
            now = datetime.now(UTC)
            hours, exceptions = _schedule(schedule)
            if not is_free_slot(
                zone=ZoneInfo(clinic["time_zone"]),
                policy=BookingPolicy(**json.loads(clinic["policy"])),
                service=service,
                weekly_hours=hours,
                exceptions=exceptions,
                busy=[
                    BusyInterval(
                        vet_id=row["vet_id"],
                        blocked_from=row["blocked_from"],
                        blocked_until=row["blocked_until"],
                    )
                    for row in busy_rows
                ],
                now=now,
                vet_id=vet_id,
                starts_at=starts_utc,
            ):
                raise HttpError(409, "the slot is not free")
            async with connection.transaction():
                await connection.execute(
                    INSERT_BOOKING,
                    booking_id,
                    claims.user_id,
                    pet_id,
                    clinic_id,
                    service_id,
                    vet_id,
                    starts_utc,
                    ends_utc,
                    blocked_from,
                    blocked_until,
                    price.amount,
                    price.currency,
                    "[]",
                    "held",
                    now,
                    now,
                    1,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                )
                await connection.execute(
                    INSERT_SAGA,
                    booking_id,
                    "charging",
                    token,
                    price.amount,
                    price.currency,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    False,
                    None,
                    None,
                    None,
                    0,
                    now,
                    now + HOLD,
                    1,
                    now,
                )
                # What the hold wrote, kept for the next transactions (not read back).
                saga_row: dict[str, Any] = {
                    "phase": "charging",
                    "payment_token": token,
                    "amount": price.amount,
                    "currency": price.currency,
                    "payment_id": None,
                    "gateway_reference": None,
                    "payment_method": None,
                    "reservation_id": None,
                    "refund_due_amount": None,
                    "refund_due_currency": None,
                    "release_due": False,
                    "refunded_amount": None,
                    "refunded_currency": None,
                    "failure_reason": None,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "expires_at": now + HOLD,
                    "version": 1,
                    "updated_at": now,
                }
                booking_row: dict[str, Any] = {
                    "owner_id": claims.user_id,
                    "pet_id": pet_id,
                    "clinic_id": clinic_id,
                    "service_id": service_id,
                    "vet_id": vet_id,
                    "starts_at": starts_utc,
                    "ends_at": ends_utc,
                    "blocked_from": blocked_from,
                    "blocked_until": blocked_until,
                    "price_amount": price.amount,
                    "price_currency": price.currency,
                    "products": "[]",
                    "created_at": now,
                    "version": 1,
                }
                booking_data = {
                    "booking_id": str(booking_id),
                    "owner_id": str(claims.user_id),
                    "pet_id": str(pet_id),
                    "clinic_id": str(clinic_id),
                    "service_id": str(service_id),
                    "vet_id": str(vet_id),
                    "starts_at": rfc3339(starts_utc),
                    "ends_at": rfc3339(ends_utc),
                    "price": {"amount": str(price.amount), "currency": price.currency},
                }
                await connection.execute(
                    INSERT_OUTBOX,
                    *outbox_row(
                        name="booking.created",
                        aggregate_type="booking",
                        aggregate_id=booking_id,
                        aggregate_version=1,
                        occurred_at=now,
                        data=booking_data,
                        headers=context,
                        now=datetime.now(UTC),
                    ),
                )
        except asyncpg.exceptions.ExclusionViolationError:
            raise HttpError(409, "the slot was just taken") from None
        created_at = now

        # T4: the saga's lease, saved before the charge is sent
        saga = dict(saga_row)
        async with connection.transaction():
            now = datetime.now(UTC)
            version = saga["version"]
            saga.update(next_attempt_at=now + LEASE, version=version + 1, updated_at=now)
            await connection.execute(UPDATE_SAGA, *_saga_values(saga), booking_id, version)

        outcome = await _gateway.charge(
            idempotency_key=f"booking:{booking_id}:charge",
            token=token,
            amount=price,
            description=f"Booking {booking_id}",
        )
        if not outcome.succeeded:
            raise HttpError(402, "payment declined")

        # T5: the charge's outcome and the confirmation
        payment_id = uuid5(DERIVED_ID_NAMESPACE, f"payment\n{booking_id}")
        booking = booking_row
        async with connection.transaction():
            now = datetime.now(UTC)
            version = saga["version"]
            saga.update(
                phase="finished",
                payment_id=payment_id,
                gateway_reference=outcome.reference,
                payment_method=outcome.method,
                next_attempt_at=now,
                version=version + 1,
                updated_at=now,
            )
            await connection.execute(UPDATE_SAGA, *_saga_values(saga), booking_id, version)
            await connection.execute(
                UPDATE_BOOKING,
                booking["owner_id"],
                booking["pet_id"],
                booking["clinic_id"],
                booking["service_id"],
                booking["vet_id"],
                booking["starts_at"],
                booking["ends_at"],
                booking["blocked_from"],
                booking["blocked_until"],
                booking["price_amount"],
                booking["price_currency"],
                booking["products"],
                "confirmed",
                booking["created_at"],
                now,
                booking["version"] + 1,
                None,
                None,
                None,
                None,
                None,
                None,
                booking_id,
                booking["version"],
            )
            written = datetime.now(UTC)
            await connection.execute(
                INSERT_OUTBOX,
                *outbox_row(
                    name="payment.processed",
                    aggregate_type="payment",
                    aggregate_id=payment_id,
                    aggregate_version=1,
                    occurred_at=now,
                    data={
                        "payment_id": str(payment_id),
                        "booking_id": str(booking_id),
                        "clinic_id": str(clinic_id),
                        "owner_id": str(claims.user_id),
                        "amount": {"amount": str(price.amount), "currency": price.currency},
                        "method": outcome.method,
                    },
                    headers=context,
                    now=written,
                ),
            )
            await connection.execute(
                INSERT_OUTBOX,
                *outbox_row(
                    name="booking.confirmed",
                    aggregate_type="booking",
                    aggregate_id=booking_id,
                    aggregate_version=2,
                    occurred_at=now,
                    data=booking_data,
                    headers=context,
                    now=written,
                ),
            )
        updated_at = now

        document = {
            "booking_id": str(booking_id),
            "status": "confirmed",
            "owner_id": str(claims.user_id),
            "pet_id": str(pet_id),
            "clinic_id": str(clinic_id),
            "service_id": str(service_id),
            "vet_id": str(vet_id),
            "starts_at": rfc3339(starts_utc),
            "ends_at": rfc3339(ends_utc),
            "price": {"amount": str(price.amount), "currency": price.currency},
            "products": [],
            "failure_reason": None,
            "cancelled_by": None,
            "cancellation_reason": None,
            "refund": None,
            "created_at": rfc3339(created_at),
            "updated_at": rfc3339(updated_at),
            "version": booking["version"] + 1,
        }
        status, payload, headers = json_response(
            201, document, [(b"location", f"/bookings/{booking_id}".encode())]
        )

        # T6: remember the answer
        async with connection.transaction():
            await connection.execute(
                COMPLETE,
                "completed",
                status,
                json.dumps(
                    [["location", f"/bookings/{booking_id}"], ["content-type", "application/json"]],
                    separators=(",", ":"),
                ),
                payload,
                datetime.now(UTC) + KEEP_FOR,
                scope,
                key,
                "in_flight",
            )
    return status, payload, headers


app = RawApp({("GET", "/health/ready"): ready, ("POST", "/bookings"): create_booking})
