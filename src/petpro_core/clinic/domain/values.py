"""Parsing of the clinic context's inputs: each turns raw values into valid ones or raises
InvalidInput naming the field, so every runtime reports the same clear message."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from petpro_core.contracts.clinic import (
    EXCEPTION_KINDS,
    STAFF_ROLES,
    BookingPolicy,
    PostalAddress,
)
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.money import MINOR_UNITS, Money

T = TypeVar("T")

MAX_NAME = 200
MAX_LINE = 200
MAX_EMAIL = 320
MAX_SPECIES = 20
MAX_MINUTES = 24 * 60
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{3,30}[0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SPECIES = re.compile(r"^[a-z][a-z_-]{0,49}$")


@dataclass(frozen=True, kw_only=True)
class AddressInput:
    """A postal address as given; `parse_address` validates it."""

    lines: tuple[str, ...]
    locality: str
    country: str
    region: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class PolicyInput:
    """Booking-policy fields as given; None leaves the current (or default) value."""

    min_notice_minutes: int | None = None
    horizon_days: int | None = None
    slot_minutes: int | None = None
    full_refund_hours: int | None = None
    late_refund_percent: int | None = None


@dataclass(frozen=True, kw_only=True)
class PriceInput:
    """An amount (text or Decimal, never float) and an ISO 4217 currency, as given."""

    amount: str | Decimal
    currency: str


def _text(raw: str, field: str, limit: int) -> str:
    value = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not value:
        raise InvalidInput(f"{field} must not be blank", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{field} is at most {limit} characters", field=field)
    return value


def parse_name(raw: str, field: str = "name") -> str:
    return _text(raw, field, MAX_NAME)


def parse_optional_text(raw: str | None, field: str, limit: int = MAX_LINE) -> str | None:
    if raw is None or not raw.strip():
        return None
    return _text(raw, field, limit)


def parse_phone(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if not _PHONE.fullmatch(value):
        raise InvalidInput(
            "phone must be digits, optionally with a leading + and spaces, dots, dashes or "
            "parentheses (5 to 32 characters)",
            field="phone",
        )
    return value


def parse_email(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if len(value) > MAX_EMAIL or not _EMAIL.fullmatch(value):
        raise InvalidInput(f"{value!r} is not an e-mail address", field="email")
    return value


def parse_time_zone(raw: str) -> str:
    value = raw.strip() if isinstance(raw, str) else ""
    if not value or value.lower() == "localtime":
        raise InvalidInput(
            "time_zone must be an IANA time zone, e.g. Asia/Tokyo", field="time_zone"
        )
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            f"unknown IANA time zone {value!r} (e.g. Asia/Tokyo, Europe/Berlin)", field="time_zone"
        ) from None
    return value


def parse_address(raw: AddressInput) -> PostalAddress:
    lines = tuple(_text(line, "address.lines", MAX_LINE) for line in raw.lines)
    if not lines:
        raise InvalidInput("an address has at least one line", field="address.lines")
    if len(lines) > 5:
        raise InvalidInput("an address has at most 5 lines", field="address.lines")
    country = (raw.country or "").strip().upper()
    if not (len(country) == 2 and country.isascii() and country.isalpha()):
        raise InvalidInput(
            "country must be an ISO 3166-1 alpha-2 code, e.g. JP", field="address.country"
        )
    return PostalAddress(
        lines=lines,
        locality=_text(raw.locality, "address.locality", MAX_LINE),
        region=parse_optional_text(raw.region, "address.region"),
        postal_code=parse_optional_text(raw.postal_code, "address.postal_code", 20),
        country=country,
    )


_POLICY_RULES: dict[str, tuple[int, int]] = {
    "min_notice_minutes": (0, 30 * 24 * 60),
    "horizon_days": (1, 730),
    "slot_minutes": (5, 240),
    "full_refund_hours": (0, 30 * 24),
    "late_refund_percent": (0, 100),
}


def parse_policy(raw: PolicyInput | None, current: BookingPolicy | None = None) -> BookingPolicy:
    """`current` (or the default policy) with the fields `raw` gives."""
    base = current or BookingPolicy()
    values = {name: getattr(base, name) for name in _POLICY_RULES}
    if raw is not None:
        for name, (low, high) in _POLICY_RULES.items():
            given = getattr(raw, name)
            if given is None:
                continue
            if isinstance(given, bool) or not isinstance(given, int) or not low <= given <= high:
                raise InvalidInput(
                    f"booking_policy.{name} is a whole number from {low} to {high}",
                    field=f"booking_policy.{name}",
                )
            values[name] = given
    return BookingPolicy(**values)


def parse_minutes(raw: int, field: str, *, minimum: int, maximum: int = MAX_MINUTES) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not minimum <= raw <= maximum:
        raise InvalidInput(
            f"{field} is a whole number of minutes from {minimum} to {maximum}", field=field
        )
    return raw


def parse_price(raw: Money | PriceInput) -> Money:
    if isinstance(raw, Money):
        amount, currency = raw.amount, raw.currency
    else:
        currency = (raw.currency or "").strip().upper()
        if currency not in MINOR_UNITS:
            raise InvalidInput(
                f"price currency must be one of: {', '.join(sorted(MINOR_UNITS))}",
                field="price.currency",
            )
        if isinstance(raw.amount, float):
            raise InvalidInput(
                "price amount must be a decimal string, not a float", field="price.amount"
            )
        try:
            amount = Decimal(str(raw.amount).strip())
        except InvalidOperation:
            raise InvalidInput(
                f"price amount {raw.amount!r} is not a number", field="price.amount"
            ) from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput("price must be more than zero", field="price.amount")
    try:
        return Money(amount, currency)
    except ValueError as exc:
        raise InvalidInput(f"price: {exc}", field="price.amount") from None


def parse_species(raw: Iterable[str]) -> tuple[str, ...]:
    """Lower-case species names, distinct, in the order given; empty means any species."""
    if isinstance(raw, str):
        raise InvalidInput("species is a list of names", field="species")
    found: list[str] = []
    for item in raw:
        value = item.strip().lower() if isinstance(item, str) else ""
        if not _SPECIES.fullmatch(value):
            raise InvalidInput(f"{item!r} is not a species name (e.g. dog, cat)", field="species")
        if value not in found:
            found.append(value)
    if len(found) > MAX_SPECIES:
        raise InvalidInput(f"at most {MAX_SPECIES} species", field="species")
    return tuple(found)


def parse_staff_role(raw: str) -> str:
    value = raw.strip().lower() if isinstance(raw, str) else ""
    if value not in STAFF_ROLES:
        raise InvalidInput(f"role must be one of: {', '.join(sorted(STAFF_ROLES))}", field="role")
    return value


def parse_exception_kind(raw: str) -> str:
    value = raw.strip().lower() if isinstance(raw, str) else ""
    if value not in EXCEPTION_KINDS:
        raise InvalidInput(
            f"kind must be one of: {', '.join(sorted(EXCEPTION_KINDS))}", field="kind"
        )
    return value


def local_time(raw: time, field: str) -> time:
    if not isinstance(raw, time):
        raise InvalidInput(f"{field} must be a local time such as 09:00", field=field)
    if raw.tzinfo is not None:
        raise InvalidInput(f"{field} is a local time, without a zone", field=field)
    return raw


def invalid_as_input(build: Callable[[], T], field: str | None = None) -> T:
    """Run a contract constructor, turning its ValueError into InvalidInput."""
    try:
        return build()
    except ValueError as exc:
        raise InvalidInput(str(exc), **({"field": field} if field else {})) from None
