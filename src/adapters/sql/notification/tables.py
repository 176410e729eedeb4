"""The notification context's tables, all in schema `notification` (a PostgreSQL schema; an
attached SQLite file).

The Alembic migrations under `adapters/sql/migrations/notification` create exactly this; a
test compares them with `alembic.autogenerate.compare_metadata`.

- `deliveries` is keyed by the delivery id derived from (source, channel, recipient), so
  writing a redelivered event's deliveries again is an insert-if-absent that inserts nothing.
  The dispatcher finds due ones by (status, next_attempt_at); the admin log reads newest
  first by (created_at, delivery_id).
- `preferences.channels` is a JSON object {category: [channel, …]}: a category absent from
  it uses the defaults, a category mapped to [] has everything off.
- `clinics.staff_ids` is a JSON array of user ids in the event's order.
- The event inbox, outbox and relay checkpoint are the same tables every context has (the
  context publishes nothing today; the unit of work still writes its outbox).
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
    Time,
    Uuid,
)

from adapters.sql.column_types import Json, UtcDateTime
from adapters.sql.messaging_tables import (
    context_metadata,
    inbox_table,
    outbox_table,
    relay_checkpoint_table,
)

SCHEMA = "notification"

metadata = context_metadata(SCHEMA)

# Users as the notification context knows them (from user.created / user.updated).
recipients = Table(
    "recipients",
    metadata,
    Column("user_id", Uuid(), primary_key=True),
    Column("email", String(320), nullable=True),
    Column("display_name", Text(), nullable=False),
    Column("language", String(8), nullable=False),
    Column("roles", Json, nullable=False),  # a JSON array of role names, sorted
    Column("is_admin", Boolean(), nullable=False),  # "admin" in roles, for admins()
    Column("version", Integer(), nullable=False),
)
Index("ix_recipients_is_admin", recipients.c.is_admin)

# Clinics with their staff (from clinic.created / clinic.updated).
clinics = Table(
    "clinics",
    metadata,
    Column("clinic_id", Uuid(), primary_key=True),
    Column("name", Text(), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("staff_ids", Json, nullable=False),  # a JSON array of user ids, in order
    Column("version", Integer(), nullable=False),
)

preferences = Table(
    "preferences",
    metadata,
    Column("user_id", Uuid(), primary_key=True),
    Column("channels", Json, nullable=False),  # {category: [channel, …]}
    Column("quiet_starts", Time(), nullable=True),
    Column("quiet_ends", Time(), nullable=True),
    Column("quiet_time_zone", String(64), nullable=True),
    Column("sms_number", String(16), nullable=True),
    Column("push_token", String(512), nullable=True),
    Column("version", Integer(), nullable=False),
    CheckConstraint(
        "(quiet_starts IS NULL) = (quiet_ends IS NULL)"
        " AND (quiet_starts IS NULL) = (quiet_time_zone IS NULL)",
        name="quiet_hours_complete",
    ),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", Uuid(), primary_key=True),
    Column("source_id", Uuid(), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("recipient_id", Uuid(), nullable=False),
    Column("recipient_name", Text(), nullable=False),
    Column("address", Text(), nullable=True),
    Column("language", String(8), nullable=False),
    Column("subject", Text(), nullable=False),
    Column("body", Text(), nullable=False),
    Column("category", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("last_error", Text(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("version", Integer(), nullable=False),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
)
# The dispatcher's claim: status in (pending, sending) and next_attempt_at <= now.
Index("ix_deliveries_status_next_attempt_at", deliveries.c.status, deliveries.c.next_attempt_at)
# The admin log, newest first, and its filters.
Index("ix_deliveries_created_at_delivery_id", deliveries.c.created_at, deliveries.c.delivery_id)
Index("ix_deliveries_recipient_id_created_at", deliveries.c.recipient_id, deliveries.c.created_at)
Index("ix_deliveries_source_id", deliveries.c.source_id)

# The users' in-app messages (not the event inbox).
inbox_messages = Table(
    "inbox_messages",
    metadata,
    Column("message_id", Uuid(), primary_key=True),  # the in-app delivery's id
    Column("user_id", Uuid(), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("category", String(32), nullable=False),
    Column("subject", Text(), nullable=False),
    Column("body", Text(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("read_at", UtcDateTime(), nullable=True),
)
Index("ix_inbox_messages_user_id_created_at", inbox_messages.c.user_id, inbox_messages.c.created_at)

reminders = Table(
    "reminders",
    metadata,
    Column("booking_id", Uuid(), primary_key=True),
    Column("owner_id", Uuid(), nullable=False),
    Column("clinic_id", Uuid(), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("booking_version", Integer(), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("sent_source_id", Uuid(), nullable=True),
)
Index("ix_reminders_status_due_at", reminders.c.status, reminders.c.due_at)

inbox = inbox_table(metadata)
outbox = outbox_table(metadata)
relay_checkpoint = relay_checkpoint_table(metadata)
