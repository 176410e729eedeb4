"""The event catalog: every published event, who publishes it, who subscribes, and why.

One entry per event name; its versions run oldest to newest. Consumers always receive the
newest version: an older message is upcast on read, one version step at a time, by the
entry's upcasters (pure functions over the JSON payload).

Publishers and subscribers are context package names (`petpro_core.<context>`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from petpro_core.contracts.auth import (
    PetCreated,
    PetCreatedV1,
    PetDeleted,
    PetUpdated,
    PetUpdatedV1,
    UserCreated,
    UserUpdated,
    pet_snapshot_v1_to_v2,
)
from petpro_core.contracts.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingCreated,
    BookingFailed,
    BookingRescheduled,
    PaymentProcessed,
    PaymentRefunded,
)
from petpro_core.contracts.clinic import (
    ClinicCreated,
    ClinicCreatedV1,
    ClinicUpdated,
    ClinicUpdatedV1,
    ScheduleUpdated,
    ServiceCreated,
    ServiceUpdated,
    clinic_snapshot_v1_to_v2,
)
from petpro_core.contracts.inventory import (
    CustomerOrderCancelled,
    CustomerOrderFulfilled,
    CustomerOrderPlaced,
    ProductCreated,
    ProductsReleased,
    ProductsReservationFailed,
    ProductsReserved,
    ProductUpdated,
    StockChanged,
    StockLow,
    StockReceived,
)
from petpro_core.contracts.vendor import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    ShipmentCreated,
)
from petpro_core.shared.events import Event

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]

CONTEXTS: tuple[str, ...] = (
    "auth",
    "booking",
    "clinic",
    "inventory",
    "vendor",
    "notification",
    "finance",
)


class UnknownEventType(LookupError):
    """A message's type is not in the catalog (or its version is newer than this code)."""


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    publisher: str
    subscribers: tuple[str, ...]
    purpose: str
    versions: tuple[type[Event], ...]
    # upcasters[k] turns a version-k payload into a version-(k+1) payload.
    upcasters: Mapping[int, Upcaster] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if [v.VERSION for v in self.versions] != list(range(1, len(self.versions) + 1)):
            raise ValueError(f"{self.name}: versions must be 1..n in order")
        if any(self.name != v.NAME for v in self.versions):
            raise ValueError(f"{self.name}: every version must carry the entry's name")
        missing = set(range(1, len(self.versions))) - set(self.upcasters)
        if missing:
            raise ValueError(f"{self.name}: no upcaster from version(s) {sorted(missing)}")
        unknown = {self.publisher, *self.subscribers} - set(CONTEXTS)
        if unknown:
            raise ValueError(f"{self.name}: unknown context(s) {sorted(unknown)}")
        if self.publisher in self.subscribers or len(set(self.subscribers)) != len(
            self.subscribers
        ):
            raise ValueError(f"{self.name}: subscribers are distinct and exclude the publisher")

    @property
    def current(self) -> type[Event]:
        return self.versions[-1]

    def upcast(self, version: int, payload: Payload) -> Payload:
        """A payload of `version` as a payload of the current version."""
        for step in range(version, self.current.VERSION):
            payload = self.upcasters[step](payload)
        return payload


_EVERY_CONTEXT_BUT_AUTH = ("booking", "clinic", "inventory", "notification", "finance", "vendor")

CATALOG: tuple[CatalogEntry, ...] = (
    # -- auth: users and pets
    CatalogEntry(
        "user.created",
        "auth",
        # The seed lists booking, inventory and clinic; notification needs the new user's
        # address and language too, or it could not write to anyone before their first edit.
        ("booking", "inventory", "clinic", "notification"),
        "Initialise user data in other services.",
        (UserCreated,),
    ),
    CatalogEntry(
        "user.updated", "auth", _EVERY_CONTEXT_BUT_AUTH, "Synchronise user details.", (UserUpdated,)
    ),
    CatalogEntry(
        "pet.created",
        "auth",
        ("booking",),
        "Make the pet available for appointments.",
        (PetCreatedV1, PetCreated),
        {1: pet_snapshot_v1_to_v2},
    ),
    CatalogEntry(
        "pet.updated",
        "auth",
        ("booking",),
        "Keep the booking service's pet details current.",
        (PetUpdatedV1, PetUpdated),
        {1: pet_snapshot_v1_to_v2},
    ),
    CatalogEntry("pet.deleted", "auth", ("booking",), "Stop booking a removed pet.", (PetDeleted,)),
    # -- clinic
    CatalogEntry(
        "clinic.created",
        "clinic",
        ("booking", "auth", "inventory", "notification", "finance"),
        "Offer a new clinic for booking, staff permissions, stock, staff notices and reports.",
        (ClinicCreatedV1, ClinicCreated),
        {1: clinic_snapshot_v1_to_v2},
    ),
    CatalogEntry(
        "clinic.updated",
        "clinic",
        ("booking", "auth", "inventory", "notification", "finance"),
        "Keep cached clinic details (name, contact, time zone, policy, staff) current.",
        (ClinicUpdatedV1, ClinicUpdated),
        {1: clinic_snapshot_v1_to_v2},
    ),
    CatalogEntry(
        "service.created",
        "clinic",
        ("booking",),
        "Offer a new service for booking.",
        (ServiceCreated,),
    ),
    CatalogEntry(
        "service.updated",
        "clinic",
        ("booking",),
        "Keep a service's duration, buffers, price and vets current (or withdraw it).",
        (ServiceUpdated,),
    ),
    CatalogEntry(
        "schedule.updated",
        "clinic",
        ("booking",),
        "Recompute availability from the vets' hours and the clinic's exceptions.",
        (ScheduleUpdated,),
    ),
    # -- booking: bookings and payments
    CatalogEntry(
        "booking.created",
        "booking",
        ("auth", "clinic", "notification"),
        "Update booking history, plan the clinic's day, notify the owner.",
        (BookingCreated,),
    ),
    CatalogEntry(
        "booking.confirmed",
        "booking",
        ("auth", "clinic", "notification"),
        "Mark the appointment as certain and send the confirmation.",
        (BookingConfirmed,),
    ),
    CatalogEntry(
        "booking.cancelled",
        "booking",
        ("auth", "clinic", "finance", "notification"),
        "Process the cancellation, free the slot, handle the refund.",
        (BookingCancelled,),
    ),
    CatalogEntry(
        "booking.rescheduled",
        "booking",
        ("auth", "clinic", "notification"),
        "Move the appointment in histories and day plans; re-plan reminders.",
        (BookingRescheduled,),
    ),
    CatalogEntry(
        "booking.failed",
        "booking",
        ("auth", "notification"),
        "Record the failed attempt and tell the owner why.",
        (BookingFailed,),
    ),
    CatalogEntry(
        "payment.processed",
        "booking",
        ("finance", "notification"),
        "Update financial records and send the receipt.",
        (PaymentProcessed,),
    ),
    CatalogEntry(
        "payment.refunded",
        "booking",
        ("finance", "notification"),
        "Record the refund and tell the owner.",
        (PaymentRefunded,),
    ),
    # -- inventory: products and stock
    CatalogEntry(
        "product.created",
        "inventory",
        ("vendor",),
        "Add the product to the supply catalogue.",
        (ProductCreated,),
    ),
    CatalogEntry(
        "product.updated",
        "inventory",
        ("vendor",),
        "Keep the supply catalogue current.",
        (ProductUpdated,),
    ),
    CatalogEntry(
        "product.stock_changed",
        "inventory",
        ("vendor", "notification"),
        "Keep vendors' view of stock current and staff informed.",
        (StockChanged,),
    ),
    CatalogEntry(
        "stock.low",
        "inventory",
        ("vendor", "notification"),
        "Trigger a reorder and warn staff of low stock.",
        (StockLow,),
    ),
    CatalogEntry(
        "stock.received",
        "inventory",
        ("vendor", "notification"),
        "Confirm the receipt to the vendor and tell staff the stock arrived.",
        (StockReceived,),
    ),
    CatalogEntry(
        "products.reserved",
        "inventory",
        ("booking",),
        "Answer a reservation request: every line is held for the visit or order.",
        (ProductsReserved,),
    ),
    CatalogEntry(
        "products.reservation_failed",
        "inventory",
        ("booking",),
        "Answer a reservation request: nothing was held, so the requester compensates.",
        (ProductsReservationFailed,),
    ),
    CatalogEntry(
        "products.released",
        "inventory",
        ("vendor",),
        "Reserved stock is available again (released or expired).",
        (ProductsReleased,),
    ),
    # -- vendor: purchase orders
    CatalogEntry(
        "order.created",
        "vendor",
        ("inventory", "finance"),
        "Count the stock on order and commit the spend.",
        (OrderCreated,),
    ),
    CatalogEntry(
        "shipment.created",
        "vendor",
        ("inventory", "notification"),
        "Update expected stock and share the tracking details.",
        (ShipmentCreated,),
    ),
    CatalogEntry(
        "order.delivered",
        "vendor",
        ("inventory", "finance", "notification"),
        "Receive the stock, record the payable, notify staff.",
        (OrderDelivered,),
    ),
    CatalogEntry(
        "order.confirmed",
        "vendor",
        ("notification",),
        "Tell staff the vendor accepted the order and when it is due.",
        (OrderConfirmed,),
    ),
    CatalogEntry(
        "order.cancelled",
        "vendor",
        ("inventory", "finance", "notification"),
        "Stop counting the outstanding units as on order, release the commitment, tell staff.",
        (OrderCancelled,),
    ),
    # -- inventory: customer orders (the shop)
    CatalogEntry(
        "customer_order.placed",
        "inventory",
        ("notification", "finance"),
        "Confirm the paid order to the customer and record the sale's payment.",
        (CustomerOrderPlaced,),
    ),
    CatalogEntry(
        "customer_order.fulfilled",
        "inventory",
        ("notification", "finance"),
        "Thank the customer for collecting and recognise the inventory sale.",
        (CustomerOrderFulfilled,),
    ),
    CatalogEntry(
        "customer_order.cancelled",
        "inventory",
        ("notification", "finance"),
        "Tell the customer and post the refund.",
        (CustomerOrderCancelled,),
    ),
)

_EVENT_TYPE = re.compile(r"petpro\.(?P<name>[a-z_]+(?:\.[a-z_]+)+)\.v(?P<version>[1-9][0-9]*)")
_BY_NAME = {entry.name: entry for entry in CATALOG}


def entry(name: str) -> CatalogEntry:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownEventType(f"no event named {name!r} in the catalog") from None


def parse_type(event_type: str) -> tuple[str, int]:
    """`petpro.pet.created.v2` → (`pet.created`, 2)."""
    matched = _EVENT_TYPE.fullmatch(event_type)
    if matched is None:
        raise UnknownEventType(f"{event_type!r} is not a petpro event type")
    return matched["name"], int(matched["version"])


def resolve(event_type: str, payload: Payload) -> tuple[type[Event], Payload]:
    """The current event class for a message of `event_type` and its payload upcast to it."""
    name, version = parse_type(event_type)
    found = entry(name)
    if version > found.current.VERSION:
        raise UnknownEventType(
            f"{event_type} is newer than this code knows (v{found.current.VERSION})"
        )
    return found.current, found.upcast(version, payload)


def published_by(context: str) -> tuple[CatalogEntry, ...]:
    return tuple(e for e in CATALOG if e.publisher == context)


def subscribed_by(context: str) -> tuple[CatalogEntry, ...]:
    return tuple(e for e in CATALOG if context in e.subscribers)
