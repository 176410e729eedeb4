"""The in-app inbox (list, unread count, mark read), preferences (get, partial update,
validation, concurrent change) and the admins' delivery log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from petpro_core.notification.channels import Channel
from petpro_core.notification.commands import (
    CountUnread,
    GetPreferences,
    ListDeliveries,
    ListNotifications,
    MarkRead,
    QuietHoursInput,
    UpdatePreferences,
)
from petpro_core.notification.domain.deliveries import DeliveryStatus
from petpro_core.notification.domain.errors import AdminOnly, ConcurrentUpdate
from petpro_core.notification.domain.preferences import Category
from petpro_core.shared.actors import Actor
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.pagination import PageRequest
from tests.support.notification import (
    ADMIN,
    OWNER,
    OWNER_ID,
    STAFF_ID,
    NotificationHarness,
    booking_confirmed,
    booking_failed,
    payment_processed,
)

pytestmark = pytest.mark.asyncio

STAFF = Actor(user_id=STAFF_ID, roles=frozenset({"clinic_staff"}))


async def three_messages() -> NotificationHarness:
    """A confirmation, a receipt (the owner turned receipts on: they are opt-in) and a
    failure notice, each in-app and by e-mail."""
    h = NotificationHarness()
    await h.user(OWNER_ID)
    await h.clinic()
    await h.execute(UpdatePreferences(actor=OWNER, channels={"receipts": ["in_app", "email"]}))
    for event in (booking_confirmed(), payment_processed()):
        await h.deliver([event])
        h.clock.advance(timedelta(minutes=1))
    await h.deliver([booking_failed(version=5)])
    return h


async def test_the_inbox_lists_newest_first_and_counts_unread() -> None:
    h = await three_messages()
    page = await h.execute(ListNotifications(actor=OWNER, page=PageRequest(limit=2)))
    assert page.total == 3
    assert [m.kind for m in page.items] == ["booking.failed", "payment.processed"]
    assert await h.execute(CountUnread(actor=OWNER)) == 3
    assert await h.execute(CountUnread(actor=STAFF)) == 0
    others = await h.execute(ListNotifications(actor=STAFF))
    assert others.total == 0


async def test_marking_read_some_or_all_and_never_someone_elses() -> None:
    h = await three_messages()
    newest = (await h.execute(ListNotifications(actor=OWNER))).items[0]
    assert await h.execute(MarkRead(actor=STAFF, message_ids=[newest.message_id])) == 0
    assert await h.execute(MarkRead(actor=OWNER, message_ids=[newest.message_id])) == 1
    assert await h.execute(MarkRead(actor=OWNER, message_ids=[newest.message_id])) == 0
    unread = await h.execute(ListNotifications(actor=OWNER, unread_only=True))
    assert unread.total == 2 and newest.message_id not in {m.message_id for m in unread.items}
    assert await h.execute(MarkRead(actor=OWNER)) == 2
    assert await h.execute(CountUnread(actor=OWNER)) == 0
    [read] = [m for m in h.inbox_of(OWNER_ID) if m.message_id == newest.message_id]
    assert read.read_at == h.clock.now()


async def test_preferences_default_then_partial_updates_with_a_version() -> None:
    h = NotificationHarness()
    defaults = await h.execute(GetPreferences(actor=OWNER))
    assert defaults.version == 0 and defaults.channels_for(Category.SHOP) == {
        Channel.IN_APP,
        Channel.EMAIL,
    }
    first = await h.execute(
        UpdatePreferences(
            actor=OWNER,
            sms_number="+81 90 1234 5678",
            channels={"reminders": ["sms", "in_app"]},
            quiet_hours=QuietHoursInput(starts="22:00", ends="07:00", time_zone="Asia/Tokyo"),
            expected_version=0,
        )
    )
    assert first.version == 1 and first.sms_number == "+819012345678"
    second = await h.execute(UpdatePreferences(actor=OWNER, channels={"stock": []}))
    assert second.version == 2
    assert second.channels_for(Category.REMINDERS) == {Channel.SMS, Channel.IN_APP}
    assert second.channels_for(Category.STOCK) == frozenset()
    assert second.quiet_hours == first.quiet_hours
    cleared = await h.execute(UpdatePreferences(actor=OWNER, quiet_hours=None))
    assert cleared.quiet_hours is None
    assert await h.execute(GetPreferences(actor=OWNER)) == cleared
    with pytest.raises(ConcurrentUpdate):
        await h.execute(UpdatePreferences(actor=OWNER, push_token="t", expected_version=1))


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"sms_number": "090-1234-5678"}, "sms_number"),
        ({"channels": {"marketing": ["email"]}}, "channels"),
        ({"channels": {"stock": ["fax"]}}, "channels.stock"),
        ({"channels": {"stock": "email"}}, "channels"),
        ({"channels": {"reminders": ["sms"]}}, "sms_number"),
        ({"channels": {"reminders": ["push"]}}, "push_token"),
        (
            {"quiet_hours": QuietHoursInput(starts="25:00", ends="07:00", time_zone="UTC")},
            "quiet_hours.starts",
        ),
        (
            {"quiet_hours": QuietHoursInput(starts="22:00", ends="7", time_zone="UTC")},
            "quiet_hours.ends",
        ),
        (
            {"quiet_hours": QuietHoursInput(starts="22:00", ends="07:00", time_zone="JST")},
            "quiet_hours.time_zone",
        ),
    ],
)
async def test_bad_preferences_are_refused_with_the_field(update: dict, field: str) -> None:  # type: ignore[type-arg]
    h = NotificationHarness()
    with pytest.raises(InvalidInput) as error:
        await h.execute(UpdatePreferences(actor=OWNER, **update))
    assert error.value.extra["field"] == field
    assert (await h.execute(GetPreferences(actor=OWNER))).version == 0


async def test_removing_the_sms_number_while_sms_is_on_is_refused() -> None:
    h = NotificationHarness()
    await h.execute(
        UpdatePreferences(actor=OWNER, sms_number="+819012345678", channels={"reminders": ["sms"]})
    )
    with pytest.raises(InvalidInput):
        await h.execute(UpdatePreferences(actor=OWNER, sms_number=None))
    off = await h.execute(
        UpdatePreferences(actor=OWNER, sms_number=None, channels={"reminders": ["in_app"]})
    )
    assert off.sms_number is None


async def test_the_delivery_log_is_for_admins_and_filters() -> None:
    h = await three_messages()
    with pytest.raises(AdminOnly):
        await h.execute(ListDeliveries(actor=OWNER))
    log = await h.execute(ListDeliveries(actor=ADMIN))
    assert log.total == 6 and log.items[0].kind == "booking.failed"
    emails = await h.execute(ListDeliveries(actor=ADMIN, channel="email", status="pending"))
    assert emails.total == 3 and all(d.channel is Channel.EMAIL for d in emails.items)
    await h.dispatch()
    sent = await h.execute(ListDeliveries(actor=ADMIN, status="sent", kind="payment.processed"))
    assert {d.channel for d in sent.items} == {Channel.IN_APP, Channel.EMAIL}
    mine = await h.execute(ListDeliveries(actor=ADMIN, recipient_id=STAFF_ID))
    assert mine.total == 0
    with pytest.raises(InvalidInput) as error:
        await h.execute(ListDeliveries(actor=ADMIN, status="lost"))
    assert error.value.extra["field"] == "status"
    assert DeliveryStatus.FAILED.value in error.value.detail
