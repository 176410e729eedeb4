"""One realistic example of every catalogued event version, with fixed ids and times.

The schema registry shows each as the `examples` of its JSON Schema, so a consumer sees a
real payload; tests use them to round-trip every event through the codec.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
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
    PaymentProcessed,
    PaymentRefunded,
)
from petpro_core.contracts.clinic import ClinicCreated, ClinicUpdated, PostalAddress
from petpro_core.contracts.inventory import (
    ProductCreated,
    ProductUpdated,
    StockChanged,
    StockLow,
    StockReceived,
)
from petpro_core.contracts.vendor import OrderCreated, OrderDelivered, ShipmentCreated
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

_ALL: tuple[Event, ...] = (
    UserCreated(**_COMMON, aggregate_version=1, **_USER),
    UserUpdated(**_COMMON, aggregate_version=2, **_USER),
    PetCreatedV1(**_COMMON, aggregate_version=1, **_PET, weight_kg=Decimal("3.875")),
    PetUpdatedV1(**_COMMON, aggregate_version=2, **_PET, weight_kg=Decimal("4.1")),
    PetCreated(**_COMMON, aggregate_version=1, **_PET, weight_grams=3875),
    PetUpdated(**_COMMON, aggregate_version=2, **_PET, weight_grams=4100),
    PetDeleted(**_COMMON, aggregate_version=3, pet_id=PET_ID, owner_id=USER_ID),
    ClinicCreated(**_COMMON, aggregate_version=1, **_CLINIC),
    ClinicUpdated(**_COMMON, aggregate_version=2, **_CLINIC),
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
    ),
)

EXAMPLES: Mapping[type[Event], Event] = MappingProxyType({type(event): event for event in _ALL})
