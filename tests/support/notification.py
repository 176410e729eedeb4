"""The notification context on memory for tests: its bus with the handlers, its subscription
fed by a consumer loop in miniature (inbox claim, handlers, commit), a fixed clock, a
hand-written fake channel per external channel, and builders of the events it consumes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from adapters.memory.notification import (
    InMemoryNotificationUnitOfWork,
    NotificationState,
    in_memory_notification_store,
)
from adapters.memory.unit_of_work import InMemoryStore
from petpro_core.contracts.auth import UserCreated, UserSnapshot, UserUpdated
from petpro_core.contracts.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingCreated,
    BookingFailed,
    BookingRescheduled,
    BookingSnapshot,
    PaymentProcessed,
    PaymentRefunded,
)
from petpro_core.contracts.clinic import (
    BookingPolicy,
    ClinicCreated,
    ClinicSnapshot,
    PostalAddress,
    StaffMember,
)
from petpro_core.contracts.inventory import (
    CustomerOrderLine,
    CustomerOrderPlaced,
    StockChanged,
    StockLow,
)
from petpro_core.contracts.vendor import OrderDelivered, ShipmentCreated
from petpro_core.notification.channels import (
    Channel,
    DeliveryFailed,
    NotificationChannel,
    OutgoingMessage,
)
from petpro_core.notification.commands import DispatchDueDeliveries, SendDueReminders
from petpro_core.notification.domain.deliveries import Delivery, RetryPolicy
from petpro_core.notification.domain.inbox import InAppMessage
from petpro_core.notification.domain.planning import CHANNEL_ORDER
from petpro_core.notification.handlers import NotificationDependencies, NotificationHandlers
from petpro_core.notification.ports import NotificationUnitOfWorkFactory
from petpro_core.notification.subscriptions import notification_subscription
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money
from petpro_core.shared.subscriptions import Subscription
from tests.support.consuming import deliver_batches

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
CLINIC = UUID("00000000-0000-4000-8000-00000000c111")
WAREHOUSE = UUID("00000000-0000-4000-8000-00000000a001")
OWNER_ID = UUID("00000000-0000-4000-8000-0000000000a1")
STAFF_ID = UUID("00000000-0000-4000-8000-0000000000b1")
VET_ID = UUID("00000000-0000-4000-8000-0000000000b2")
ADMIN_ID = UUID("00000000-0000-4000-8000-0000000000c1")
OWNER = Actor(user_id=OWNER_ID, roles=frozenset({"pet_owner"}))
ADMIN = Actor(user_id=ADMIN_ID, roles=frozenset({"admin"}))


class FakeChannel:
    """Records what it was given. `fail_times(n)` makes the next n sends fail (retryably),
    `fail_permanently()` makes every send fail for good, `crash_times(n)` raises a plain
    exception (a channel bug)."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self.sent: list[OutgoingMessage] = []
        self.attempts = 0
        self._failures = 0
        self._crashes = 0
        self._permanent = False

    @property
    def channel(self) -> Channel:
        return self._channel

    def fail_times(self, n: int) -> None:
        self._failures = n

    def crash_times(self, n: int) -> None:
        self._crashes = n

    def fail_permanently(self) -> None:
        self._permanent = True

    async def send(self, message: OutgoingMessage) -> None:
        self.attempts += 1
        if self._permanent:
            raise DeliveryFailed("550 mailbox unavailable", permanent=True)
        if self._crashes:
            self._crashes -= 1
            raise RuntimeError("channel bug")
        if self._failures:
            self._failures -= 1
            raise DeliveryFailed("421 try again later")
        self.sent.append(message)


class NotificationHarness:
    def __init__(
        self,
        uow: NotificationUnitOfWorkFactory | None = None,
        *,
        channels: Sequence[Channel] = (Channel.EMAIL, Channel.SMS, Channel.PUSH),
        retry: RetryPolicy | None = None,
    ) -> None:
        self.store: InMemoryStore[NotificationState] | None = None
        if uow is None:
            store = in_memory_notification_store()
            self.store = store
            uow = lambda: InMemoryNotificationUnitOfWork(store)  # noqa: E731
        self.uow = uow
        self.clock = FixedClock(T0)
        self.channels = {channel: FakeChannel(channel) for channel in channels}
        configured: dict[Channel, NotificationChannel] = dict(self.channels)
        self.retry = retry or RetryPolicy()
        self.bus = MessageBus()
        NotificationHandlers(
            NotificationDependencies(
                uow=uow,
                clock=self.clock,
                channels=configured,
                retry=self.retry,
                random=lambda: 0.5,
            )
        ).register(self.bus)
        self.subscription: Subscription = notification_subscription(uow, self.clock)

    async def execute(self, command: Any) -> Any:
        return await self.bus.execute(command)

    async def deliver(self, *batches: Sequence[Event]) -> list[UUID]:
        """Each batch in one unit of work, as the consumer does (see `deliver_batches`)."""
        return await deliver_batches(self.subscription, *batches)

    async def dispatch(self, limit: int = 50) -> int:
        handled: int = await self.execute(DispatchDueDeliveries(limit=limit))
        return handled

    async def send_reminders(self, limit: int = 100) -> int:
        handled: int = await self.execute(SendDueReminders(limit=limit))
        return handled

    # -- looking inside ----------------------------------------------------------------------

    def state(self) -> NotificationState:
        assert self.store is not None
        return self.store.state

    def deliveries(self, **match: Any) -> list[Delivery]:
        found = [
            d
            for d in self.state().deliveries.values()
            if all(getattr(d, name) == value for name, value in match.items())
        ]
        return sorted(
            found,
            key=lambda d: (d.created_at, d.kind, d.recipient_id, CHANNEL_ORDER.index(d.channel)),
        )

    def inbox_of(self, user_id: UUID) -> list[InAppMessage]:
        return sorted(
            (m for m in self.state().messages.values() if m.user_id == user_id),
            key=lambda m: (m.created_at, m.message_id),
        )

    def sent(self, channel: Channel) -> list[OutgoingMessage]:
        return self.channels[channel].sent

    # -- setting the scene -------------------------------------------------------------------

    async def user(
        self,
        user_id: UUID = OWNER_ID,
        *,
        language: str = "en",
        name: str = "Aiko",
        email: str = "aiko@example.com",
        roles: tuple[str, ...] = ("pet_owner",),
        version: int = 1,
    ) -> UUID:
        await self.deliver(
            [
                user_event(
                    user_id, language=language, name=name, email=email, roles=roles, version=version
                )
            ]
        )
        return user_id

    async def clinic(
        self,
        clinic_id: UUID = CLINIC,
        *,
        staff: tuple[UUID, ...] = (STAFF_ID,),
        time_zone: str = "Asia/Tokyo",
        name: str = "Shibuya Animal Clinic",
        version: int = 1,
    ) -> UUID:
        await self.deliver(
            [clinic_event(clinic_id, staff=staff, time_zone=time_zone, name=name, version=version)]
        )
        return clinic_id


# -- event builders ---------------------------------------------------------------------------


def user_event(
    user_id: UUID = OWNER_ID,
    *,
    language: str = "en",
    name: str = "Aiko",
    email: str = "aiko@example.com",
    roles: tuple[str, ...] = ("pet_owner",),
    version: int = 1,
    event_type: type[UserSnapshot] | None = None,
) -> UserSnapshot:
    kind = event_type or (UserCreated if version == 1 else UserUpdated)
    return kind(
        occurred_at=T0 - timedelta(days=30) + timedelta(minutes=version),
        aggregate_version=version,
        user_id=user_id,
        email=email,
        display_name=name,
        roles=roles,
        language=language,
    )


def clinic_event(
    clinic_id: UUID = CLINIC,
    *,
    staff: tuple[UUID, ...] = (STAFF_ID,),
    time_zone: str = "Asia/Tokyo",
    name: str = "Shibuya Animal Clinic",
    version: int = 1,
    event_type: type[ClinicSnapshot] = ClinicCreated,
) -> ClinicSnapshot:
    return event_type(
        occurred_at=T0 - timedelta(days=30) + timedelta(minutes=version),
        aggregate_version=version,
        clinic_id=clinic_id,
        name=name,
        address=PostalAddress(
            lines=("1-2-3 Jingumae",),
            locality="Shibuya",
            region="Tokyo",
            postal_code="150-0001",
            country="JP",
        ),
        phone=None,
        email=None,
        time_zone=time_zone,
        booking_policy=BookingPolicy(),
        staff=tuple(StaffMember(user_id=u, role="clinic_staff") for u in staff),
    )


BOOKING = UUID("00000000-0000-4000-8000-0000000b0001")
STARTS = datetime(2026, 3, 5, 1, 30, tzinfo=UTC)  # Thu 5 Mar 2026, 10:30 in Tokyo


def booking_event(
    event_type: type[BookingSnapshot],
    *,
    booking_id: UUID = BOOKING,
    version: int = 2,
    starts_at: datetime = STARTS,
    owner_id: UUID = OWNER_ID,
    clinic_id: UUID = CLINIC,
    vet_id: UUID | None = VET_ID,
    **extra: Any,
) -> Any:
    return event_type(
        occurred_at=T0,
        aggregate_version=version,
        booking_id=booking_id,
        owner_id=owner_id,
        pet_id=UUID(int=77),
        clinic_id=clinic_id,
        service_id=UUID(int=78),
        vet_id=vet_id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        price=Money(Decimal(5000), "JPY"),
        **extra,
    )


def booking_created(**fields: Any) -> BookingCreated:
    event: BookingCreated = booking_event(BookingCreated, **{"version": 1, **fields})
    return event


def booking_confirmed(**fields: Any) -> BookingConfirmed:
    event: BookingConfirmed = booking_event(BookingConfirmed, **fields)
    return event


def booking_failed(reason: str = "card declined", **fields: Any) -> BookingFailed:
    event: BookingFailed = booking_event(BookingFailed, reason=reason, **fields)
    return event


def booking_cancelled(refund: int = 5000, **fields: Any) -> BookingCancelled:
    event: BookingCancelled = booking_event(
        BookingCancelled,
        **{"version": 3, **fields},
        cancelled_by="owner",
        cancelled_by_user_id=fields.get("owner_id", OWNER_ID),
        reason="plans changed",
        refund=Money(Decimal(refund), "JPY"),
    )
    return event


def booking_rescheduled(
    starts_at: datetime, previous: datetime = STARTS, **fields: Any
) -> BookingRescheduled:
    event: BookingRescheduled = booking_event(
        BookingRescheduled,
        **{"version": 3, **fields},
        starts_at=starts_at,
        previous_starts_at=previous,
        previous_vet_id=VET_ID,
    )
    return event


def payment_processed(amount: int = 5000) -> PaymentProcessed:
    return PaymentProcessed(
        occurred_at=T0,
        aggregate_version=1,
        payment_id=new_id(),
        booking_id=BOOKING,
        clinic_id=CLINIC,
        owner_id=OWNER_ID,
        amount=Money(Decimal(amount), "JPY"),
        method="card",
    )


def payment_refunded(amount: int = 5000) -> PaymentRefunded:
    return PaymentRefunded(
        occurred_at=T0,
        aggregate_version=2,
        payment_id=new_id(),
        booking_id=BOOKING,
        clinic_id=CLINIC,
        owner_id=OWNER_ID,
        amount=Money(Decimal(amount), "JPY"),
        cause="cancelled",
    )


def stock_low(location_id: UUID = CLINIC, *, version: int = 3) -> StockLow:
    return StockLow(
        occurred_at=T0,
        aggregate_version=version,
        stock_item_id=UUID(int=900),
        product_id=UUID(int=901),
        sku="FLEA-10",
        product_name="Flea drops",
        location_id=location_id,
        available=2,
        threshold=5,
        reorder_quantity=20,
        on_order=0,
    )


def stock_changed(location_id: UUID = CLINIC) -> StockChanged:
    return StockChanged(
        occurred_at=T0,
        aggregate_version=2,
        stock_item_id=UUID(int=900),
        product_id=UUID(int=901),
        sku="FLEA-10",
        product_name="Flea drops",
        location_id=location_id,
        on_hand=7,
        reserved=0,
        available=7,
        reason="sale",
    )


def shipment_created(location_id: UUID = WAREHOUSE) -> ShipmentCreated:
    return ShipmentCreated(
        occurred_at=T0,
        aggregate_version=3,
        purchase_order_id=UUID(int=1001),
        vendor_id=UUID(int=1002),
        product_id=UUID(int=901),
        location_id=location_id,
        shipment_id=UUID(int=1003),
        quantity=20,
        carrier="Yamato",
        tracking_number="1234-5678",
        expected_delivery_on=date(2026, 3, 6),
    )


def order_delivered(location_id: UUID = CLINIC, *, partial: bool = True) -> OrderDelivered:
    return OrderDelivered(
        occurred_at=T0,
        aggregate_version=4,
        purchase_order_id=UUID(int=1001),
        vendor_id=UUID(int=1002),
        product_id=UUID(int=901),
        location_id=location_id,
        quantity_ordered=20,
        quantity_delivered=10 if partial else 20,
        total_cost=Money(Decimal(10000), "JPY"),
        partial=partial,
    )


def customer_order_placed(customer_id: UUID = OWNER_ID) -> CustomerOrderPlaced:
    return CustomerOrderPlaced(
        occurred_at=T0,
        aggregate_version=1,
        customer_order_id=UUID(int=2001),
        customer_id=customer_id,
        location_id=CLINIC,
        lines=(
            CustomerOrderLine(
                product_id=UUID(int=901),
                sku="FLEA-10",
                quantity=2,
                unit_price=Money(Decimal(1500), "JPY"),
            ),
        ),
        total=Money(Decimal(3000), "JPY"),
        payment_reference="pay_1",
        pick_up_by=T0 + timedelta(days=3),
    )
