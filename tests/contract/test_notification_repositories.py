"""Contract of the notification ports (recipients, clinics, preferences, deliveries, in-app
messages, reminders, the unit of work), run against every adapter: memory, SQLite,
PostgreSQL. The in-memory adapter is the reference; `ports.py` states the semantics.

On PostgreSQL, two dispatchers claiming due deliveries (or reminders) in concurrent
transactions get disjoint batches (FOR UPDATE SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta, timezone
from uuid import UUID

import pytest

from adapters.memory.notification import (
    InMemoryNotificationUnitOfWork,
    in_memory_notification_store,
)
from adapters.sql.database import SqlDatabase
from adapters.sql.notification.unit_of_work import SqlNotificationUnitOfWork
from petpro_core.notification.channels import Channel
from petpro_core.notification.domain.deliveries import Delivery, DeliveryStatus
from petpro_core.notification.domain.errors import ConcurrentUpdate, StaleDelivery
from petpro_core.notification.domain.inbox import InAppMessage
from petpro_core.notification.domain.preferences import Category, Preferences, QuietHours
from petpro_core.notification.domain.recipients import KnownClinic, Recipient
from petpro_core.notification.domain.reminders import Reminder, ReminderStatus
from petpro_core.notification.ports import DeliveryFilter, NotificationUnitOfWork
from petpro_core.shared.ids import new_id
from petpro_core.shared.pagination import PageRequest

UnitOfWorkFactory = Callable[[], NotificationUnitOfWork]

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TOKYO = timezone(timedelta(hours=9))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uow(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    if request.param == "memory":
        store = in_memory_notification_store()
        return lambda: InMemoryNotificationUnitOfWork(store)
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    database: SqlDatabase = request.getfixturevalue(fixture)
    return lambda: SqlNotificationUnitOfWork(database)


def _id(n: int) -> UUID:
    """Ids whose order is known: _id(1) < _id(2) < … (as UUIDs and as stored)."""
    return UUID(int=(0x5A << 120) + n)


def delivery(
    n: int,
    *,
    channel: Channel = Channel.EMAIL,
    status: DeliveryStatus = DeliveryStatus.PENDING,
    next_attempt_at: datetime | None = T0,
    created_at: datetime = T0,
    recipient_id: UUID | None = None,
    source_id: UUID | None = None,
    kind: str = "booking.confirmed",
) -> Delivery:
    return Delivery(
        delivery_id=_id(n),
        source_id=source_id or _id(1000),
        kind=kind,
        channel=channel,
        recipient_id=recipient_id or _id(2000),
        recipient_name="Aiko Tanaka",
        address=None if channel is Channel.IN_APP else "aiko@example.jp",
        language="ja",
        subject="ご予約が確定しました",
        body="12月2日 10:00 (UTC+09:00) のご予約が確定しました。",
        category=Category.APPOINTMENTS,
        status=status,
        attempts=0,
        next_attempt_at=next_attempt_at,
        last_error=None,
        created_at=created_at,
        sent_at=None,
        version=1,
    )


def message(n: int, user_id: UUID, *, created_at: datetime = T0) -> InAppMessage:
    return InAppMessage(
        message_id=_id(n),
        user_id=user_id,
        kind="booking.confirmed",
        category=Category.APPOINTMENTS,
        subject=f"Subject {n}",
        body=f"Body {n}",
        created_at=created_at,
    )


def reminder(n: int, *, due_at: datetime = T0, version: int = 1) -> Reminder:
    return Reminder(
        booking_id=_id(n),
        owner_id=_id(3000),
        clinic_id=_id(4000),
        starts_at=due_at + timedelta(hours=24),
        due_at=due_at,
        status=ReminderStatus.SCHEDULED,
        booking_version=2,
        version=version,
    )


async def _store(uow: UnitOfWorkFactory, *deliveries: Delivery) -> None:
    async with uow() as unit:
        await unit.deliveries.add(list(deliveries))
        await unit.commit()


# --- recipients and clinics -------------------------------------------------------------------


async def test_recipients_never_go_backwards_and_admins_are_listed_by_id(
    uow: UnitOfWorkFactory,
) -> None:
    aiko = Recipient(
        user_id=_id(2),
        email="aiko@example.jp",
        display_name="Aiko",
        language="ja",
        roles=frozenset({"owner"}),
        version=2,
    )
    root = replace(aiko, user_id=_id(1), email=None, language="en", roles=frozenset({"admin"}))
    async with uow() as unit:
        assert await unit.recipients.apply(aiko)
        assert await unit.recipients.apply(root)
        assert not await unit.recipients.apply(replace(aiko, display_name="Old", version=1))
        assert not await unit.recipients.apply(replace(aiko, display_name="Same", version=2))
        promoted = replace(aiko, roles=frozenset({"owner", "admin"}), version=3)
        assert await unit.recipients.apply(promoted)
        await unit.commit()
    async with uow() as unit:
        assert await unit.recipients.get(aiko.user_id) == promoted
        assert await unit.recipients.get(new_id()) is None
        assert await unit.recipients.get_many([aiko.user_id, new_id()]) == {aiko.user_id: promoted}
        assert await unit.recipients.get_many([]) == {}
        assert await unit.recipients.admins() == [root, promoted]
        demoted = replace(promoted, roles=frozenset({"owner"}), version=4)
        assert await unit.recipients.apply(demoted)
        assert await unit.recipients.admins() == [root]


async def test_clinics_keep_their_staff_order_and_never_go_backwards(
    uow: UnitOfWorkFactory,
) -> None:
    staff = (_id(9), _id(3), _id(7))
    clinic = KnownClinic(
        clinic_id=new_id(), name="Shibuya", time_zone="Asia/Tokyo", staff_ids=staff, version=2
    )
    async with uow() as unit:
        assert await unit.clinics.apply(clinic)
        assert not await unit.clinics.apply(replace(clinic, staff_ids=(), version=1))
        await unit.commit()
    async with uow() as unit:
        assert await unit.clinics.get(clinic.clinic_id) == clinic
        assert await unit.clinics.apply(replace(clinic, staff_ids=(), version=3))
        assert await unit.clinics.get(clinic.clinic_id) == replace(clinic, staff_ids=(), version=3)
        assert await unit.clinics.get(new_id()) is None


# --- preferences ------------------------------------------------------------------------------


async def test_preferences_round_trip_absent_and_empty_categories(uow: UnitOfWorkFactory) -> None:
    user = new_id()
    saved = Preferences(
        user_id=user,
        channels={
            Category.APPOINTMENTS: frozenset({Channel.IN_APP, Channel.SMS, Channel.PUSH}),
            Category.STOCK: frozenset(),  # present and empty: everything off
            Category.RECEIPTS: frozenset({Channel.EMAIL}),  # opt-in, turned on
        },
        quiet_hours=QuietHours(starts=time(22, 0), ends=time(7, 30), time_zone="Asia/Tokyo"),
        sms_number="+819012345678",
        push_token="device-token-1",
        version=1,
    )
    async with uow() as unit:
        assert await unit.preferences.get(user) is None
        await unit.preferences.save(saved)
        await unit.commit()
    async with uow() as unit:
        stored = await unit.preferences.get(user)
        assert stored == saved
        assert stored is not None
        assert set(stored.channels) == {Category.APPOINTMENTS, Category.STOCK, Category.RECEIPTS}
        assert stored.channels[Category.STOCK] == frozenset()
        assert stored.channels_for(Category.STOCK) == frozenset()
        assert stored.channels_for(Category.RECEIPTS) == {Channel.EMAIL}
        # Absent: the category's default (in-app and e-mail; none for opt-in receipts).
        assert stored.channels_for(Category.PAYMENTS) == {Channel.IN_APP, Channel.EMAIL}
        assert await unit.preferences.get_many([user, new_id()]) == {user: saved}
        plain = Preferences(user_id=new_id(), version=1)
        await unit.preferences.save(plain)
        read = await unit.preferences.get(plain.user_id)
        assert read == plain and read is not None and read.channels == {}
        assert read.channels_for(Category.RECEIPTS) == frozenset()
        assert read.channels_for(Category.SHOP) == {Channel.IN_APP, Channel.EMAIL}


async def test_preferences_saves_are_guarded_by_the_version(uow: UnitOfWorkFactory) -> None:
    first = Preferences(user_id=new_id(), version=1)
    async with uow() as unit:
        with pytest.raises(ConcurrentUpdate):
            await unit.preferences.save(replace(first, version=2))  # nothing stored yet
        await unit.preferences.save(first)
        with pytest.raises(ConcurrentUpdate):
            await unit.preferences.save(first)  # a second first save
        second = first.changed(channels={Category.SHOP: frozenset({Channel.IN_APP})})
        await unit.preferences.save(second)
        with pytest.raises(ConcurrentUpdate):
            await unit.preferences.save(replace(second, version=5))
        with pytest.raises(ConcurrentUpdate):
            await unit.preferences.save(replace(first, version=0))
        await unit.commit()
    async with uow() as unit:
        assert await unit.preferences.get(first.user_id) == second


# --- deliveries -------------------------------------------------------------------------------


async def test_adding_deliveries_inserts_only_the_absent_ones(uow: UnitOfWorkFactory) -> None:
    a, b, c = delivery(1), delivery(2, channel=Channel.SMS), delivery(3, channel=Channel.IN_APP)
    async with uow() as unit:
        assert await unit.deliveries.add([b, a]) == [b, a]
        await unit.commit()
    async with uow() as unit:
        changed = replace(a, subject="changed", status=DeliveryStatus.FAILED, version=7)
        # A stored id is never changed; a repeated id in one batch is inserted once.
        assert await unit.deliveries.add([changed, c, b, c]) == [c]
        assert await unit.deliveries.add([]) == []
        await unit.commit()
    async with uow() as unit:
        assert await unit.deliveries.get(a.delivery_id) == a
        assert await unit.deliveries.get(c.delivery_id) == c
        assert await unit.deliveries.get(new_id()) is None
        assert (await unit.deliveries.list(DeliveryFilter(), PageRequest()))[1] == 3


async def test_a_rolled_back_add_leaves_nothing(uow: UnitOfWorkFactory) -> None:
    async with uow() as unit:
        await unit.deliveries.add([delivery(1)])
        await unit.rollback()
    async with uow() as unit:
        assert await unit.deliveries.get(_id(1)) is None


async def test_due_deliveries_are_open_and_ready_oldest_first(uow: UnitOfWorkFactory) -> None:
    now = T0 + timedelta(hours=1)
    await _store(
        uow,
        delivery(1, next_attempt_at=now - timedelta(minutes=5)),
        delivery(2, next_attempt_at=now - timedelta(minutes=30)),
        delivery(3, next_attempt_at=now - timedelta(minutes=30)),  # tie: by id
        delivery(4, next_attempt_at=now),  # due exactly now
        delivery(5, next_attempt_at=now + timedelta(seconds=1)),  # not yet
        delivery(6, status=DeliveryStatus.SENDING, next_attempt_at=now - timedelta(minutes=1)),
        delivery(7, status=DeliveryStatus.SENDING, next_attempt_at=now + timedelta(minutes=1)),
        delivery(8, status=DeliveryStatus.SENT, next_attempt_at=now - timedelta(hours=2)),
        delivery(9, status=DeliveryStatus.FAILED, next_attempt_at=now - timedelta(hours=2)),
        delivery(10, status=DeliveryStatus.SKIPPED, next_attempt_at=now - timedelta(hours=2)),
        delivery(11, channel=Channel.IN_APP, status=DeliveryStatus.SENT, next_attempt_at=None),
        # An aware time in another zone: one hour earlier than `now`.
        delivery(12, next_attempt_at=datetime(2026, 12, 1, 18, 0, tzinfo=TOKYO)),
    )
    async with uow() as unit:
        due = await unit.deliveries.due(now, 10)
        assert [d.delivery_id for d in due] == [_id(12), _id(2), _id(3), _id(1), _id(6), _id(4)]
        assert due[0].next_attempt_at == T0
        assert [d.delivery_id for d in await unit.deliveries.due(now, 2)] == [_id(12), _id(2)]
        assert await unit.deliveries.due(T0 - timedelta(days=1), 10) == []


async def test_saving_a_delivery_is_guarded_by_the_version(uow: UnitOfWorkFactory) -> None:
    stored = delivery(1)
    await _store(uow, stored)
    claimed = stored.claimed(T0, timedelta(minutes=2))
    async with uow() as unit:
        await unit.deliveries.save(claimed)
        with pytest.raises(StaleDelivery):
            await unit.deliveries.save(claimed)  # the same transition twice
        with pytest.raises(StaleDelivery):
            await unit.deliveries.save(replace(claimed, version=5))
        with pytest.raises(StaleDelivery):
            await unit.deliveries.save(replace(claimed, delivery_id=new_id()))  # absent
        await unit.commit()
    done = claimed.sent(T0 + timedelta(seconds=3))
    async with uow() as unit:
        assert await unit.deliveries.get(stored.delivery_id) == claimed
        assert await unit.deliveries.due(T0 + timedelta(minutes=1), 10) == []
        assert await unit.deliveries.due(T0 + timedelta(minutes=2), 10) == [claimed]
        await unit.deliveries.save(done)
        await unit.commit()
    async with uow() as unit:
        assert await unit.deliveries.get(stored.delivery_id) == done
        assert await unit.deliveries.due(T0 + timedelta(days=1), 10) == []


async def test_the_delivery_log_filters_and_pages_newest_first(uow: UnitOfWorkFactory) -> None:
    alice, bob, event = new_id(), new_id(), new_id()
    await _store(
        uow,
        delivery(1, created_at=T0, recipient_id=alice, source_id=event),
        delivery(2, created_at=T0 + timedelta(minutes=2), recipient_id=alice, kind="stock.low"),
        delivery(3, created_at=T0 + timedelta(minutes=2), recipient_id=bob, source_id=event),
        delivery(4, created_at=T0 + timedelta(minutes=1), channel=Channel.SMS, recipient_id=bob),
        delivery(
            5,
            created_at=T0 + timedelta(minutes=3),
            channel=Channel.IN_APP,
            status=DeliveryStatus.SENT,
            next_attempt_at=None,
            recipient_id=alice,
        ),
    )
    async with uow() as unit:

        async def ids(wanted: DeliveryFilter, page: PageRequest | None = None) -> list[int]:
            found, total = await unit.deliveries.list(wanted, page or PageRequest())
            assert total >= len(found)
            return [d.delivery_id.int & 0xFFFF for d in found]

        assert await ids(DeliveryFilter()) == [5, 3, 2, 4, 1]
        first, total = await unit.deliveries.list(DeliveryFilter(), PageRequest(limit=2))
        assert total == 5 and [d.delivery_id for d in first] == [_id(5), _id(3)]
        assert await ids(DeliveryFilter(), PageRequest(limit=2, offset=2)) == [2, 4]
        assert await ids(DeliveryFilter(), PageRequest(limit=2, offset=4)) == [1]
        assert await ids(DeliveryFilter(recipient_id=alice)) == [5, 2, 1]
        assert await ids(DeliveryFilter(source_id=event)) == [3, 1]
        assert await ids(DeliveryFilter(kind="stock.low")) == [2]
        assert await ids(DeliveryFilter(channel=Channel.SMS)) == [4]
        assert await ids(DeliveryFilter(status=DeliveryStatus.SENT)) == [5]
        assert await ids(DeliveryFilter(status=DeliveryStatus.PENDING, recipient_id=bob)) == [3, 4]
        nothing, none = await unit.deliveries.list(
            DeliveryFilter(status=DeliveryStatus.FAILED), PageRequest()
        )
        assert (list(nothing), none) == ([], 0)


# --- in-app messages --------------------------------------------------------------------------


async def test_in_app_messages_list_count_and_mark_read(uow: UnitOfWorkFactory) -> None:
    aiko, ben = new_id(), new_id()
    mine = [message(n, aiko, created_at=T0 + timedelta(minutes=n % 3)) for n in range(1, 6)]
    theirs = message(9, ben)
    async with uow() as unit:
        for m in [*mine, theirs]:
            assert await unit.messages.add(m)
        assert not await unit.messages.add(replace(mine[0], subject="changed"))
        await unit.commit()
    async with uow() as unit:
        items, total = await unit.messages.list_for(aiko, PageRequest())
        # created_at minutes: 1→1, 2→2, 3→0, 4→1, 5→2; newest first, then id descending.
        assert total == 5 and [m.message_id for m in items] == [_id(n) for n in (5, 2, 4, 1, 3)]
        assert items[3] == mine[0]
        page, total = await unit.messages.list_for(aiko, PageRequest(limit=2, offset=2))
        assert total == 5 and [m.message_id for m in page] == [_id(4), _id(1)]
        assert await unit.messages.unread_count(aiko) == 5

        read_at = T0 + timedelta(hours=1)
        # Ben's message and an unknown id are left alone; each of Aiko's counts once.
        assert await unit.messages.mark_read(aiko, [_id(2), _id(2), _id(9), new_id()], read_at) == 1
        assert await unit.messages.mark_read(aiko, [_id(2), _id(4)], read_at) == 1
        assert await unit.messages.mark_read(aiko, [], read_at) == 0
        assert await unit.messages.unread_count(aiko) == 3
        unread, total = await unit.messages.list_for(aiko, PageRequest(), unread_only=True)
        assert total == 3 and [m.message_id for m in unread] == [_id(5), _id(1), _id(3)]
        await unit.commit()
    async with uow() as unit:
        items, _ = await unit.messages.list_for(aiko, PageRequest())
        assert {m.message_id: m.read_at for m in items if m.is_read} == {
            _id(2): read_at,
            _id(4): read_at,
        }
        later = read_at + timedelta(hours=1)
        assert await unit.messages.mark_read(aiko, None, later) == 3
        assert await unit.messages.mark_read(aiko, None, later) == 0
        assert await unit.messages.unread_count(aiko) == 0
        assert await unit.messages.unread_count(ben) == 1
        items, _ = await unit.messages.list_for(ben, PageRequest())
        assert items == [theirs]
        items, _ = await unit.messages.list_for(aiko, PageRequest())
        assert {m.message_id: m.read_at for m in items}[_id(2)] == read_at  # not re-read
        assert (await unit.messages.list_for(new_id(), PageRequest())) == ([], 0)


# --- reminders --------------------------------------------------------------------------------


async def test_reminders_are_version_guarded_and_due_in_order(uow: UnitOfWorkFactory) -> None:
    now = T0
    first = reminder(1, due_at=now - timedelta(minutes=1))
    async with uow() as unit:
        assert await unit.reminders.get(first.booking_id) is None
        with pytest.raises(ConcurrentUpdate):
            await unit.reminders.put(replace(first, version=2))
        await unit.reminders.put(first)
        with pytest.raises(ConcurrentUpdate):
            await unit.reminders.put(first)
        for n, minutes in ((2, -30), (3, -30), (4, 0), (5, 1)):
            await unit.reminders.put(reminder(n, due_at=now + timedelta(minutes=minutes)))
        await unit.reminders.put(
            replace(reminder(6, due_at=now - timedelta(hours=1)), status=ReminderStatus.CANCELLED)
        )
        await unit.commit()
    async with uow() as unit:
        assert await unit.reminders.get(first.booking_id) == first
        due = await unit.reminders.due(now, 10)
        assert [r.booking_id for r in due] == [_id(2), _id(3), _id(1), _id(4)]
        assert [r.booking_id for r in await unit.reminders.due(now, 1)] == [_id(2)]
        sent = due[0].marked_sent()
        await unit.reminders.put(sent)
        with pytest.raises(ConcurrentUpdate):
            await unit.reminders.put(sent)
        await unit.commit()
    async with uow() as unit:
        assert await unit.reminders.get(_id(2)) == sent
        assert sent.sent_source_id == sent.source_id
        assert [r.booking_id for r in await unit.reminders.due(now, 10)] == [_id(3), _id(1), _id(4)]


# --- the unit of work -------------------------------------------------------------------------


async def test_the_event_inbox_claims_each_event_once(uow: UnitOfWorkFactory) -> None:
    event = new_id()
    async with uow() as unit:
        assert await unit.inbox.claim("notification", [event]) == {event}
        await unit.commit()
    async with uow() as unit:
        assert await unit.inbox.claim("notification", [event, event]) == set()


# --- PostgreSQL: concurrent claims ------------------------------------------------------------


@pytest.mark.postgres
async def test_concurrent_claims_on_postgres_get_disjoint_batches(
    postgres_database: SqlDatabase,
) -> None:
    """The first transaction holds its rows; the second, still open alongside, skips them
    instead of waiting (it would block until the timeout without SKIP LOCKED)."""

    def factory() -> NotificationUnitOfWork:
        return SqlNotificationUnitOfWork(postgres_database)

    await _store(
        factory, *(delivery(n, next_attempt_at=T0 + timedelta(seconds=n)) for n in range(6))
    )
    async with factory() as unit:
        for n in range(6):
            await unit.reminders.put(reminder(n, due_at=T0 + timedelta(seconds=n)))
        await unit.commit()
    now = T0 + timedelta(minutes=1)
    async with factory() as first, factory() as second:
        mine = await first.deliveries.due(now, 4)
        theirs = await asyncio.wait_for(second.deliveries.due(now, 4), 10)
        assert [d.delivery_id for d in mine] == [_id(n) for n in range(4)]
        assert [d.delivery_id for d in theirs] == [_id(4), _id(5)]
        my_reminders = await first.reminders.due(now, 3)
        their_reminders = await asyncio.wait_for(second.reminders.due(now, 10), 10)
        assert [r.booking_id for r in my_reminders] == [_id(n) for n in range(3)]
        assert [r.booking_id for r in their_reminders] == [_id(n) for n in range(3, 6)]
        # Claims, committed: the rows the first took are no longer due for anyone.
        for taken in mine:
            await first.deliveries.save(taken.claimed(now, timedelta(minutes=2)))
        await first.commit()
        await second.rollback()
    async with factory() as unit:
        assert [d.delivery_id for d in await unit.deliveries.due(now, 10)] == [_id(4), _id(5)]
