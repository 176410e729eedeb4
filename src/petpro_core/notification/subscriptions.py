"""What the notification context consumes, and the message each event becomes.

Handlers only write, in the consumer's unit of work: the user and clinic caches, deliveries
with their in-app messages, and reminders. They read only the fields listed in
`expectations.py`.

Who hears what:
- booking.created: the booking's vet when they are on the clinic's staff, else every staff
  member, in-app only.
- booking.confirmed / failed / cancelled / rescheduled: the owner. Confirmed schedules the
  appointment reminder, rescheduled moves it, cancelled cancels it.
- payment.processed / refunded: the owner. customer_order.*: the customer.
- stock.low, stock.received, shipment.created, order.confirmed / cancelled / delivered: the
  staff of the location's clinic, or the admins when the location is not a known clinic.
- product.stock_changed: nothing (too chatty). user.*, clinic.*: the caches only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

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
from petpro_core.contracts.clinic import ClinicCreated, ClinicSnapshot, ClinicUpdated
from petpro_core.contracts.inventory import (
    CustomerOrderCancelled,
    CustomerOrderEvent,
    CustomerOrderFulfilled,
    CustomerOrderPlaced,
    StockChanged,
    StockLow,
    StockReceived,
)
from petpro_core.contracts.vendor import (
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    PurchaseOrderEvent,
    ShipmentCreated,
)
from petpro_core.notification.domain.recipients import KnownClinic, Recipient
from petpro_core.notification.domain.reminders import Reminder
from petpro_core.notification.domain.rendering import (
    format_date,
    format_instant,
    format_money,
    short_ref,
)
from petpro_core.notification.domain.templates import phrase
from petpro_core.notification.ports import NotificationUnitOfWork, NotificationUnitOfWorkFactory
from petpro_core.notification.writing import write_message
from petpro_core.shared.clock import Clock, SystemClock
from petpro_core.shared.events import Event
from petpro_core.shared.subscriptions import Subscription

NOTIFICATION_CONSUMER = "notification"

Handler = Callable[[Any, NotificationUnitOfWork], Awaitable[None]]


# -- caches -----------------------------------------------------------------------------------


async def remember_user(event: UserSnapshot, uow: NotificationUnitOfWork) -> None:
    """Keep the user's address, name, language and roles (stock messages for a location that
    is not a clinic go to the admins)."""
    await uow.recipients.apply(
        Recipient(
            user_id=event.user_id,
            email=event.email or None,
            display_name=event.display_name,
            language=event.language,
            roles=frozenset(event.roles),
            version=event.aggregate_version,
        )
    )


async def remember_clinic(event: ClinicSnapshot, uow: NotificationUnitOfWork) -> None:
    await uow.clinics.apply(
        KnownClinic(
            clinic_id=event.clinic_id,
            name=event.name,
            time_zone=event.time_zone,
            staff_ids=tuple(member.user_id for member in event.staff),
            version=event.aggregate_version,
        )
    )


async def ignore(event: Event, uow: NotificationUnitOfWork) -> None:
    """Consumed and deliberately not turned into a message."""


# -- values -----------------------------------------------------------------------------------


def _place(clinic: KnownClinic | None, location_id: UUID, language: str) -> str:
    if clinic is not None:
        return clinic.name
    return f"{phrase(language, 'location')} {short_ref(location_id)}"


def _booking_values(
    event: BookingSnapshot, clinic: KnownClinic | None, **extra: Callable[[str], str]
) -> Callable[[str], Mapping[str, str]]:
    zone = clinic.time_zone if clinic else None

    def values(language: str) -> Mapping[str, str]:
        return {
            "clinic": clinic.name if clinic else phrase(language, "clinic"),
            "starts": format_instant(event.starts_at, zone, language),
            "ends": format_instant(event.ends_at, zone, language),
            "booking_ref": short_ref(event.booking_id),
            "price": format_money(event.price, language),
            **{name: make(language) for name, make in extra.items()},
        }

    return values


def _at(moment: datetime, clinic: KnownClinic | None) -> Callable[[str], str]:
    return lambda language: format_instant(moment, clinic.time_zone if clinic else None, language)


def _text(value: object) -> Callable[[str], str]:
    return lambda language: str(value)


# -- bookings and payments --------------------------------------------------------------------


class _Handlers:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def _booking_message(
        self,
        event: BookingSnapshot,
        uow: NotificationUnitOfWork,
        recipients: list[UUID],
        **extra: Callable[[str], str],
    ) -> KnownClinic | None:
        clinic = await uow.clinics.get(event.clinic_id)
        await write_message(
            uow,
            source_id=event.event_id,
            kind=event.NAME,
            recipient_ids=recipients,
            values=_booking_values(event, clinic, **extra),
            now=self._clock.now(),
        )
        return clinic

    async def booking_created(self, event: BookingCreated, uow: NotificationUnitOfWork) -> None:
        clinic = await uow.clinics.get(event.clinic_id)
        staff = list(clinic.staff_ids) if clinic else []
        if event.vet_id is not None and event.vet_id in staff:
            staff = [event.vet_id]
        await self._booking_message(event, uow, staff)

    async def booking_confirmed(self, event: BookingConfirmed, uow: NotificationUnitOfWork) -> None:
        await self._booking_message(event, uow, [event.owner_id])
        await self._schedule_reminder(event, uow)

    async def booking_rescheduled(
        self, event: BookingRescheduled, uow: NotificationUnitOfWork
    ) -> None:
        clinic = await uow.clinics.get(event.clinic_id)
        await self._booking_message(
            event, uow, [event.owner_id], previous_starts=_at(event.previous_starts_at, clinic)
        )
        await self._schedule_reminder(event, uow)

    async def booking_failed(self, event: BookingFailed, uow: NotificationUnitOfWork) -> None:
        await self._booking_message(event, uow, [event.owner_id], reason=_text(event.reason))

    async def booking_cancelled(self, event: BookingCancelled, uow: NotificationUnitOfWork) -> None:
        def refund(language: str) -> str:
            if event.refund.amount == 0:
                return phrase(language, "refund.none")
            return format_money(event.refund, language)

        await self._booking_message(
            event, uow, [event.owner_id], reason=_text(event.reason), refund=refund
        )
        stored = await uow.reminders.get(event.booking_id)
        if stored is None:
            await uow.reminders.put(
                Reminder.cancelled_before_seen(
                    booking_id=event.booking_id,
                    owner_id=event.owner_id,
                    clinic_id=event.clinic_id,
                    starts_at=event.starts_at,
                    booking_version=event.aggregate_version,
                )
            )
            return
        cancelled = stored.cancelled(event.aggregate_version)
        if cancelled is not None:
            await uow.reminders.put(cancelled)

    async def _schedule_reminder(self, event: BookingSnapshot, uow: NotificationUnitOfWork) -> None:
        reminder = Reminder.schedule(
            booking_id=event.booking_id,
            owner_id=event.owner_id,
            clinic_id=event.clinic_id,
            starts_at=event.starts_at,
            booking_version=event.aggregate_version,
            now=self._clock.now(),
            stored=await uow.reminders.get(event.booking_id),
        )
        if reminder is not None:
            await uow.reminders.put(reminder)

    async def payment(
        self, event: PaymentProcessed | PaymentRefunded, uow: NotificationUnitOfWork
    ) -> None:
        method = getattr(event, "method", None)

        def values(language: str) -> Mapping[str, str]:
            answer = {
                "amount": format_money(event.amount, language),
                "booking_ref": short_ref(event.booking_id),
            }
            if method is not None:
                answer["method"] = phrase(language, f"method.{method}")
            return answer

        await write_message(
            uow,
            source_id=event.event_id,
            kind=event.NAME,
            recipient_ids=[event.owner_id],
            values=values,
            now=self._clock.now(),
        )

    # -- the shop -----------------------------------------------------------------------------

    async def customer_order(self, event: CustomerOrderEvent, uow: NotificationUnitOfWork) -> None:
        clinic = await uow.clinics.get(event.location_id)

        def values(language: str) -> Mapping[str, str]:
            answer = {
                "order_ref": short_ref(event.customer_order_id),
                "location": _place(clinic, event.location_id, language),
                "total": format_money(event.total, language),
                "items": str(sum(line.quantity for line in event.lines)),
            }
            if isinstance(event, CustomerOrderPlaced):
                answer["pick_up_by"] = format_instant(
                    event.pick_up_by, clinic.time_zone if clinic else None, language
                )
            if isinstance(event, CustomerOrderCancelled):
                answer["reason"] = event.reason
                answer["refund"] = format_money(event.refund, language)
            return answer

        await write_message(
            uow,
            source_id=event.event_id,
            kind=event.NAME,
            recipient_ids=[event.customer_id],
            values=values,
            now=self._clock.now(),
        )

    # -- stock and purchasing: the location's clinic staff, else the admins --------------------

    async def _location_message(
        self,
        event: Event,
        uow: NotificationUnitOfWork,
        location_id: UUID,
        values: Callable[[KnownClinic | None, str], Mapping[str, str]],
    ) -> None:
        clinic = await uow.clinics.get(location_id)
        if clinic is not None:
            recipients = list(clinic.staff_ids)
        else:
            recipients = [admin.user_id for admin in await uow.recipients.admins()]
        await write_message(
            uow,
            source_id=event.event_id,
            kind=event.NAME,
            recipient_ids=recipients,
            values=lambda language: {
                "location": _place(clinic, location_id, language),
                **values(clinic, language),
            },
            now=self._clock.now(),
        )

    async def stock(self, event: StockLow | StockReceived, uow: NotificationUnitOfWork) -> None:
        def values(clinic: KnownClinic | None, language: str) -> Mapping[str, str]:
            answer = {
                "product": event.product_name,
                "sku": event.sku,
                "available": str(event.available),
            }
            if isinstance(event, StockLow):
                answer["threshold"] = str(event.threshold)
            else:
                answer["quantity"] = str(event.quantity)
            return answer

        await self._location_message(event, uow, event.location_id, values)

    async def purchase_order(self, event: PurchaseOrderEvent, uow: NotificationUnitOfWork) -> None:
        def values(clinic: KnownClinic | None, language: str) -> Mapping[str, str]:
            answer = {"order_ref": short_ref(event.purchase_order_id)}
            if isinstance(event, ShipmentCreated):
                answer["carrier"] = event.carrier
                answer["tracking"] = event.tracking_number
                answer["expected"] = format_date(event.expected_delivery_on, language)
            elif isinstance(event, OrderConfirmed):
                answer["expected"] = format_date(event.expected_on, language)
            elif isinstance(event, OrderCancelled):
                answer["reason"] = event.reason
            elif isinstance(event, OrderDelivered):
                answer["delivered"] = str(event.quantity_delivered)
                progress = "delivery.partial" if event.partial else "delivery.complete"
                answer["progress"] = phrase(language, progress)
            return answer

        await self._location_message(event, uow, event.location_id, values)


def notification_subscription(
    unit_of_work: NotificationUnitOfWorkFactory, clock: Clock | None = None
) -> Subscription:
    handlers = _Handlers(clock or SystemClock())
    table: dict[type[Event], Handler] = {
        UserCreated: remember_user,
        UserUpdated: remember_user,
        ClinicCreated: remember_clinic,
        ClinicUpdated: remember_clinic,
        BookingCreated: handlers.booking_created,
        BookingConfirmed: handlers.booking_confirmed,
        BookingFailed: handlers.booking_failed,
        BookingCancelled: handlers.booking_cancelled,
        BookingRescheduled: handlers.booking_rescheduled,
        PaymentProcessed: handlers.payment,
        PaymentRefunded: handlers.payment,
        StockChanged: ignore,
        StockLow: handlers.stock,
        StockReceived: handlers.stock,
        ShipmentCreated: handlers.purchase_order,
        OrderConfirmed: handlers.purchase_order,
        OrderCancelled: handlers.purchase_order,
        OrderDelivered: handlers.purchase_order,
        CustomerOrderPlaced: handlers.customer_order,
        CustomerOrderFulfilled: handlers.customer_order,
        CustomerOrderCancelled: handlers.customer_order,
    }
    return Subscription(
        consumer=NOTIFICATION_CONSUMER,
        unit_of_work=unit_of_work,
        handlers=table,
    )
