"""The table behind `Idempotency-Key`: one row per (scope, key), in the schema of the
context whose endpoint takes the key (booking's for `POST /bookings`).

`scope` names who sent the key to which endpoint, so two users' keys never meet;
`fingerprint` is a hash of the request, to tell a retry from a different request reusing
the key; an `in_flight` row whose `locked_until` has passed may be taken over (its request
died); `completed` rows keep the response to replay until `expires_at`.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, Text

from adapters.sql.column_types import UtcDateTime


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("scope", String(200), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("state", String(16), nullable=False),  # "in_flight" | "completed"
        Column("status_code", Integer(), nullable=True),
        Column("response_headers", Text(), nullable=True),  # JSON list of [name, value]
        Column("response_body", LargeBinary(), nullable=True),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("locked_until", UtcDateTime(), nullable=False),
        Column("expires_at", UtcDateTime(), nullable=False, index=True),
    )
