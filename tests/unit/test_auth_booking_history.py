"""Each user's booking history on memory: auth's projection of booking's events, delivered by
the in-memory event bus (the real relay and consumer engines), never goes backwards and
handles each event once; ListBookingHistory shows one's own history, admins anyone's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from adapters.memory.auth import InMemoryAuthUnitOfWork
from adapters.memory.booking import in_memory_booking_store
from adapters.memory.event_bus import InMemoryEventBus
from petpro_core.auth.commands import ListBookingHistory
from petpro_core.auth.domain.booking_history import BookingHistoryEntry, BookingHistoryStatus
from petpro_core.auth.domain.errors import UserNotFound
from petpro_core.auth.domain.roles import OPERATOR, Principal, Role
from petpro_core.auth.expectations import EXPECTED_FIELDS
from petpro_core.auth.subscriptions import auth_subscription
from petpro_core.contracts.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingCreated,
    BookingFailed,
    BookingRescheduled,
    BookingSnapshot,
)
from petpro_core.contracts.catalog import subscribed_by
from petpro_core.shared.errors import PermissionDenied
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import Page, PageRequest
from tests.support.auth import memory_harness
from tests.unit.builders import principal, register

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
CLINIC = UUID("00000000-0000-4000-8000-0000000000c1")
PRICE = Money(Decimal("45.00"), "EUR")


class Booking:
    """One booking's events as booking would publish them: whole snapshots, version by version."""

    def __init__(self, owner_id: UUID, *, starts_at: datetime = T0) -> None:
        self.booking_id = new_id()
        self.owner_id = owner_id
        self.pet_id = new_id()
        self.starts_at = starts_at
        self.version = 0

    def _next(self, event_type: type[BookingSnapshot], **extra: Any) -> Any:
        self.version += 1
        return event_type(
            booking_id=self.booking_id,
            owner_id=self.owner_id,
            pet_id=self.pet_id,
            clinic_id=CLINIC,
            service_id=CLINIC,
            vet_id=None,
            starts_at=self.starts_at,
            ends_at=self.starts_at + timedelta(minutes=30),
            price=PRICE,
            aggregate_version=self.version,
            occurred_at=T0 + timedelta(minutes=self.version),
            **extra,
        )

    def created(self) -> BookingCreated:
        event: BookingCreated = self._next(BookingCreated)
        return event

    def confirmed(self) -> BookingConfirmed:
        event: BookingConfirmed = self._next(BookingConfirmed)
        return event

    def rescheduled(self, to: datetime) -> BookingRescheduled:
        previous, self.starts_at = self.starts_at, to
        event: BookingRescheduled = self._next(
            BookingRescheduled, previous_starts_at=previous, previous_vet_id=None
        )
        return event

    def cancelled(self, reason: str = "the dog is better") -> BookingCancelled:
        event: BookingCancelled = self._next(
            BookingCancelled,
            cancelled_by="owner",
            cancelled_by_user_id=self.owner_id,
            reason=reason,
            refund=PRICE,
        )
        return event

    def failed(self, reason: str = "card declined") -> BookingFailed:
        event: BookingFailed = self._next(BookingFailed, reason=reason)
        return event


class World:
    """Auth on a memory store, fed booking's events through the in-memory event bus."""

    def __init__(self, **bus: Any) -> None:
        self.auth, self.auth_store = memory_harness()
        self.booking_store = in_memory_booking_store()
        self.subscription = auth_subscription(lambda: InMemoryAuthUnitOfWork(self.auth_store))
        self.bus = InMemoryEventBus({"booking": self.booking_store}, [self.subscription], **bus)

    def publish(self, *events: BookingSnapshot) -> None:
        """Commit the events to booking's outbox, as booking's unit of work would."""
        self.booking_store.append_to_outbox(list(events), {})

    async def owner(self, email: str = "ann@example.com", **kwargs: Any) -> Principal:
        return principal(await register(self.auth.bus, email, **kwargs))

    async def history(
        self, actor: Principal, user_id: UUID | None = None, **page: int
    ) -> Page[BookingHistoryEntry]:
        result: Page[BookingHistoryEntry] = await self.auth.bus.execute(
            ListBookingHistory(
                actor=actor,
                user_id=actor.user_id if user_id is None else user_id,
                page=PageRequest(**page),
            )
        )
        return result

    async def entry(self, actor: Principal, booking_id: UUID) -> BookingHistoryEntry:
        [entry] = [e for e in (await self.history(actor)).items if e.booking_id == booking_id]
        return entry

    def inbox_size(self) -> int:
        return len(self.auth_store.state.inbox)


def test_auth_consumes_the_booking_events_the_catalog_routes_to_it() -> None:
    subscription = World().subscription
    assert subscription.consumer == "auth"
    assert subscription.event_names == (
        "booking.cancelled",
        "booking.confirmed",
        "booking.created",
        "booking.failed",
        "booking.rescheduled",
    )
    assert set(subscription.event_names) <= {e.name for e in subscribed_by("auth")}
    assert set(subscription.event_names) <= set(EXPECTED_FIELDS)


async def test_a_booking_is_followed_through_its_life() -> None:
    world = World()
    ann = await world.owner()
    booking = Booking(ann.user_id)

    world.publish(booking.created())
    report = await world.bus.drain()
    assert report.relayed == 1
    assert await world.entry(ann, booking.booking_id) == BookingHistoryEntry(
        booking_id=booking.booking_id,
        owner_id=ann.user_id,
        pet_id=booking.pet_id,
        clinic_id=CLINIC,
        starts_at=T0,
        ends_at=T0 + timedelta(minutes=30),
        status=BookingHistoryStatus.CREATED,
        version=1,
    )

    world.publish(booking.confirmed())
    await world.bus.drain()
    assert (await world.entry(ann, booking.booking_id)).status == "confirmed"

    moved_to = T0 + timedelta(days=2, hours=3)
    world.publish(booking.rescheduled(moved_to))
    await world.bus.drain()
    moved = await world.entry(ann, booking.booking_id)
    assert (moved.status, moved.starts_at, moved.ends_at, moved.version) == (
        "confirmed",
        moved_to,
        moved_to + timedelta(minutes=30),
        3,
    )

    world.publish(booking.cancelled("the dog is better"))
    await world.bus.drain()
    cancelled = await world.entry(ann, booking.booking_id)
    assert (cancelled.status, cancelled.reason, cancelled.starts_at, cancelled.version) == (
        "cancelled",
        "the dog is better",
        moved_to,
        4,
    )
    assert world.inbox_size() == 4


async def test_a_failed_booking_says_why() -> None:
    world = World()
    ann = await world.owner()
    booking = Booking(ann.user_id)
    world.publish(booking.created(), booking.failed("card declined"))

    await world.bus.drain()

    failed = await world.entry(ann, booking.booking_id)
    assert (failed.status, failed.reason, failed.version) == ("failed", "card declined", 2)


async def test_older_events_arriving_after_newer_ones_change_nothing() -> None:
    world = World()
    ann = await world.owner()
    booking = Booking(ann.user_id)
    created, confirmed = booking.created(), booking.confirmed()
    cancelled = booking.cancelled()

    # Committed (and so relayed) newest first: the cancellation, then what came before it.
    world.publish(cancelled)
    await world.bus.drain()
    world.publish(confirmed, created)
    await world.bus.drain()

    entry = await world.entry(ann, booking.booking_id)
    assert (entry.status, entry.version) == ("cancelled", 3)
    assert world.inbox_size() == 3  # each handled, none applied backwards


async def _lives_of_three_bookings(world: World, owner: Principal) -> list[Booking]:
    first, second, third = (
        Booking(owner.user_id, starts_at=T0 + timedelta(days=n)) for n in range(3)
    )
    world.publish(first.created(), second.created(), third.created())
    world.publish(first.confirmed(), second.failed(), third.confirmed())
    world.publish(first.rescheduled(T0 + timedelta(days=9)), third.cancelled())
    world.publish(first.cancelled("moved away"))
    return [first, second, third]


async def _expected_history() -> list[tuple[str, str | None, int]]:
    world = World()
    ann = await world.owner()
    await _lives_of_three_bookings(world, ann)
    await world.bus.drain()
    return [(e.status, e.reason, e.version) for e in (await world.history(ann)).items]


async def test_duplicate_delivery_changes_nothing() -> None:
    world = World(duplicate_deliveries=True)
    ann = await world.owner()
    await _lives_of_three_bookings(world, ann)

    report = await world.bus.drain()

    history = [(e.status, e.reason, e.version) for e in (await world.history(ann)).items]
    assert history == await _expected_history()
    assert history == [
        ("cancelled", "moved away", 4),  # the first booking, moved to the latest start
        ("cancelled", "the dog is better", 3),
        ("failed", "card declined", 2),
    ]
    assert world.inbox_size() == 9  # nine events, each handled once
    assert report.settled >= 2 * 9  # every message came twice


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
async def test_reordered_delivery_never_moves_the_history_backwards(seed: int) -> None:
    world = World(reorder_seed=seed)
    ann = await world.owner()
    await _lives_of_three_bookings(world, ann)

    await world.bus.drain()

    history = [(e.status, e.reason, e.version) for e in (await world.history(ann)).items]
    assert history == await _expected_history()


async def test_the_history_lists_the_latest_start_first_one_page_at_a_time() -> None:
    world = World()
    ann, bob = await world.owner(), await world.owner("bob@example.com")
    starts = [T0 + timedelta(days=d) for d in (3, 1, 4, 2)]
    anns = [Booking(ann.user_id, starts_at=s) for s in starts]
    bobs = Booking(bob.user_id, starts_at=T0 + timedelta(days=10))
    world.publish(*(b.created() for b in [*anns, bobs]))
    await world.bus.drain()

    page = await world.history(ann, limit=3)
    assert [e.starts_at for e in page.items] == sorted(starts, reverse=True)[:3]
    assert (page.total, page.limit, page.offset) == (4, 3, 0)
    rest = await world.history(ann, limit=3, offset=3)
    assert [e.starts_at for e in rest.items] == [min(starts)]
    assert rest.total == 4
    assert [e.booking_id for e in (await world.history(bob)).items] == [bobs.booking_id]


async def test_someone_without_bookings_has_an_empty_history() -> None:
    world = World()
    ann = await world.owner()
    assert await world.history(ann) == Page(items=[], total=0, limit=50, offset=0)


async def test_only_admins_read_another_users_history() -> None:
    world = World()
    ann, bob = await world.owner(), await world.owner("bob@example.com")
    vet = await world.owner("vet@example.com", roles=frozenset({Role.VET}))
    admin = await world.owner("admin@example.com", roles=frozenset({Role.ADMIN}))
    booking = Booking(ann.user_id)
    world.publish(booking.created())
    await world.bus.drain()

    for intruder in (bob, vet):
        with pytest.raises(PermissionDenied):
            await world.history(intruder, ann.user_id)
    for reader in (admin, OPERATOR):
        seen = await world.history(reader, ann.user_id)
        assert [e.booking_id for e in seen.items] == [booking.booking_id]
    assert (await world.history(vet)).total == 0  # anyone may read their own
    with pytest.raises(UserNotFound):
        await world.history(admin, new_id())


def test_an_entry_is_validated() -> None:
    valid: dict[str, Any] = {
        "booking_id": new_id(),
        "owner_id": new_id(),
        "pet_id": new_id(),
        "clinic_id": CLINIC,
        "starts_at": T0,
        "ends_at": T0 + timedelta(minutes=30),
        "status": "created",
        "version": 1,
    }
    assert BookingHistoryEntry(**valid).status is BookingHistoryStatus.CREATED
    assert BookingHistoryEntry(**{**valid, "status": "failed", "reason": "declined"}).reason
    for wrong in (
        {"version": 0},
        {"ends_at": T0},
        {"starts_at": datetime(2026, 5, 4, 9, 0)},
        {"status": "held"},
        {"status": "cancelled"},  # a cancellation says why
        {"status": "failed", "reason": "  "},
        {"reason": "no reason to give"},  # only cancelled and failed bookings have one
    ):
        with pytest.raises(ValueError):
            BookingHistoryEntry(**{**valid, **wrong})


def test_only_a_strictly_newer_version_supersedes() -> None:
    def at(version: int) -> BookingHistoryEntry:
        return BookingHistoryEntry(
            booking_id=CLINIC,
            owner_id=CLINIC,
            pet_id=CLINIC,
            clinic_id=CLINIC,
            starts_at=T0,
            ends_at=T0 + timedelta(hours=1),
            status=BookingHistoryStatus.CONFIRMED,
            version=version,
        )

    assert at(2).supersedes(None) and at(2).supersedes(at(1))
    assert not at(2).supersedes(at(2)) and not at(2).supersedes(at(3))
