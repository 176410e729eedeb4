"""A vendor: who supplies the shop, how to reach them, how long they take to deliver, and
the users (holding the `vendor` role) who act for them."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from petpro_core.shared.errors import InvalidInput

VENDOR_ROLE = "vendor"
CLINIC_STAFF_ROLE = "clinic_staff"
MAX_NAME = 200
MAX_LEAD_TIME_DAYS = 365
MAX_MEMBERS = 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{3,40}$")


@dataclass(frozen=True, kw_only=True)
class Vendor:
    vendor_id: UUID
    name: str
    email: str | None
    phone: str | None
    lead_time_days: int
    active: bool
    member_ids: tuple[UUID, ...]  # in the order they joined
    created_at: datetime
    updated_at: datetime
    version: int = 1

    def is_member(self, user_id: UUID) -> bool:
        return user_id in self.member_ids

    def change(self, now: datetime, **changes: Any) -> Vendor:
        """The vendor with `changes` as its next version; itself when nothing changes."""
        if all(getattr(self, name) == value for name, value in changes.items()):
            return self
        return replace(self, **changes, updated_at=now, version=self.version + 1)

    def with_member(self, user_id: UUID, now: datetime) -> Vendor:
        if self.is_member(user_id):
            return self
        if len(self.member_ids) >= MAX_MEMBERS:
            raise InvalidInput(f"a vendor has at most {MAX_MEMBERS} members", field="user_id")
        return self.change(now, member_ids=(*self.member_ids, user_id))


def parse_vendor_name(raw: object) -> str:
    if not isinstance(raw, str) or not " ".join(raw.split()):
        raise InvalidInput("name must not be empty", field="name")
    name = " ".join(raw.split())
    if len(name) > MAX_NAME:
        raise InvalidInput(f"name is at most {MAX_NAME} characters", field="name")
    return name


def parse_email(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not _EMAIL.match(raw.strip()) or len(raw.strip()) > 320:
        raise InvalidInput("email must be an e-mail address", field="email")
    return raw.strip()


def parse_phone(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not _PHONE.match(raw.strip()):
        raise InvalidInput(
            "phone must be a phone number (digits, spaces, + ( ) . / -)", field="phone"
        )
    return raw.strip()


def parse_lead_time(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_LEAD_TIME_DAYS:
        raise InvalidInput(
            f"lead_time_days is a whole number of days, 0 to {MAX_LEAD_TIME_DAYS}",
            field="lead_time_days",
        )
    return raw


def parse_flag(raw: object, field: str) -> bool:
    if not isinstance(raw, bool):
        raise InvalidInput(f"{field} is true or false", field=field)
    return raw
