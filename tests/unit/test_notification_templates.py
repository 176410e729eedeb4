"""Templates, rendering, quiet hours, the retry policy and preference validation: the pure
parts of the notification context."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from petpro_core.notification.channels import Channel
from petpro_core.notification.domain.deliveries import (
    Delivery,
    DeliveryStatus,
    RetryPolicy,
    delivery_id_for,
)
from petpro_core.notification.domain.preferences import (
    Category,
    Preferences,
    QuietHours,
    parse_e164,
    parse_time_zone,
)
from petpro_core.notification.domain.rendering import format_date, format_instant, format_money
from petpro_core.notification.domain.templates import (
    KINDS,
    PHRASES,
    TEXTS,
    TemplateError,
    template_for,
)
from petpro_core.notification.expectations import EXPECTED_FIELDS
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.money import Money


def test_english_and_japanese_cover_the_same_kinds_with_the_same_placeholders() -> None:
    assert set(TEXTS["en"]) == set(TEXTS["ja"]) == set(KINDS)
    assert set(PHRASES["en"]) == set(PHRASES["ja"])
    for kind in KINDS:
        english, japanese = template_for(kind, "en"), template_for(kind, "ja")
        assert english.placeholders() == japanese.placeholders(), kind
        assert "name" in english.placeholders(), kind


def test_every_kind_renders_in_both_languages_and_a_missing_value_is_an_error() -> None:
    for kind in KINDS:
        for language in ("en", "ja"):
            template = template_for(kind, language)
            values = {name: f"<{name}>" for name in template.placeholders()}
            subject, body = template.render(values)
            assert "$" not in subject + body
            assert subject and body
            missing = sorted(template.placeholders())[0]
            with pytest.raises(TemplateError, match=missing):
                template.render({k: v for k, v in values.items() if k != missing})


def test_every_consumed_event_that_makes_a_message_has_a_template() -> None:
    silent = {"user.created", "user.updated", "clinic.created", "clinic.updated"}
    silent |= {"product.stock_changed"}
    assert set(EXPECTED_FIELDS) - silent <= set(KINDS)
    assert set(KINDS) - set(EXPECTED_FIELDS) == {"booking.reminder"}


def test_kinds_carry_category_transactional_and_channels_from_the_design() -> None:
    confirmed, reminder = KINDS["booking.confirmed"], KINDS["booking.reminder"]
    assert confirmed.transactional and confirmed.channels == frozenset(Channel)
    assert not reminder.transactional and reminder.category is Category.REMINDERS
    assert KINDS["booking.created"].channels == {Channel.IN_APP}
    assert KINDS["stock.low"].channels == {Channel.IN_APP, Channel.EMAIL}
    assert KINDS["shipment.created"].category is Category.PURCHASING
    assert KINDS["customer_order.placed"].transactional
    assert KINDS["payment.processed"].category is Category.RECEIPTS
    assert KINDS["payment.refunded"].category is Category.PAYMENTS


def test_receipts_are_opt_in_and_every_other_category_is_in_app_and_email_by_default() -> None:
    defaults = Preferences.defaults(UUID(int=1))
    assert defaults.channels_for(Category.RECEIPTS) == frozenset()
    others = set(Category) - {Category.RECEIPTS}
    assert others and all(
        defaults.channels_for(c) == {Channel.IN_APP, Channel.EMAIL} for c in others
    )
    assert defaults.every_category()[Category.RECEIPTS] == frozenset()
    turned_on = defaults.changed(channels={Category.RECEIPTS: frozenset({Channel.EMAIL})})
    assert turned_on.channels_for(Category.RECEIPTS) == {Channel.EMAIL}
    assert turned_on.channels_for(Category.PAYMENTS) == {Channel.IN_APP, Channel.EMAIL}


def test_the_confirmation_states_what_was_paid_and_a_failure_promises_a_refund() -> None:
    values = {
        "name": "Aiko",
        "clinic": "Shibuya",
        "starts": "Thu",
        "ends": "11:00",
        "booking_ref": "AB12CD34",
        "reason": "card declined",
        "price": "6,600 JPY",
    }
    _, confirmed = template_for("booking.confirmed", "en").render(values)
    assert "Paid: 6,600 JPY" in confirmed
    _, failed = template_for("booking.failed", "en").render(values)
    assert "Anything charged for it is refunded in full." in failed
    assert "Nothing was charged" not in failed
    _, japanese = template_for("booking.confirmed", "ja").render({**values, "price": "6,600円"})
    assert "お支払い金額: 6,600円" in japanese


def test_japanese_reads_naturally() -> None:
    assert template_for("booking.confirmed", "ja").subject == "ご予約が確定しました"
    assert template_for("booking.cancelled", "ja").subject == "ご予約がキャンセルされました"
    assert template_for("booking.confirmed", "fr").language == "en"  # unknown: English


def test_instants_are_written_in_the_zone_with_the_offset_dates_and_money_per_language() -> None:
    at = datetime(2026, 3, 5, 1, 30, tzinfo=UTC)
    assert format_instant(at, "Asia/Tokyo", "en") == "Thu 5 Mar 2026, 10:30 (UTC+09:00)"
    assert format_instant(at, "Asia/Tokyo", "ja") == "2026年3月5日(木) 10:30 (UTC+09:00)"
    assert format_instant(at, None, "en") == "Thu 5 Mar 2026, 01:30 (UTC+00:00)"
    assert format_instant(at, "America/New_York", "en").endswith("20:30 (UTC-05:00)")
    assert format_date(date(2026, 3, 6), "ja") == "2026年3月6日(金)"
    assert format_money(Money(Decimal(5000), "JPY"), "en") == "5,000 JPY"
    assert format_money(Money(Decimal(5000), "JPY"), "ja") == "5,000円"
    assert format_money(Money(Decimal("1234.50"), "USD"), "ja") == "1,234.50 USD"


TOKYO_NIGHT = QuietHours(starts=time(22, 0), ends=time(7, 0), time_zone="Asia/Tokyo")


@pytest.mark.parametrize(
    ("at", "until"),
    [
        (datetime(2026, 3, 1, 14, 0, tzinfo=UTC), datetime(2026, 3, 1, 22, 0, tzinfo=UTC)),  # 23:00
        (datetime(2026, 3, 1, 21, 59, tzinfo=UTC), datetime(2026, 3, 1, 22, 0, tzinfo=UTC)),
        (datetime(2026, 3, 1, 13, 0, tzinfo=UTC), datetime(2026, 3, 1, 22, 0, tzinfo=UTC)),  # 22:00
        (datetime(2026, 3, 1, 22, 0, tzinfo=UTC), None),  # 07:00: over
        (datetime(2026, 3, 1, 3, 0, tzinfo=UTC), None),  # noon
    ],
)
def test_quiet_hours_wrapping_midnight(at: datetime, until: datetime | None) -> None:
    assert TOKYO_NIGHT.until(at) == until


def test_quiet_hours_within_one_day_and_across_a_dst_change() -> None:
    lunch = QuietHours(starts=time(12, 0), ends=time(13, 0), time_zone="UTC")
    assert lunch.until(datetime(2026, 3, 1, 12, 30, tzinfo=UTC)) == datetime(
        2026, 3, 1, 13, 0, tzinfo=UTC
    )
    assert lunch.until(datetime(2026, 3, 1, 13, 0, tzinfo=UTC)) is None
    # Paris moves to summer time on 29 Mar 2026: the night ends at 07:00 CEST (05:00 UTC).
    night = QuietHours(starts=time(22, 0), ends=time(7, 0), time_zone="Europe/Paris")
    assert night.until(datetime(2026, 3, 28, 23, 0, tzinfo=UTC)) == datetime(
        2026, 3, 29, 5, 0, tzinfo=UTC
    )


def test_quiet_hours_are_validated() -> None:
    with pytest.raises(InvalidInput, match="different"):
        QuietHours(starts=time(7, 0), ends=time(7, 0), time_zone="UTC")
    with pytest.raises(InvalidInput) as error:
        QuietHours(starts=time(7, 0), ends=time(8, 0), time_zone="Mars/Olympus")
    assert error.value.extra["field"] == "quiet_hours.time_zone"


@pytest.mark.parametrize("raw", ["+819012345678", "+1 415 555 2671", "+44-20-7946-0958"])
def test_e164_numbers_are_accepted_and_normalised(raw: str) -> None:
    assert parse_e164(raw).startswith("+") and " " not in parse_e164(raw)


@pytest.mark.parametrize("raw", ["09012345678", "+0123456789", "+81 90 abc", "+12", ""])
def test_other_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput, match=r"E\.164"):
        parse_e164(raw)


@pytest.mark.parametrize("raw", ["Asia/Tokyo", "UTC", "America/Argentina/Buenos_Aires"])
def test_iana_zones_are_accepted(raw: str) -> None:
    assert parse_time_zone(raw) == raw


@pytest.mark.parametrize("raw", ["Tokyo", "", " Asia/Tokyo", "../etc/passwd", "GMT+9"])
def test_other_zones_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        parse_time_zone(raw)


def test_sms_or_push_cannot_be_on_without_a_number_or_token() -> None:
    user = UUID(int=5)
    with pytest.raises(InvalidInput) as error:
        Preferences(user_id=user, channels={Category.REMINDERS: frozenset({Channel.SMS})})
    assert error.value.extra["field"] == "sms_number"
    with pytest.raises(InvalidInput) as error:
        Preferences(user_id=user, channels={Category.REMINDERS: frozenset({Channel.PUSH})})
    assert error.value.extra["field"] == "push_token"
    defaults = Preferences.defaults(user)
    assert defaults.channels_for(Category.STOCK) == {Channel.IN_APP, Channel.EMAIL}
    assert defaults.version == 0


def test_backoff_doubles_with_equal_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(base=timedelta(seconds=30), cap=timedelta(minutes=4))
    low = [policy.backoff(n, lambda: 0.0) for n in range(1, 6)]
    high = [policy.backoff(n, lambda: 0.9999) for n in range(1, 6)]
    assert [d.total_seconds() for d in low] == [15, 30, 60, 120, 120]
    assert all(a < b <= 2 * a for a, b in zip(low, high, strict=True))


def _pending(attempts: int) -> Delivery:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    delivery = Delivery.planned(
        source_id=UUID(int=1),
        kind="booking.confirmed",
        channel=Channel.EMAIL,
        recipient_id=UUID(int=2),
        recipient_name="Aiko",
        address="aiko@example.com",
        language="en",
        subject="s",
        body="b",
        category=Category.APPOINTMENTS,
        now=now,
    )
    for attempt in range(attempts):  # each lease runs out before the next claim
        delivery = delivery.claimed(now + timedelta(minutes=2 * attempt), timedelta(minutes=1))
    return delivery


def test_delivery_ids_are_stable_per_source_channel_and_recipient() -> None:
    a = delivery_id_for(UUID(int=1), Channel.EMAIL, UUID(int=2))
    assert a == delivery_id_for(UUID(int=1), Channel.EMAIL, UUID(int=2)) == _pending(0).delivery_id
    assert a != delivery_id_for(UUID(int=1), Channel.SMS, UUID(int=2))
    assert a != delivery_id_for(UUID(int=3), Channel.EMAIL, UUID(int=2))


def test_a_failed_attempt_waits_or_fails_for_good() -> None:
    policy = RetryPolicy(max_attempts=3)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    retry = _pending(1).attempt_failed(now, "421", permanent=False, policy=policy, random=lambda: 0)
    assert retry.status is DeliveryStatus.PENDING and retry.next_attempt_at == now + timedelta(
        seconds=15
    )
    assert retry.last_error == "421"
    permanent = _pending(1).attempt_failed(
        now, "550", permanent=True, policy=policy, random=lambda: 0
    )
    assert permanent.status is DeliveryStatus.FAILED and permanent.last_error == "550"
    spent = _pending(3).attempt_failed(now, "421", permanent=False, policy=policy, random=lambda: 0)
    assert spent.status is DeliveryStatus.FAILED and spent.next_attempt_at is None
    with pytest.raises(ValueError, match="not due"):
        retry.claimed(now, timedelta(minutes=1))
