"""One realistic example of every catalogued event version, with fixed ids and times.

The schema registry shows each as the `examples` of its JSON Schema, so a consumer sees a
real payload; tests use them to round-trip every event through the codec.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from uuid import UUID

from petpro_core.contracts.auth import (
    PetCreated,
    PetCreatedV1,
    PetDeleted,
    PetUpdated,
    PetUpdatedV1,
    UserCreated,
    UserUpdated,
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
    BookingPolicy,
    ClinicCreated,
    ClinicCreatedV1,
    ClinicUpdated,
    ClinicUpdatedV1,
    PostalAddress,
    ScheduleException,
    ScheduleUpdated,
    ServiceCreated,
    ServiceUpdated,
    StaffMember,
    WorkingHours,
)
from petpro_core.contracts.inventory import (
    CustomerOrderCancelled,
    CustomerOrderFulfilled,
    CustomerOrderLine,
    CustomerOrderPlaced,
    ProductCreated,
    ProductsReleased,
    ProductsReservationFailed,
    ProductsReserved,
    ProductUpdated,
    ReservationLine,
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
from petpro_core.shared.money import Money

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
EVENT_ID = UUID("019cadd8-1e00-7000-8000-000000000001")
USER_ID = UUID("019cadd8-1e00-7000-8000-0000000000a1")
PET_ID = UUID("019cadd8-1e00-7000-8000-0000000000b1")
CLINIC_ID = UUID("019cadd8-1e00-7000-8000-0000000000c1")
SERVICE_ID = UUID("019cadd8-1e00-7000-8000-0000000000c2")
VET_ID = UUID("019cadd8-1e00-7000-8000-0000000000c3")
BOOKING_ID = UUID("019cadd8-1e00-7000-8000-0000000000d1")
PAYMENT_ID = UUID("019cadd8-1e00-7000-8000-0000000000d2")
PRODUCT_ID = UUID("019cadd8-1e00-7000-8000-0000000000e1")
CATEGORY_ID = UUID("019cadd8-1e00-7000-8000-0000000000e2")
STOCK_ITEM_ID = UUID("019cadd8-1e00-7000-8000-0000000000e3")
VENDOR_ID = UUID("019cadd8-1e00-7000-8000-0000000000f1")
PURCHASE_ORDER_ID = UUID("019cadd8-1e00-7000-8000-0000000000f2")
SHIPMENT_ID = UUID("019cadd8-1e00-7000-8000-0000000000f3")
SCHEDULE_ID = UUID("019cadd8-1e00-7000-8000-0000000000c5")
EXCEPTION_ID = UUID("019cadd8-1e00-7000-8000-0000000000c4")
RESERVATION_ID = UUID("019cadd8-1e00-7000-8000-0000000000e4")
CUSTOMER_ORDER_ID = UUID("019cadd8-1e00-7000-8000-0000000000e5")
DELIVERY_ID = UUID("019cadd8-1e00-7000-8000-0000000000f4")

_COMMON: dict[str, Any] = {"occurred_at": AT, "event_id": EVENT_ID}
_USER: dict[str, Any] = {
    "user_id": USER_ID,
    "email": "ann@example.com",
    "display_name": "Ann",
    "roles": ("pet_owner",),
    "language": "en",
}
_PET: dict[str, Any] = {
    "pet_id": PET_ID,
    "owner_id": USER_ID,
    "name": "Mochi",
    "species": "cat",
    "breed": None,
    "sex": "female",
    "date_of_birth": date(2020, 5, 17),
    "microchip": "392141000123456",
}
_CLINIC: dict[str, Any] = {
    "clinic_id": CLINIC_ID,
    "name": "Sakura Animal Clinic",
    "address": PostalAddress(
        lines=("1-2-3 Jingumae",),
        locality="Shibuya",
        region="Tokyo",
        postal_code="150-0001",
        country="JP",
    ),
    "phone": "+81 3-1234-5678",
    "email": "desk@sakura.example",
    "time_zone": "Asia/Tokyo",
}
_CLINIC_V2: dict[str, Any] = {
    **_CLINIC,
    "booking_policy": BookingPolicy(),
    "staff": (StaffMember(user_id=VET_ID, role="vet"),),
}
_SERVICE: dict[str, Any] = {
    "service_id": SERVICE_ID,
    "clinic_id": CLINIC_ID,
    "name": "Annual check-up",
    "duration_minutes": 30,
    "buffer_before_minutes": 0,
    "buffer_after_minutes": 10,
    "price": Money.of("6600", "JPY"),
    "species": ("cat", "dog"),
    "vet_ids": (VET_ID,),
    "active": True,
}
_RESERVATION: dict[str, Any] = {
    "reservation_id": RESERVATION_ID,
    "location_id": CLINIC_ID,
    "reference": f"booking:{BOOKING_ID}",
    "lines": (ReservationLine(product_id=PRODUCT_ID, quantity=1),),
}
_BOOKING: dict[str, Any] = {
    "booking_id": BOOKING_ID,
    "owner_id": USER_ID,
    "pet_id": PET_ID,
    "clinic_id": CLINIC_ID,
    "service_id": SERVICE_ID,
    "vet_id": VET_ID,
    "starts_at": datetime(2026, 3, 10, 1, 0, tzinfo=UTC),
    "ends_at": datetime(2026, 3, 10, 1, 30, tzinfo=UTC),
    "price": Money.of("6600", "JPY"),
}
_PRODUCT: dict[str, Any] = {
    "product_id": PRODUCT_ID,
    "sku": "FLEA-CAT-3",
    "name": "Flea drops for cats",
    "unit": "pack of 3",
    "price": Money.of("2980", "JPY"),
    "category_id": CATEGORY_ID,
    "species": ("cat",),
    "active": True,
}
_STOCK_ITEM: dict[str, Any] = {
    "stock_item_id": STOCK_ITEM_ID,
    "product_id": PRODUCT_ID,
    "sku": "FLEA-CAT-3",
    "product_name": "Flea drops for cats",
    "location_id": CLINIC_ID,
}
_ORDER: dict[str, Any] = {
    "purchase_order_id": PURCHASE_ORDER_ID,
    "vendor_id": VENDOR_ID,
    "product_id": PRODUCT_ID,
    "location_id": CLINIC_ID,
}

_CUSTOMER_ORDER: dict[str, Any] = {
    "customer_order_id": CUSTOMER_ORDER_ID,
    "customer_id": USER_ID,
    "location_id": CLINIC_ID,
    "lines": (
        CustomerOrderLine(
            product_id=PRODUCT_ID, sku="FLEA-CAT-3", quantity=2, unit_price=Money.of("2980", "JPY")
        ),
    ),
    "total": Money.of("5960", "JPY"),
}

_ALL: tuple[Event, ...] = (
    UserCreated(**_COMMON, aggregate_version=1, **_USER),
    UserUpdated(**_COMMON, aggregate_version=2, **_USER),
    PetCreatedV1(**_COMMON, aggregate_version=1, **_PET, weight_kg=Decimal("3.875")),
    PetUpdatedV1(**_COMMON, aggregate_version=2, **_PET, weight_kg=Decimal("4.1")),
    PetCreated(**_COMMON, aggregate_version=1, **_PET, weight_grams=3875),
    PetUpdated(**_COMMON, aggregate_version=2, **_PET, weight_grams=4100),
    PetDeleted(**_COMMON, aggregate_version=3, pet_id=PET_ID, owner_id=USER_ID),
    ClinicCreatedV1(**_COMMON, aggregate_version=1, **_CLINIC),
    ClinicUpdatedV1(**_COMMON, aggregate_version=2, **_CLINIC),
    ClinicCreated(**_COMMON, aggregate_version=1, **_CLINIC_V2),
    ClinicUpdated(**_COMMON, aggregate_version=2, **_CLINIC_V2),
    ServiceCreated(**_COMMON, aggregate_version=1, **_SERVICE),
    ServiceUpdated(**_COMMON, aggregate_version=2, **_SERVICE),
    ScheduleUpdated(
        **_COMMON,
        aggregate_version=3,
        schedule_id=SCHEDULE_ID,
        clinic_id=CLINIC_ID,
        weekly_hours=(
            WorkingHours(vet_id=VET_ID, weekday=1, starts=time(9), ends=time(12, 30)),
            WorkingHours(vet_id=VET_ID, weekday=1, starts=time(14), ends=time(18)),
        ),
        exceptions=(
            ScheduleException(
                exception_id=EXCEPTION_ID,
                vet_id=None,
                kind="holiday",
                first_day=date(2026, 3, 20),
                last_day=date(2026, 3, 20),
                reason="Vernal Equinox Day",
            ),
        ),
    ),
    BookingCreated(**_COMMON, aggregate_version=1, **_BOOKING),
    BookingConfirmed(**_COMMON, aggregate_version=2, **_BOOKING),
    BookingCancelled(
        **_COMMON,
        aggregate_version=3,
        **_BOOKING,
        cancelled_by="owner",
        cancelled_by_user_id=USER_ID,
        reason="The cat is feeling better.",
        refund=Money.of("6600", "JPY"),
    ),
    BookingRescheduled(
        **_COMMON,
        aggregate_version=3,
        **_BOOKING,
        previous_starts_at=datetime(2026, 3, 9, 1, 0, tzinfo=UTC),
        previous_vet_id=VET_ID,
    ),
    BookingFailed(**_COMMON, aggregate_version=2, **_BOOKING, reason="The card was declined."),
    PaymentProcessed(
        **_COMMON,
        aggregate_version=1,
        payment_id=PAYMENT_ID,
        booking_id=BOOKING_ID,
        clinic_id=CLINIC_ID,
        owner_id=USER_ID,
        amount=Money.of("6600", "JPY"),
        method="card",
    ),
    PaymentRefunded(
        **_COMMON,
        aggregate_version=2,
        payment_id=PAYMENT_ID,
        booking_id=BOOKING_ID,
        clinic_id=CLINIC_ID,
        owner_id=USER_ID,
        amount=Money.of("6600", "JPY"),
        cause="cancelled",
    ),
    ProductCreated(**_COMMON, aggregate_version=1, **_PRODUCT),
    ProductUpdated(**_COMMON, aggregate_version=2, **_PRODUCT),
    StockChanged(
        **_COMMON,
        aggregate_version=7,
        **_STOCK_ITEM,
        on_hand=12,
        reserved=2,
        available=10,
        reason="sale",
    ),
    StockLow(
        **_COMMON,
        aggregate_version=8,
        **_STOCK_ITEM,
        available=4,
        threshold=5,
        reorder_quantity=24,
        on_order=0,
        needed_within_days=7,
    ),
    StockReceived(
        **_COMMON,
        aggregate_version=9,
        **_STOCK_ITEM,
        quantity=24,
        purchase_order_id=PURCHASE_ORDER_ID,
        on_hand=30,
        available=28,
    ),
    ProductsReserved(
        **_COMMON,
        aggregate_version=1,
        **_RESERVATION,
        expires_at=datetime(2026, 3, 10, 3, 0, tzinfo=UTC),
    ),
    ProductsReservationFailed(
        **_COMMON,
        aggregate_version=1,
        **_RESERVATION,
        reason="FLEA-CAT-3: 1 wanted, 0 available",
    ),
    ProductsReleased(**_COMMON, aggregate_version=2, **_RESERVATION, reason="booking cancelled"),
    OrderCreated(
        **_COMMON,
        aggregate_version=1,
        **_ORDER,
        vendor_name="Nippon Vet Supply",
        quantity=24,
        unit_cost=Money.of("1500", "JPY"),
        total_cost=Money.of("36000", "JPY"),
        expected_on=date(2026, 3, 6),
    ),
    ShipmentCreated(
        **_COMMON,
        aggregate_version=2,
        **_ORDER,
        shipment_id=SHIPMENT_ID,
        quantity=24,
        carrier="Yamato",
        tracking_number="4455-6677-8899",
        expected_delivery_on=date(2026, 3, 5),
    ),
    OrderDelivered(
        **_COMMON,
        aggregate_version=3,
        **_ORDER,
        quantity_ordered=24,
        quantity_delivered=24,
        total_cost=Money.of("36000", "JPY"),
        partial=False,
        delivery_id=DELIVERY_ID,
        quantity_in_delivery=24,
    ),
    OrderConfirmed(
        **_COMMON, aggregate_version=2, **_ORDER, quantity=24, expected_on=date(2026, 3, 5)
    ),
    OrderCancelled(
        **_COMMON,
        aggregate_version=4,
        **_ORDER,
        quantity_ordered=24,
        quantity_delivered=12,
        reason="the vendor cannot deliver the rest",
    ),
    CustomerOrderPlaced(
        **_COMMON,
        aggregate_version=1,
        **_CUSTOMER_ORDER,
        payment_reference="ch_5f1c_5960_JPY",
        pick_up_by=datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
    ),
    CustomerOrderFulfilled(**_COMMON, aggregate_version=2, **_CUSTOMER_ORDER),
    CustomerOrderCancelled(
        **_COMMON,
        aggregate_version=2,
        **_CUSTOMER_ORDER,
        cancelled_by="customer",
        reason="bought elsewhere",
        refund=Money.of("5960", "JPY"),
    ),
)

EXAMPLES: Mapping[type[Event], Event] = MappingProxyType({type(event): event for event in _ALL})
