"""Appointment reminders: scheduled by the confirmation 24 hours before the start, sent once
when due, not sent for a cancelled booking, moved with a rescheduled one; quiet hours defer
their external deliveries (a reminder is not transactional)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from petpro_core.notification.channels import Channel
from petpro_core.notification.commands import QuietHoursInput, UpdatePreferences
from petpro_core.notification.domain.reminders import ReminderStatus, reminder_source_id
from tests.support.notification import (
    BOOKING,
    OWNER,
    OWNER_ID,
    STARTS,
    T0,
    NotificationHarness,
    booking_cancelled,
    booking_confirmed,
    booking_rescheduled,
)

pytestmark = pytest.mark.asyncio

DUE = STARTS - timedelta(hours=24)


async def setup(language: str = "en") -> NotificationHarness:
    h = NotificationHarness()
    await h.user(OWNER_ID, language=language, name="Aiko")
    await h.clinic()
    return h


def reminders(h: NotificationHarness) -> list[tuple[str, str]]:
    return [(d.channel.value, d.subject) for d in h.deliveries(kind="booking.reminder")]


async def test_a_confirmed_booking_is_reminded_once_24_hours_before() -> None:
    h = await setup()
    await h.deliver([booking_confirmed()])
    reminder = h.state().reminders[BOOKING]
    assert reminder.due_at == DUE and reminder.status is ReminderStatus.SCHEDULED

    h.clock.advance(DUE - T0 - timedelta(minutes=1))
    assert await h.send_reminders() == 0
    h.clock.advance(timedelta(minutes=1))
    assert await h.send_reminders() == 1
    assert await h.send_reminders() == 0
    subject = "Reminder: your appointment on Thu 5 Mar 2026, 10:30 (UTC+09:00)"
    assert reminders(h) == [("in_app", subject), ("email", subject)]
    assert h.state().reminders[BOOKING].status is ReminderStatus.SENT
    await h.dispatch()
    assert [m.subject for m in h.sent(Channel.EMAIL)][-1] == subject
    # The confirmation redelivered after the reminder went out changes nothing.
    h.state().inbox.clear()
    await h.deliver([booking_confirmed()])
    assert await h.send_reminders() == 0
    assert len(reminders(h)) == 2


async def test_a_cancelled_booking_is_not_reminded() -> None:
    h = await setup()
    await h.deliver([booking_confirmed()], [booking_cancelled()])
    h.clock.advance(DUE - T0)
    assert await h.send_reminders() == 0
    assert reminders(h) == []
    assert h.state().reminders[BOOKING].status is ReminderStatus.CANCELLED


async def test_a_cancellation_seen_before_the_confirmation_still_stops_the_reminder() -> None:
    h = await setup()
    await h.deliver([booking_cancelled(version=3)], [booking_confirmed(version=2)])
    h.clock.advance(DUE - T0)
    assert await h.send_reminders() == 0
    assert reminders(h) == []


async def test_a_rescheduled_booking_is_reminded_for_its_new_time_only() -> None:
    h = await setup("ja")
    later = STARTS + timedelta(days=2)
    await h.deliver([booking_confirmed()], [booking_rescheduled(later)])
    h.clock.advance(DUE - T0)
    assert await h.send_reminders() == 0  # the old time passes silently
    h.clock.advance(timedelta(days=2))
    assert await h.send_reminders() == 1
    [(_, subject), _] = reminders(h)
    assert subject == "ご予約日時のお知らせ（2026年3月7日(土) 10:30 (UTC+09:00)）"  # noqa: RUF001
    [moved] = h.deliveries(kind="booking.rescheduled", channel=Channel.EMAIL)
    assert "2026年3月5日(木) 10:30 (UTC+09:00) から 2026年3月7日(土) 10:30" in moved.body


async def test_an_older_event_does_not_move_the_reminder_back() -> None:
    h = await setup()
    later = STARTS + timedelta(days=2)
    await h.deliver([booking_rescheduled(later, version=3)], [booking_confirmed(version=2)])
    assert h.state().reminders[BOOKING].starts_at == later


async def test_a_booking_moved_after_its_reminder_went_out_gets_one_for_the_new_time() -> None:
    h = await setup()
    await h.deliver([booking_confirmed()])
    h.clock.advance(DUE - T0)
    assert await h.send_reminders() == 1
    later = STARTS + timedelta(days=1)
    await h.deliver([booking_rescheduled(later)])
    assert h.state().reminders[BOOKING].status is ReminderStatus.SCHEDULED
    h.clock.advance(timedelta(days=1))
    assert await h.send_reminders() == 1
    sources = {d.source_id for d in h.deliveries(kind="booking.reminder")}
    assert sources == {reminder_source_id(BOOKING, STARTS), reminder_source_id(BOOKING, later)}


async def test_a_booking_confirmed_less_than_24_hours_ahead_gets_no_reminder() -> None:
    h = await setup()
    await h.deliver([booking_confirmed(starts_at=T0 + timedelta(hours=20))])
    assert BOOKING not in h.state().reminders
    h.clock.advance(timedelta(hours=20))
    assert await h.send_reminders() == 0


async def test_quiet_hours_defer_a_reminder_but_not_a_confirmation() -> None:
    h = await setup()
    both = ["in_app", "email", "push"]
    await h.execute(
        UpdatePreferences(
            actor=OWNER,
            push_token="device-1",
            channels={"reminders": both, "appointments": both},
            # Quiet from 10:00 to 12:00 in Tokyo, every day.
            quiet_hours=QuietHoursInput(starts="10:00", ends="12:00", time_zone="Asia/Tokyo"),
        )
    )
    h.clock.advance(timedelta(hours=2))  # 11:00 in Tokyo: quiet
    await h.deliver([booking_confirmed()])
    assert await h.dispatch() == 2  # the confirmation's e-mail and push go at once
    assert {m.kind for m in h.sent(Channel.PUSH)} == {"booking.confirmed"}

    h.clock.advance(DUE - h.clock.now())  # 10:30 in Tokyo two days later: quiet
    assert await h.send_reminders() == 1
    assert [m.kind for m in h.inbox_of(OWNER_ID)] == ["booking.confirmed", "booking.reminder"]
    assert await h.dispatch() == 0  # e-mail and push wait for the end of quiet hours
    h.clock.advance(timedelta(minutes=89))
    assert await h.dispatch() == 0
    h.clock.advance(timedelta(minutes=1))  # 12:00 in Tokyo
    assert await h.dispatch() == 2
    assert [m.kind for m in h.sent(Channel.PUSH)] == ["booking.confirmed", "booking.reminder"]
