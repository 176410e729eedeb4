"""The event catalog: its table, type names, the pet v1 → v2 upcaster, and event invariants."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from petpro_core.contracts.auth import (
    AUTH_EVENTS,
    PetCreated,
    PetCreatedV1,
    PetUpdated,
    PetUpdatedV1,
    kilograms_to_grams,
    pet_snapshot_v1_to_v2,
)
from petpro_core.contracts.booking import (
    BOOKING_EVENTS,
    BookingCancelled,
    BookingCreated,
    PaymentProcessed,
)
from petpro_core.contracts.catalog import (
    CATALOG,
    CONTEXTS,
    CatalogEntry,
    UnknownEventType,
    entry,
    parse_type,
    published_by,
    resolve,
    subscribed_by,
)
from petpro_core.contracts.clinic import CLINIC_EVENTS, ClinicCreated, PostalAddress
from petpro_core.contracts.examples import EXAMPLES
from petpro_core.contracts.inventory import (
    INVENTORY_EVENTS,
    StockChanged,
    StockLow,
    StockReceived,
)
from petpro_core.contracts.vendor import VENDOR_EVENTS, OrderCreated, OrderDelivered
from petpro_core.shared.events import Event
from petpro_core.shared.money import Money

# The catalog as the integration seed and issues 3 and 4 state it: event → (publisher,
# subscribers). Issue 4 adds services, schedules, rescheduling and reservation replies.
EXPECTED_TABLE = {
    "user.created": ("auth", {"booking", "inventory", "clinic", "notification"}),
    "user.updated": (
        "auth",
        {"booking", "clinic", "inventory", "notification", "finance", "vendor"},
    ),
    "pet.created": ("auth", {"booking"}),
    "pet.updated": ("auth", {"booking"}),
    "pet.deleted": ("auth", {"booking"}),
    "clinic.created": ("clinic", {"booking", "auth", "inventory", "notification", "finance"}),
    "clinic.updated": ("clinic", {"booking", "auth", "inventory", "notification", "finance"}),
    "service.created": ("clinic", {"booking"}),
    "service.updated": ("clinic", {"booking"}),
    "schedule.updated": ("clinic", {"booking"}),
    "booking.created": ("booking", {"auth", "clinic", "notification"}),
    "booking.confirmed": ("booking", {"auth", "clinic", "notification"}),
    "booking.cancelled": ("booking", {"auth", "clinic", "finance", "notification"}),
    "booking.rescheduled": ("booking", {"auth", "clinic", "notification"}),
    "booking.failed": ("booking", {"auth", "notification"}),
    "payment.processed": ("booking", {"finance", "notification"}),
    "payment.refunded": ("booking", {"finance", "notification"}),
    "product.created": ("inventory", {"vendor"}),
    "product.updated": ("inventory", {"vendor"}),
    "product.stock_changed": ("inventory", {"vendor", "notification"}),
    "stock.low": ("inventory", {"vendor", "notification"}),
    "stock.received": ("inventory", {"vendor", "notification"}),
    "products.reserved": ("inventory", {"booking"}),
    "products.reservation_failed": ("inventory", {"booking"}),
    "products.released": ("inventory", {"vendor"}),
    "order.created": ("vendor", {"inventory", "finance"}),
    "shipment.created": ("vendor", {"inventory", "notification"}),
    "order.delivered": ("vendor", {"inventory", "finance", "notification"}),
    # Issue 5: the purchase order's whole life, and the shop's customer orders.
    "order.confirmed": ("vendor", {"notification"}),
    "order.cancelled": ("vendor", {"inventory", "finance", "notification"}),
    "customer_order.placed": ("inventory", {"notification", "finance"}),
    "customer_order.fulfilled": ("inventory", {"notification", "finance"}),
    "customer_order.cancelled": ("inventory", {"notification", "finance"}),
}

CURRENT_EVENTS = (
    *AUTH_EVENTS,
    *CLINIC_EVENTS,
    *BOOKING_EVENTS,
    *INVENTORY_EVENTS,
    *VENDOR_EVENTS,
)


def changed(event: Event, **changes: Any) -> Event:
    """A copy of a valid example with some fields changed (re-running its validation)."""
    return dataclasses.replace(event, **changes)


# -- the table ---------------------------------------------------------------------------


def test_the_catalog_lists_every_event_with_its_publisher_and_subscribers() -> None:
    table = {item.name: (item.publisher, set(item.subscribers)) for item in CATALOG}
    assert table == EXPECTED_TABLE
    assert all(item.purpose.endswith(".") and len(item.purpose) > 15 for item in CATALOG)


def test_every_context_module_event_is_the_current_version_of_its_entry() -> None:
    assert sorted(item.current.type_name() for item in CATALOG) == sorted(
        event.type_name() for event in CURRENT_EVENTS
    )


def test_type_names_are_unique_across_every_version() -> None:
    names = [version.type_name() for item in CATALOG for version in item.versions]
    assert len(names) == len(set(names)) == 37
    assert "petpro.pet.created.v1" in names and "petpro.pet.created.v2" in names


def test_every_version_has_an_example_whose_aggregate_id_is_its_own_id() -> None:
    versions = {version for item in CATALOG for version in item.versions}
    assert set(EXAMPLES) == versions
    for event_class, example in EXAMPLES.items():
        assert type(example) is event_class
        own_id = getattr(example, f"{event_class.AGGREGATE}_id")
        assert example.aggregate_id == own_id


def test_subscriber_and_publisher_names_are_context_packages() -> None:
    assert CONTEXTS == (
        "auth",
        "booking",
        "clinic",
        "inventory",
        "vendor",
        "notification",
        "finance",
    )
    assert [item.name for item in published_by("vendor")] == [
        "order.created",
        "shipment.created",
        "order.delivered",
        "order.confirmed",
        "order.cancelled",
    ]
    assert {item.name for item in subscribed_by("finance")} == {
        "user.updated",
        "clinic.created",
        "clinic.updated",
        "booking.cancelled",
        "payment.processed",
        "payment.refunded",
        "order.created",
        "order.delivered",
        "order.cancelled",
        "customer_order.placed",
        "customer_order.fulfilled",
        "customer_order.cancelled",
    }
    assert subscribed_by("nobody") == ()


@pytest.mark.parametrize(
    ("publisher", "subscribers", "message"),
    [
        ("auth", ("billing",), "unknown context"),
        ("shop", (), "unknown context"),
        ("auth", ("auth",), "exclude the publisher"),
        ("auth", ("booking", "booking"), "distinct"),
    ],
)
def test_an_entry_names_known_distinct_contexts(
    publisher: str, subscribers: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        CatalogEntry("pet.deleted", publisher, subscribers, "Why.", (entry("pet.deleted").current,))


def test_an_entry_needs_ordered_versions_of_its_name_and_an_upcaster_per_step() -> None:
    with pytest.raises(ValueError, match=r"1\.\.n in order"):
        CatalogEntry("pet.created", "auth", (), "Why.", (PetCreated, PetCreatedV1))
    with pytest.raises(ValueError, match="entry's name"):
        CatalogEntry("pet.created", "auth", (), "Why.", (PetUpdatedV1, PetCreated))
    with pytest.raises(ValueError, match=r"no upcaster from version\(s\) \[1\]"):
        CatalogEntry("pet.created", "auth", (), "Why.", (PetCreatedV1, PetCreated))


# -- type names --------------------------------------------------------------------------


def test_parse_type_splits_name_and_version() -> None:
    assert parse_type("petpro.pet.created.v2") == ("pet.created", 2)
    assert parse_type("petpro.product.stock_changed.v1") == ("product.stock_changed", 1)
    assert parse_type("petpro.pet.created.v12") == ("pet.created", 12)


@pytest.mark.parametrize(
    "event_type",
    [
        "petpro.pet.created.v0",
        "petpro.pet.created.v01",
        "petpro.pet.created.v²",
        "petpro.pet.created",
        "petpro.pet.v1",
        "acme.pet.created.v1",
        "petpro.Pet.created.v1",
        "petpro.pet.created.v1\n",
        "",
    ],
)
def test_parse_type_refuses_what_is_not_a_petpro_event_type(event_type: str) -> None:
    with pytest.raises(UnknownEventType):
        parse_type(event_type)


def test_resolve_refuses_unknown_names_and_versions_newer_than_the_code() -> None:
    with pytest.raises(UnknownEventType, match=r"no event named 'pet\.adopted'"):
        resolve("petpro.pet.adopted.v1", {})
    with pytest.raises(UnknownEventType, match="newer than this code knows"):
        resolve("petpro.pet.created.v3", {})


def test_current_versions_resolve_to_themselves_unchanged() -> None:
    payload = {"weight_grams": 3875}
    assert resolve("petpro.pet.created.v2", payload) == (PetCreated, payload)
    assert resolve("petpro.booking.created.v1", {}) == (BookingCreated, {})


# -- pet v1 → v2 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight_kg", "grams"),
    [
        ("3.875", 3875),
        ("4.1", 4100),
        ("5000", 5_000_000),
        (4.5, 4500),  # a JSON number
        (12, 12000),
        ("0.0005", 0),  # half-even: to the even gram
        ("0.0015", 2),
        ("0.0025", 2),
        ("1.23456", 1235),
        (None, None),
    ],
)
def test_the_upcaster_turns_kilograms_into_grams_rounding_half_even(
    weight_kg: str | float | None, grams: int | None
) -> None:
    v1 = {"pet_id": "p", "name": "Mochi", "weight_kg": weight_kg}
    assert pet_snapshot_v1_to_v2(v1) == {"pet_id": "p", "name": "Mochi", "weight_grams": grams}
    assert v1["weight_kg"] == weight_kg  # the input is left alone


@pytest.mark.parametrize("weight_kg", ["heavy", "NaN", "Infinity", True, [4], {"kg": 4}])
def test_the_upcaster_refuses_a_weight_that_is_not_a_number(weight_kg: object) -> None:
    with pytest.raises(ValueError, match=r"weight_kg|weight in kilograms"):
        pet_snapshot_v1_to_v2({"weight_kg": weight_kg})


def test_the_upcaster_leaves_a_payload_without_weight_for_validation_to_refuse() -> None:
    assert pet_snapshot_v1_to_v2({"name": "Mochi"}) == {"name": "Mochi"}


def test_kilograms_to_grams_is_exact_for_the_domains_weights() -> None:
    assert kilograms_to_grams(Decimal("0.001")) == 1
    assert kilograms_to_grams(Decimal("9.25")) == 9250
    assert kilograms_to_grams(None) is None


@pytest.mark.parametrize("name", ["pet.created", "pet.updated"])
def test_resolve_upcasts_a_v1_pet_payload_to_the_v2_class(name: str) -> None:
    event_class, payload = resolve(f"petpro.{name}.v1", {"pet_id": "p", "weight_kg": "9.25"})
    assert event_class is {"pet.created": PetCreated, "pet.updated": PetUpdated}[name]
    assert event_class.VERSION == 2
    assert payload == {"pet_id": "p", "weight_grams": 9250}


def test_pet_v2_refuses_a_weight_below_one_gram() -> None:
    with pytest.raises(ValueError, match="weight_grams must be positive"):
        changed(EXAMPLES[PetCreated], weight_grams=0)
    assert changed(EXAMPLES[PetCreated], weight_grams=None).weight_grams is None  # type: ignore[attr-defined]


# -- event invariants --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_class", "changes", "message"),
    [
        (BookingCreated, {"ends_at": EXAMPLES[BookingCreated].starts_at}, "ends after it starts"),  # type: ignore[attr-defined]
        (BookingCreated, {"price": Money.of("-1", "JPY")}, "price must not be negative"),
        (BookingCancelled, {"refund": Money.of("6601", "JPY")}, "between zero and the price"),
        (BookingCancelled, {"refund": Money.of("10", "EUR")}, "price's currency"),
        (BookingCancelled, {"cancelled_by": "vet"}, "cancelled_by must be one of"),
        (BookingCancelled, {"cancelled_by": "system"}, "unless the system did"),
        (BookingCancelled, {"cancelled_by_user_id": None}, "unless the system did"),
        (BookingCancelled, {"reason": "  "}, "reason must not be blank"),
        (PaymentProcessed, {"method": "bitcoin"}, "method must be one of"),
        (PaymentProcessed, {"amount": Money.of("0", "JPY")}, "amount must be positive"),
        (ClinicCreated, {"time_zone": "Mars/Olympus"}, "unknown IANA time zone"),
        (ClinicCreated, {"time_zone": "Asia"}, "unknown IANA time zone"),
        (ClinicCreated, {"name": ""}, "name must not be blank"),
        (StockChanged, {"available": 11}, "on_hand minus reserved"),
        (StockChanged, {"on_hand": -1, "available": -3}, "on_hand must be at least 0"),
        (StockLow, {"available": 6}, "at or below the threshold"),
        (StockLow, {"reorder_quantity": 0}, "reorder_quantity must be at least 1"),
        (StockReceived, {"quantity": True}, "quantity must be at least 1"),
        (StockReceived, {"available": 31}, "cannot exceed on_hand"),
        (OrderCreated, {"total_cost": Money.of("35999", "JPY")}, "unit_cost times quantity"),
        (OrderDelivered, {"partial": True}, "fewer units"),
        (OrderDelivered, {"quantity_delivered": 25}, "cannot exceed quantity_ordered"),
    ],
)
def test_events_refuse_payloads_that_contradict_themselves(
    event_class: type[Event], changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        changed(EXAMPLES[event_class], **changes)


def test_a_system_cancellation_names_no_user_and_a_partial_delivery_says_so() -> None:
    by_system = changed(
        EXAMPLES[BookingCancelled], cancelled_by="system", cancelled_by_user_id=None
    )
    assert by_system.cancelled_by_user_id is None  # type: ignore[attr-defined]
    partial = changed(
        EXAMPLES[OrderDelivered], quantity_delivered=20, partial=True, quantity_in_delivery=8
    )
    assert partial.partial is True  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lines": ()}, "at least one line"),
        ({"lines": ("", "x")}, "address line must not be blank"),
        ({"country": "Japan"}, "alpha-2"),
        ({"country": "jp"}, "alpha-2"),
    ],
)
def test_a_postal_address_is_checked(changes: dict[str, Any], message: str) -> None:
    address: PostalAddress = EXAMPLES[ClinicCreated].address  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(address, **changes)
