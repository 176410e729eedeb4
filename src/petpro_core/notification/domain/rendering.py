"""How values appear inside messages, per language: instants in the clinic's zone with the
UTC offset (UTC when the clinic is unknown), dates, money as amount and currency, and short
references to long ids."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from petpro_core.shared.money import MINOR_UNITS, Money

_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_JA_WEEKDAYS = ("月", "火", "水", "木", "金", "土", "日")


def _offset(local: datetime) -> str:
    offset = local.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def format_date(day: date, language: str) -> str:
    if language == "ja":
        return f"{day.year}年{day.month}月{day.day}日({_JA_WEEKDAYS[day.weekday()]})"
    return f"{_EN_WEEKDAYS[day.weekday()]} {day.day} {_EN_MONTHS[day.month - 1]} {day.year}"


def format_instant(at: datetime, time_zone: str | None, language: str) -> str:
    """ "Mon 2 Mar 2026, 10:00 (UTC+09:00)" / "2026年3月2日(月) 10:00 (UTC+09:00)"."""
    local = at.astimezone(ZoneInfo(time_zone) if time_zone else UTC)
    day = format_date(local.date(), language)
    separator = " " if language == "ja" else ", "
    return f"{day}{separator}{local:%H:%M} ({_offset(local)})"


def format_money(money: Money, language: str) -> str:
    """ "5,000 JPY", "12.50 USD"; in Japanese yen read "5,000円"."""
    digits = MINOR_UNITS.get(money.currency, 2)
    amount = f"{money.amount:,.{digits}f}"
    if language == "ja" and money.currency == "JPY":
        return f"{amount}円"
    return f"{amount} {money.currency}"


def short_ref(identifier: UUID) -> str:
    """The last 8 hex digits, upper case: enough to quote on the phone (ids are UUIDv7, so
    the first digits are a timestamp shared by ids made the same moment)."""
    return identifier.hex[-8:].upper()
