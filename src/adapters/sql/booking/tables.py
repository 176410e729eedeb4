"""The booking context's tables, all in schema `booking` (a PostgreSQL schema; an attached
SQLite file).

The Alembic migrations under `adapters/sql/migrations/booking` create exactly this; a test
compares them with `alembic.autogenerate.compare_metadata`.

No double booking: on PostgreSQL the exclusion constraint `BOOKINGS_NO_OVERLAP` (GiST over
the vet and the half-open blocked interval, for held and confirmed bookings; it needs the
`btree_gist` extension, which migration 0004 creates) refuses an overlapping active booking
of the same vet whatever the concurrency. SQLite has no such constraint; its writers are
serialised (every transaction begins IMMEDIATE), so the repository checks for an overlap in
the same transaction before it writes.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    func,
    literal_column,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint

from adapters.sql.column_types import ExactDecimal, Json, UtcDateTime
from adapters.sql.idempotency_table import idempotency_table
from adapters.sql.messaging_tables import (
    context_metadata,
    inbox_table,
    outbox_table,
    relay_checkpoint_table,
)

SCHEMA = "booking"

metadata = context_metadata(SCHEMA)

# The name of the exclusion constraint PostgreSQL reports when an active booking overlaps.
BOOKINGS_NO_OVERLAP = "ex_bookings_vet_overlap"
# The statuses that occupy the vet's time (petpro_core.booking.domain.bookings.ACTIVE_STATUSES),
# as SQL; the constraint and the partial index repeat it.
ACTIVE_STATUS_SQL = "status IN ('held', 'confirmed')"

# The seed's booking_pet_cache, plus what keeps the projection from going backwards: the
# pet's version, and a deleted flag so deleted pets stay as tombstones.
pet_cache = Table(
    "pet_cache",
    metadata,
    Column("pet_id", Uuid(), primary_key=True),
    Column("owner_id", Uuid(), nullable=False, index=True),  # for an owner's pets
    Column("name", String(100), nullable=False),
    Column("species", String(50), nullable=False),
    Column("breed", String(100), nullable=True),
    Column("version", Integer(), nullable=False),
    Column("deleted", Boolean(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# --- bookings -----------------------------------------------------------------------------

bookings = Table(
    "bookings",
    metadata,
    Column("booking_id", Uuid(), primary_key=True),
    Column("owner_id", Uuid(), nullable=False),
    Column("pet_id", Uuid(), nullable=False),
    Column("clinic_id", Uuid(), nullable=False),
    Column("service_id", Uuid(), nullable=False),
    Column("vet_id", Uuid(), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("blocked_from", UtcDateTime(), nullable=False),
    Column("blocked_until", UtcDateTime(), nullable=False),
    Column("price_amount", ExactDecimal(), nullable=False),
    Column("price_currency", String(3), nullable=False),
    Column("products", Json, nullable=False),  # [{"product_id": "…", "quantity": n}, …]
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("failure_reason", Text(), nullable=True),
    Column("cancelled_by", String(16), nullable=True),
    Column("cancelled_by_user_id", Uuid(), nullable=True),
    Column("cancellation_reason", Text(), nullable=True),
    Column("refund_amount", ExactDecimal(), nullable=True),
    Column("refund_currency", String(3), nullable=True),
    CheckConstraint(
        "blocked_from <= starts_at AND starts_at < ends_at AND ends_at <= blocked_until",
        name="intervals",
    ),
    CheckConstraint(
        "status IN ('held', 'confirmed', 'failed', 'cancelled')",
        name="status",
    ),
)
# PostgreSQL only (SQLite cannot express it; see the module's docstring).
ExcludeConstraint(
    (bookings.c.vet_id, "="),
    (
        func.tstzrange(bookings.c.blocked_from, bookings.c.blocked_until, literal_column("'[)'")),
        "&&",
    ),
    name=BOOKINGS_NO_OVERLAP,
    using="gist",
    where=literal_column(ACTIVE_STATUS_SQL),
).ddl_if(dialect="postgresql")
# An owner's bookings by start; a clinic's bookings by start; a vet's active bookings by
# time (busy intervals, and SQLite's overlap check).
Index("ix_bookings_owner_id_starts_at", bookings.c.owner_id, bookings.c.starts_at)
Index("ix_bookings_clinic_id_starts_at", bookings.c.clinic_id, bookings.c.starts_at)
Index(
    "ix_bookings_vet_active",
    bookings.c.vet_id,
    bookings.c.blocked_from,
    postgresql_where=literal_column(ACTIVE_STATUS_SQL),
    sqlite_where=literal_column(ACTIVE_STATUS_SQL),
)

# --- the booking saga's state ---------------------------------------------------------------

booking_sagas = Table(
    "booking_sagas",
    metadata,
    Column("booking_id", Uuid(), primary_key=True),
    Column("phase", String(16), nullable=False),
    Column("payment_token", String(200), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Column("currency", String(3), nullable=False),  # of every amount of the saga
    Column("payment_id", Uuid(), nullable=True),
    Column("gateway_reference", String(200), nullable=True),
    Column("payment_method", String(50), nullable=True),
    Column("charged_at", UtcDateTime(), nullable=True),  # added by 0005_saga_charged_at
    Column("reservation_id", Uuid(), nullable=True),
    Column("refund_due_amount", ExactDecimal(), nullable=True),
    Column("refund_due_currency", String(3), nullable=True),
    Column("release_due", Boolean(), nullable=False),
    Column("refunded_amount", ExactDecimal(), nullable=True),
    Column("refunded_currency", String(3), nullable=True),
    Column("failure_reason", Text(), nullable=True),
    Column("attempts", Integer(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
# The recovery worker's question: unfinished sagas whose time has come.
SAGA_UNFINISHED_SQL = "phase <> 'finished'"
Index(
    "ix_booking_sagas_unfinished",
    booking_sagas.c.next_attempt_at,
    booking_sagas.c.expires_at,
    postgresql_where=literal_column(SAGA_UNFINISHED_SQL),
    sqlite_where=literal_column(SAGA_UNFINISHED_SQL),
)
# Finance's reconciliation asks for the payments charged in a range.
Index("ix_booking_sagas_charged_at", booking_sagas.c.charged_at)

# --- booking's copies of the clinic context's data ------------------------------------------

clinic_cache = Table(
    "clinic_cache",
    metadata,
    Column("clinic_id", Uuid(), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("policy", Json, nullable=False),  # BookingPolicy's fields
    Column("staff", Json, nullable=False),  # [{"user_id": "…", "role": "vet"}, …]
    Column("version", Integer(), nullable=False),
)

service_cache = Table(
    "service_cache",
    metadata,
    Column("service_id", Uuid(), primary_key=True),
    Column("clinic_id", Uuid(), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("duration_minutes", Integer(), nullable=False),
    Column("buffer_before_minutes", Integer(), nullable=False),
    Column("buffer_after_minutes", Integer(), nullable=False),
    Column("price_amount", ExactDecimal(), nullable=False),
    Column("price_currency", String(3), nullable=False),
    Column("species", Json, nullable=False),  # ["cat", …]; empty: any species
    Column("vet_ids", Json, nullable=False),  # ["…", …]
    Column("active", Boolean(), nullable=False),
    Column("version", Integer(), nullable=False),
)

schedule_cache = Table(
    "schedule_cache",
    metadata,
    Column("clinic_id", Uuid(), primary_key=True),
    Column("weekly_hours", Json, nullable=False),  # WorkingHours, local times as ISO text
    Column("exceptions", Json, nullable=False),  # ScheduleException, dates/times as ISO text
    Column("version", Integer(), nullable=False),
)

idempotency_keys = idempotency_table(metadata)  # for `Idempotency-Key` on POST /bookings
inbox = inbox_table(metadata)
outbox = outbox_table(metadata)
relay_checkpoint = relay_checkpoint_table(metadata)
