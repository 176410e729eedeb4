"""Events become messages: who hears what, in which language, on which channels; a replayed
event writes nothing new; caches never go backwards."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from petpro_core.notification.channels import Channel
from petpro_core.notification.commands import QuietHoursInput, UpdatePreferences
from petpro_core.notification.domain.deliveries import DeliveryStatus
from petpro_core.shared.actors import Actor
from tests.support.notification import (
    ADMIN_ID,
    CLINIC,
    OWNER,
    OWNER_ID,
    STAFF_ID,
    T0,
    VET_ID,
    WAREHOUSE,
    NotificationHarness,
    booking_cancelled,
    booking_confirmed,
    booking_created,
    booking_failed,
    clinic_event,
    customer_order_placed,
    order_delivered,
    payment_processed,
    payment_refunded,
    shipment_created,
    stock_changed,
    stock_low,
    user_event,
)

pytestmark = pytest.mark.asyncio


async def owner_and_clinic(h: NotificationHarness, language: str = "en") -> None:
    await h.user(OWNER_ID, language=language, name="Aiko Tanaka")
    await h.user(STAFF_ID, name="Sam Staff", email="sam@clinic.example", roles=("clinic_staff",))
    await h.clinic()


async def test_a_confirmation_goes_to_the_owner_in_app_and_by_email_in_english() -> None:
    h = NotificationHarness()
    await owner_and_clinic(h)
    event = booking_confirmed()
    await h.deliver([event])

    deliveries = h.deliveries(source_id=event.event_id)
    assert [(d.channel, d.status) for d in deliveries] == [
        (Channel.IN_APP, DeliveryStatus.SENT),
        (Channel.EMAIL, DeliveryStatus.PENDING),
    ]
    email = deliveries[1]
    assert email.address == "aiko@example.com" and email.next_attempt_at == T0
    assert email.subject == "Your booking is confirmed"
    assert "Shibuya Animal Clinic on Thu 5 Mar 2026, 10:30 (UTC+09:00)" in email.body
    assert email.body.startswith("Hello Aiko Tanaka,")
    assert "Paid: 5,000 JPY" in email.body  # what was paid: no separate receipt by default
    [message] = h.inbox_of(OWNER_ID)
    assert message.message_id == deliveries[0].delivery_id and message.read_at is None
    assert message.subject == email.subject


async def test_the_language_is_chosen_per_recipient() -> None:
    h = NotificationHarness()
    other = STAFF_ID
    await h.user(OWNER_ID, language="ja", name="田中 愛子")
    await h.user(other, language="en", name="Sam", roles=("clinic_staff",))
    await h.clinic(staff=(other,))
    await h.deliver([booking_confirmed(), booking_created()])

    [to_owner] = h.deliveries(recipient_id=OWNER_ID, channel=Channel.EMAIL)
    assert to_owner.language == "ja" and to_owner.subject == "ご予約が確定しました"
    assert "田中 愛子 様" in to_owner.body and "2026年3月5日(木) 10:30 (UTC+09:00)" in to_owner.body
    assert "お支払い金額: 5,000円" in to_owner.body
    [to_staff] = h.deliveries(recipient_id=other)
    assert to_staff.language == "en" and to_staff.subject.startswith("New booking held for Thu")


async def test_a_language_change_applies_to_later_messages_and_an_older_profile_is_ignored() -> (
    None
):
    h = NotificationHarness()
    await owner_and_clinic(h)
    await h.deliver([user_event(OWNER_ID, language="ja", version=3)])
    await h.deliver([user_event(OWNER_ID, language="en", version=2)])  # late and older
    await h.deliver([booking_failed()])
    [email] = h.deliveries(channel=Channel.EMAIL, recipient_id=OWNER_ID)
    assert email.subject == "ご予約を完了できませんでした" and "card declined" in email.body
    assert "お支払い済みの料金は全額返金いたします。" in email.body


async def test_an_unknown_recipient_is_skipped_with_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = NotificationHarness()
    await h.clinic()
    with caplog.at_level(logging.WARNING, logger="petpro.notification"):
        await h.deliver([booking_confirmed()])
    assert h.deliveries() == []
    assert f"skipped for user {OWNER_ID}" in caplog.text


async def test_a_redelivered_or_replayed_event_writes_no_new_delivery() -> None:
    h = NotificationHarness()
    await owner_and_clinic(h)
    event = booking_confirmed()
    await h.deliver([event])
    before = {d.delivery_id: d for d in h.deliveries()}

    assert await h.deliver([event]) == []  # redelivered: the inbox skips it
    h.state().inbox.clear()  # replayed after the inbox was pruned
    # ... even when the owner turned SMS on meanwhile
    await h.execute(
        UpdatePreferences(
            actor=OWNER,
            sms_number="+819012345678",
            channels={"appointments": ["in_app", "email", "sms"]},
        )
    )
    assert await h.deliver([event]) == [event.event_id]
    assert {d.delivery_id: d for d in h.deliveries()} == before
    assert len(h.inbox_of(OWNER_ID)) == 1


async def test_preferences_turn_channels_off_and_sms_push_on() -> None:
    h = NotificationHarness()
    await owner_and_clinic(h)
    await h.execute(
        UpdatePreferences(
            actor=OWNER,
            sms_number="+819012345678",
            push_token="device-token-1",
            channels={"appointments": ["sms", "push"], "payments": []},
        )
    )
    confirmed = booking_confirmed()
    await h.deliver([confirmed, payment_processed(), payment_refunded()])
    assert [(d.kind, d.channel, d.address) for d in h.deliveries()] == [
        ("booking.confirmed", Channel.SMS, "+819012345678"),
        ("booking.confirmed", Channel.PUSH, "device-token-1"),
    ]
    assert h.inbox_of(OWNER_ID) == []


async def test_a_user_without_an_email_address_gets_in_app_only() -> None:
    h = NotificationHarness()
    await h.clinic()
    await h.user(OWNER_ID, email="")
    await h.execute(UpdatePreferences(actor=OWNER, channels={"receipts": ["in_app", "email"]}))
    await h.deliver([payment_processed()])
    [delivery] = h.deliveries()
    assert delivery.channel is Channel.IN_APP
    assert delivery.subject == "Payment received: 5,000 JPY"
    assert "by card" in delivery.body


async def test_receipts_are_off_by_default_and_sent_on_the_channels_turned_on() -> None:
    h = NotificationHarness()
    await owner_and_clinic(h)
    first = payment_processed()
    await h.deliver([booking_confirmed(), first, payment_refunded()])
    # By default: the confirmation (which states what was paid) and the refund, no receipt.
    assert [(d.kind, d.channel) for d in h.deliveries()] == [
        ("booking.confirmed", Channel.IN_APP),
        ("booking.confirmed", Channel.EMAIL),
        ("payment.refunded", Channel.IN_APP),
        ("payment.refunded", Channel.EMAIL),
    ]
    assert h.deliveries(source_id=first.event_id) == []

    await h.execute(UpdatePreferences(actor=OWNER, channels={"receipts": ["email"]}))
    by_email = payment_processed(amount=6600)
    await h.deliver([by_email])
    [email] = h.deliveries(source_id=by_email.event_id)
    assert (email.channel, email.address) == (Channel.EMAIL, "aiko@example.com")
    assert email.subject == "Payment received: 6,600 JPY" and email.status is DeliveryStatus.PENDING
    assert sorted(m.kind for m in h.inbox_of(OWNER_ID)) == ["booking.confirmed", "payment.refunded"]

    await h.execute(UpdatePreferences(actor=OWNER, channels={"receipts": ["in_app", "email"]}))
    both = payment_processed(amount=7700)
    await h.deliver([both])
    assert [d.channel for d in h.deliveries(source_id=both.event_id)] == [
        Channel.IN_APP,
        Channel.EMAIL,
    ]
    [receipt] = [m for m in h.inbox_of(OWNER_ID) if m.kind == "payment.processed"]
    assert receipt.subject == "Payment received: 7,700 JPY"
    assert await h.dispatch() == 4  # e-mails: the confirmation, the refund, two receipts
    assert sorted(m.subject for m in h.sent(Channel.EMAIL) if "Payment" in m.subject) == [
        "Payment received: 6,600 JPY",
        "Payment received: 7,700 JPY",
    ]

    # Redelivered, then replayed after the inbox was pruned: nothing new written or sent.
    before = {d.delivery_id: d for d in h.deliveries()}
    assert await h.deliver([by_email, both]) == []
    h.state().inbox.clear()
    assert await h.deliver([by_email, both]) == [by_email.event_id, both.event_id]
    assert {d.delivery_id: d for d in h.deliveries()} == before
    assert len(h.inbox_of(OWNER_ID)) == 3
    assert await h.dispatch() == 0


async def test_quiet_hours_defer_stock_alerts_but_not_a_confirmation() -> None:
    h = NotificationHarness()
    await owner_and_clinic(h)
    # T0 is 09:00 in Tokyo: quiet until 10:00 for both users.
    for actor in (OWNER, Actor(user_id=STAFF_ID, roles=frozenset({"clinic_staff"}))):
        await h.execute(
            UpdatePreferences(
                actor=actor,
                quiet_hours=QuietHoursInput(starts="08:00", ends="10:00", time_zone="Asia/Tokyo"),
            )
        )
    await h.deliver([booking_cancelled(), stock_low()])

    [cancel_email] = h.deliveries(kind="booking.cancelled", channel=Channel.EMAIL)
    assert cancel_email.next_attempt_at == T0  # transactional: now
    assert "Refund: 5,000 JPY" in cancel_email.body
    [stock_email] = h.deliveries(kind="stock.low", channel=Channel.EMAIL)
    assert stock_email.next_attempt_at == T0 + timedelta(hours=1)
    [stock_inbox] = h.deliveries(kind="stock.low", channel=Channel.IN_APP)
    assert stock_inbox.status is DeliveryStatus.SENT  # in-app is never deferred
    assert await h.dispatch() == 1
    h.clock.advance(timedelta(hours=1))
    assert await h.dispatch() == 1
    assert [m.subject for m in h.sent(Channel.EMAIL)] == [
        "Your booking was cancelled",
        "Low stock: Flea drops at Shibuya Animal Clinic",
    ]


async def test_booking_created_tells_the_clinic_staff_in_app_only() -> None:
    h = NotificationHarness()
    await owner_and_clinic(h)
    await h.user(VET_ID, name="Dr Vet", email="vet@clinic.example", roles=("clinic_staff",))
    await h.clinic(staff=(STAFF_ID, VET_ID), version=2)
    await h.deliver([booking_created()])  # its vet is on the staff: only they hear of it
    assert {(d.recipient_id, d.channel) for d in h.deliveries()} == {(VET_ID, Channel.IN_APP)}


async def test_booking_created_without_a_staff_vet_tells_every_staff_member() -> None:
    h = NotificationHarness()
    await owner_and_clinic(h)
    await h.user(VET_ID, name="Dr Vet", email="vet@clinic.example", roles=("clinic_staff",))
    await h.clinic(staff=(STAFF_ID, VET_ID), version=2)
    await h.deliver([booking_created(vet_id=None)])
    assert {(d.recipient_id, d.channel) for d in h.deliveries()} == {
        (STAFF_ID, Channel.IN_APP),
        (VET_ID, Channel.IN_APP),
    }


async def test_stock_low_goes_to_the_clinics_staff() -> None:
    h = NotificationHarness()
    await owner_and_clinic(h)
    await h.user(ADMIN_ID, name="Ada Admin", email="ada@petpro.example", roles=("admin",))
    await h.deliver([stock_low(CLINIC), stock_changed(CLINIC)])
    deliveries = h.deliveries()
    assert {(d.recipient_id, d.channel) for d in deliveries} == {
        (STAFF_ID, Channel.IN_APP),
        (STAFF_ID, Channel.EMAIL),
    }
    assert "Flea drops (FLEA-10) at Shibuya Animal Clinic is low: 2 available" in (
        deliveries[0].body
    )


async def test_stock_low_and_shipments_for_a_location_that_is_no_clinic_go_to_the_admins() -> None:
    h = NotificationHarness()
    await owner_and_clinic(h)
    await h.user(ADMIN_ID, name="Ada Admin", email="ada@petpro.example", roles=("admin",))
    await h.deliver([stock_low(WAREHOUSE), shipment_created(WAREHOUSE)])
    assert {(d.kind, d.recipient_id, d.channel) for d in h.deliveries()} == {
        ("stock.low", ADMIN_ID, Channel.IN_APP),
        ("stock.low", ADMIN_ID, Channel.EMAIL),
        ("shipment.created", ADMIN_ID, Channel.IN_APP),
        ("shipment.created", ADMIN_ID, Channel.EMAIL),
    }
    [shipment] = h.deliveries(kind="shipment.created", channel=Channel.EMAIL)
    assert "location 0000A001" in shipment.body and "Yamato" in shipment.body
    assert "Fri 6 Mar 2026" in shipment.body


async def test_a_clinic_update_changes_who_hears_about_its_stock() -> None:
    h = NotificationHarness()
    await owner_and_clinic(h)
    await h.user(VET_ID, name="Dr Vet", email="vet@clinic.example", roles=("clinic_staff",))
    await h.deliver([clinic_event(staff=(VET_ID,), version=3)])
    await h.deliver([clinic_event(staff=(STAFF_ID,), version=2)])  # older: ignored
    await h.deliver([order_delivered(CLINIC, partial=True)])
    assert {d.recipient_id for d in h.deliveries()} == {VET_ID}
    [email] = h.deliveries(channel=Channel.EMAIL)
    assert "(partial delivery, more to come)" in email.body


async def test_a_customer_hears_about_their_shop_order_in_japanese() -> None:
    h = NotificationHarness()
    await owner_and_clinic(h, language="ja")
    await h.deliver([customer_order_placed()])
    [email] = h.deliveries(channel=Channel.EMAIL)
    assert email.subject.startswith("ご注文") and "2 点、3,000円" in email.body
    assert "2026年3月5日(木) 09:00 (UTC+09:00) までに Shibuya Animal Clinic で" in email.body
