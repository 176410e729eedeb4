"""Vendors, their supply catalogue and the purchase order life cycle on memory: who may do
what, partial deliveries counted cumulatively, invalid transitions refused."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from petpro_core.contracts.vendor import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    ShipmentCreated,
)
from petpro_core.shared.errors import InvalidInput, NotFound, PermissionDenied
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import PageRequest
from petpro_core.vendor.commands import (
    AddSupplyItem,
    AddVendorMember,
    CancelPurchaseOrder,
    ConfirmPurchaseOrder,
    CostInput,
    CreatePurchaseOrder,
    CreateVendor,
    DeliverPurchaseOrder,
    GetPurchaseOrder,
    GetVendor,
    GetVendorInventoryStatus,
    ListPurchaseOrders,
    ListSupplyItems,
    ListVendors,
    ShipPurchaseOrder,
    UpdateSupplyItem,
    UpdateVendor,
)
from petpro_core.vendor.domain.errors import (
    AdminOnly,
    ConcurrentVendorUpdate,
    InvalidTransition,
    NotVendorMember,
    OpenOrderExists,
    OverDelivery,
    ProductNotFound,
    PurchaseOrderNotFound,
    RoleNotHeld,
    SupplyItemTaken,
    VendorNotFound,
    VendorUserNotFound,
)
from petpro_core.vendor.domain.orders import OrderOrigin, OrderStatus, PurchaseOrder
from tests.support.vendor import ADMIN, CLINIC, OWNER, STAFF, T0, VendorHarness

TODAY = T0.date()


@pytest.fixture
def harness() -> VendorHarness:
    return VendorHarness()


async def an_order(harness: VendorHarness, quantity: int = 10) -> PurchaseOrder:
    product = await harness.product()
    vendor = await harness.vendor("Acme", lead_time_days=4)
    await harness.supplies(vendor, product, "2.50")
    order: PurchaseOrder = await harness.execute(
        CreatePurchaseOrder(
            actor=ADMIN,
            vendor_id=vendor.vendor_id,
            product_id=product,
            location_id=CLINIC,
            quantity=quantity,
        )
    )
    return order


def ship(order: PurchaseOrder, quantity: int | None = None, **fields: object) -> ShipPurchaseOrder:
    values: dict[str, object] = {
        "actor": ADMIN,
        "purchase_order_id": order.purchase_order_id,
        "carrier": "DHL",
        "tracking_number": "JD0001",
        "expected_delivery_on": TODAY + timedelta(days=2),
        "quantity": quantity,
    }
    return ShipPurchaseOrder(**{**values, **fields})  # type: ignore[arg-type]


# -- vendors and catalogue --------------------------------------------------------------------


async def test_admins_create_and_change_vendors_others_may_not(harness: VendorHarness) -> None:
    vendor = await harness.vendor("  Acme   Pet Supply ", 3, email="orders@acme.example")
    assert vendor.name == "Acme Pet Supply" and vendor.version == 1 and vendor.active
    changed = await harness.execute(
        UpdateVendor(actor=ADMIN, vendor_id=vendor.vendor_id, lead_time_days=5, phone=None)
    )
    assert changed.lead_time_days == 5 and changed.version == 2
    same = await harness.execute(UpdateVendor(actor=ADMIN, vendor_id=vendor.vendor_id, phone=None))
    assert same.version == 2  # nothing changed: no new version
    with pytest.raises(ConcurrentVendorUpdate):
        await harness.execute(
            UpdateVendor(actor=ADMIN, vendor_id=vendor.vendor_id, active=False, expected_version=1)
        )
    with pytest.raises(AdminOnly):
        await harness.execute(CreateVendor(actor=STAFF, name="Mine", lead_time_days=1))
    with pytest.raises(AdminOnly):
        await harness.execute(UpdateVendor(actor=STAFF, vendor_id=vendor.vendor_id, name="X"))
    for bad in ({"lead_time_days": -1}, {"name": "  "}, {"email": "nope"}):
        with pytest.raises(InvalidInput):
            await harness.execute(UpdateVendor(actor=ADMIN, vendor_id=vendor.vendor_id, **bad))


async def test_members_hold_the_vendor_role_and_see_only_their_vendor(
    harness: VendorHarness,
) -> None:
    acme = await harness.vendor("Acme")
    other = await harness.vendor("Other")
    member = await harness.member(acme)

    stranger = new_id()
    harness.users.roles[stranger] = frozenset({"pet_owner"})
    with pytest.raises(RoleNotHeld):
        await harness.execute(
            AddVendorMember(actor=ADMIN, vendor_id=acme.vendor_id, user_id=stranger)
        )
    with pytest.raises(VendorUserNotFound):
        await harness.execute(
            AddVendorMember(actor=ADMIN, vendor_id=acme.vendor_id, user_id=new_id())
        )
    with pytest.raises(AdminOnly):
        await harness.execute(
            AddVendorMember(actor=member, vendor_id=acme.vendor_id, user_id=member.user_id)
        )

    mine = await harness.execute(ListVendors(actor=member))
    assert [v.name for v in mine.items] == ["Acme"] and mine.total == 1
    everyone = await harness.execute(ListVendors(actor=STAFF, page=PageRequest(limit=1)))
    assert everyone.total == 2 and [v.name for v in everyone.items] == ["Acme"]
    assert (await harness.execute(ListVendors(actor=OWNER))).total == 0
    assert (await harness.execute(GetVendor(actor=member, vendor_id=acme.vendor_id))) == (
        await harness.execute(GetVendor(actor=ADMIN, vendor_id=acme.vendor_id))
    )
    with pytest.raises(VendorNotFound):
        await harness.execute(GetVendor(actor=member, vendor_id=other.vendor_id))


async def test_the_supply_catalogue_links_known_products_once_per_vendor(
    harness: VendorHarness,
) -> None:
    product = await harness.product()
    acme = await harness.vendor("Acme")
    other = await harness.vendor("Other")
    member = await harness.member(acme)

    item = await harness.execute(
        AddSupplyItem(
            actor=member,
            vendor_id=acme.vendor_id,
            product_id=product,
            vendor_sku="ac-flea/10",
            unit_cost=CostInput(amount="2.5", currency="eur"),
            minimum_order=12,
            pack_size=6,
        )
    )
    assert item.vendor_sku == "AC-FLEA/10" and item.unit_cost == Money(Decimal("2.50"), "EUR")

    def add(**fields: object) -> AddSupplyItem:
        values: dict[str, object] = {
            "actor": ADMIN,
            "vendor_id": acme.vendor_id,
            "product_id": product,
            "vendor_sku": "OTHER",
            "unit_cost": Money.of("1", "EUR"),
        }
        return AddSupplyItem(**{**values, **fields})  # type: ignore[arg-type]

    with pytest.raises(SupplyItemTaken):
        await harness.execute(add())  # the product again
    with pytest.raises(SupplyItemTaken):
        await harness.execute(add(product_id=await harness.product("P2"), vendor_sku="AC-FLEA/10"))
    with pytest.raises(ProductNotFound):
        await harness.execute(add(product_id=new_id()))
    for bad in (
        {"pack_size": 0},
        {"minimum_order": 0},
        {"unit_cost": CostInput(amount="-1", currency="EUR")},
        {"unit_cost": CostInput(amount="1.234", currency="EUR")},
        {"unit_cost": CostInput(amount="x", currency="EUR")},
        {"vendor_sku": "bad sku"},
    ):
        with pytest.raises(InvalidInput):
            await harness.execute(
                add(product_id=await harness.product(f"P{new_id().hex[:6]}"), **bad)
            )
    with pytest.raises(VendorNotFound):  # another vendor is not even visible to a member
        await harness.execute(add(actor=member, vendor_id=other.vendor_id))
    with pytest.raises(VendorNotFound):
        await harness.execute(ListSupplyItems(actor=member, vendor_id=other.vendor_id))
    with pytest.raises(NotVendorMember):  # staff see, but do not manage
        await harness.execute(add(actor=STAFF, product_id=await harness.product("P3")))

    withdrawn = await harness.execute(
        UpdateSupplyItem(actor=member, vendor_id=acme.vendor_id, item_id=item.item_id, active=False)
    )
    assert not withdrawn.active and withdrawn.version == 2
    assert await harness.execute(ListSupplyItems(actor=STAFF, vendor_id=acme.vendor_id)) == []
    assert await harness.execute(
        ListSupplyItems(actor=STAFF, vendor_id=acme.vendor_id, include_inactive=True)
    ) == [withdrawn]


# -- purchase orders --------------------------------------------------------------------------


async def test_an_order_goes_from_created_to_delivered_in_parts(harness: VendorHarness) -> None:
    order = await an_order(harness, quantity=10)
    assert order.origin is OrderOrigin.MANUAL and order.expected_on == TODAY + timedelta(days=4)
    oid = order.purchase_order_id

    confirmed = await harness.execute(
        ConfirmPurchaseOrder(actor=ADMIN, purchase_order_id=oid, expected_version=1)
    )
    assert confirmed.status is OrderStatus.CONFIRMED and confirmed.version == 2
    shipped = await harness.execute(ship(order, 6))
    assert shipped.status is OrderStatus.SHIPPED and shipped.quantity_shipped == 6
    first = await harness.execute(
        DeliverPurchaseOrder(actor=STAFF, purchase_order_id=oid, quantity=4)
    )
    assert first.status is OrderStatus.PARTIALLY_DELIVERED and first.quantity_delivered == 4
    rest_shipped = await harness.execute(ship(order))  # the 4 left to ship
    assert rest_shipped.quantity_shipped == 10
    assert rest_shipped.status is OrderStatus.PARTIALLY_DELIVERED
    delivery_id = new_id()
    done = await harness.execute(
        DeliverPurchaseOrder(
            actor=ADMIN, purchase_order_id=oid, quantity=6, delivery_id=delivery_id
        )
    )
    assert done.status is OrderStatus.DELIVERED and done.quantity_delivered == 10
    again = await harness.execute(
        DeliverPurchaseOrder(
            actor=ADMIN, purchase_order_id=oid, quantity=6, delivery_id=delivery_id
        )
    )
    assert again == done  # a repeated delivery changes nothing

    events = harness.outbox()
    assert [type(e) for e in events] == [
        OrderCreated,
        OrderConfirmed,
        ShipmentCreated,
        OrderDelivered,
        ShipmentCreated,
        OrderDelivered,
    ]
    assert [e.aggregate_version for e in events] == [1, 2, 3, 4, 5, 6]
    deliveries = [e for e in events if isinstance(e, OrderDelivered)]
    assert [(d.quantity_in_delivery, d.quantity_delivered, d.partial) for d in deliveries] == [
        (4, 4, True),
        (6, 10, False),
    ]
    assert deliveries[0].total_cost == Money(Decimal("10.00"), "EUR")
    assert deliveries[1].total_cost == Money(Decimal("25.00"), "EUR")
    assert deliveries[1].delivery_id == delivery_id


async def test_invalid_transitions_are_conflicts_and_change_nothing(harness: VendorHarness) -> None:
    order = await an_order(harness, quantity=10)
    oid = order.purchase_order_id

    with pytest.raises(InvalidTransition, match="not confirmed yet"):
        await harness.execute(ship(order))
    with pytest.raises(InvalidTransition, match="not been shipped"):
        await harness.execute(DeliverPurchaseOrder(actor=ADMIN, purchase_order_id=oid, quantity=1))
    await harness.execute(ConfirmPurchaseOrder(actor=ADMIN, purchase_order_id=oid))
    with pytest.raises(InvalidTransition, match="cannot confirm an order that is confirmed"):
        await harness.execute(ConfirmPurchaseOrder(actor=ADMIN, purchase_order_id=oid))
    with pytest.raises(OverDelivery):
        await harness.execute(ship(order, 11))
    await harness.execute(ship(order))
    with pytest.raises(InvalidTransition, match="every unit"):
        await harness.execute(ship(order, 1))
    with pytest.raises(OverDelivery):
        await harness.execute(DeliverPurchaseOrder(actor=ADMIN, purchase_order_id=oid, quantity=11))
    with pytest.raises(ConcurrentVendorUpdate):
        await harness.execute(
            DeliverPurchaseOrder(actor=ADMIN, purchase_order_id=oid, quantity=1, expected_version=1)
        )
    with pytest.raises(InvalidInput):
        await harness.execute(DeliverPurchaseOrder(actor=ADMIN, purchase_order_id=oid, quantity=0))
    await harness.execute(DeliverPurchaseOrder(actor=ADMIN, purchase_order_id=oid, quantity=10))
    with pytest.raises(InvalidTransition, match="fully delivered"):
        await harness.execute(
            CancelPurchaseOrder(actor=ADMIN, purchase_order_id=oid, reason="late")
        )

    stored = await harness.execute(GetPurchaseOrder(actor=ADMIN, purchase_order_id=oid))
    assert stored.status is OrderStatus.DELIVERED and stored.version == 4


async def test_a_partly_delivered_order_may_be_cancelled_once(harness: VendorHarness) -> None:
    order = await an_order(harness, quantity=10)
    oid = order.purchase_order_id
    await harness.execute(ConfirmPurchaseOrder(actor=ADMIN, purchase_order_id=oid))
    await harness.execute(ship(order))
    await harness.execute(DeliverPurchaseOrder(actor=ADMIN, purchase_order_id=oid, quantity=3))
    cancelled = await harness.execute(
        CancelPurchaseOrder(actor=ADMIN, purchase_order_id=oid, reason="  rest is back-ordered ")
    )
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.cancel_reason == "rest is back-ordered"
    event = harness.outbox()[-1]
    assert isinstance(event, OrderCancelled)
    assert (event.quantity_ordered, event.quantity_delivered) == (10, 3)
    with pytest.raises(InvalidTransition):
        await harness.execute(CancelPurchaseOrder(actor=ADMIN, purchase_order_id=oid, reason="x"))
    with pytest.raises(InvalidInput):
        await harness.execute(
            CancelPurchaseOrder(actor=ADMIN, purchase_order_id=new_id(), reason="  ")
        )


async def test_a_manual_order_respects_the_one_open_order_rule(harness: VendorHarness) -> None:
    order = await an_order(harness, quantity=10)
    with pytest.raises(OpenOrderExists):
        await harness.execute(
            CreatePurchaseOrder(
                actor=ADMIN,
                vendor_id=order.vendor_id,
                product_id=order.product_id,
                location_id=CLINIC,
                quantity=5,
            )
        )
    with pytest.raises(AdminOnly):
        await harness.execute(
            CreatePurchaseOrder(
                actor=STAFF,
                vendor_id=order.vendor_id,
                product_id=order.product_id,
                location_id=new_id(),
                quantity=5,
            )
        )


async def test_members_see_and_update_only_their_vendors_orders(harness: VendorHarness) -> None:
    order = await an_order(harness)
    oid = order.purchase_order_id
    acme = await harness.execute(GetVendor(actor=ADMIN, vendor_id=order.vendor_id))
    member = await harness.member(acme)
    rival = await harness.member(await harness.vendor("Rival"))

    assert (await harness.execute(GetPurchaseOrder(actor=member, purchase_order_id=oid))) == order
    assert (await harness.execute(ListPurchaseOrders(actor=member))).total == 1
    for actor in (rival, OWNER):
        with pytest.raises(PurchaseOrderNotFound):
            await harness.execute(GetPurchaseOrder(actor=actor, purchase_order_id=oid))
        with pytest.raises(PurchaseOrderNotFound):
            await harness.execute(ConfirmPurchaseOrder(actor=actor, purchase_order_id=oid))
        assert (await harness.execute(ListPurchaseOrders(actor=actor))).total == 0
    assert (
        await harness.execute(ListPurchaseOrders(actor=rival, vendor_id=order.vendor_id))
    ).total == 0

    # Clinic staff see every order and record deliveries, but neither confirm nor cancel.
    assert (await harness.execute(ListPurchaseOrders(actor=STAFF))).total == 1
    with pytest.raises(NotVendorMember):
        await harness.execute(ConfirmPurchaseOrder(actor=STAFF, purchase_order_id=oid))
    with pytest.raises(PermissionDenied):
        await harness.execute(CancelPurchaseOrder(actor=STAFF, purchase_order_id=oid, reason="x"))

    await harness.execute(ConfirmPurchaseOrder(actor=member, purchase_order_id=oid))
    shipped = await harness.execute(ship(order, actor=member))
    assert shipped.status is OrderStatus.SHIPPED
    delivered = await harness.execute(
        DeliverPurchaseOrder(actor=STAFF, purchase_order_id=oid, quantity=10)
    )
    assert delivered.status is OrderStatus.DELIVERED
    with pytest.raises(NotFound):
        await harness.execute(GetVendorInventoryStatus(actor=rival, vendor_id=order.vendor_id))


async def test_orders_are_listed_newest_first_with_filters(harness: VendorHarness) -> None:
    product = await harness.product()
    acme = await harness.vendor("Acme")
    await harness.supplies(acme, product, "1.00")
    locations = [UUID(int=n) for n in range(10, 15)]
    for location in locations:
        harness.clock.advance(timedelta(minutes=1))
        await harness.execute(
            CreatePurchaseOrder(
                actor=ADMIN,
                vendor_id=acme.vendor_id,
                product_id=product,
                location_id=location,
                quantity=1,
            )
        )
    page = await harness.execute(
        ListPurchaseOrders(actor=ADMIN, product_id=product, page=PageRequest(limit=2, offset=1))
    )
    assert page.total == 5 and [o.location_id for o in page.items] == locations[3:1:-1]
    only = await harness.execute(ListPurchaseOrders(actor=ADMIN, location_id=locations[0]))
    assert [o.location_id for o in only.items] == [locations[0]]
    assert (await harness.execute(ListPurchaseOrders(actor=ADMIN, status="delivered"))).total == 0
    with pytest.raises(InvalidInput):
        await harness.execute(ListPurchaseOrders(actor=ADMIN, status="lost"))


async def test_confirm_and_ship_refuse_past_dates(harness: VendorHarness) -> None:
    order = await an_order(harness)
    with pytest.raises(InvalidTransition):
        await harness.execute(
            ConfirmPurchaseOrder(
                actor=ADMIN,
                purchase_order_id=order.purchase_order_id,
                expected_on=TODAY - timedelta(days=1),
            )
        )
    await harness.execute(
        ConfirmPurchaseOrder(
            actor=ADMIN, purchase_order_id=order.purchase_order_id, expected_on=TODAY
        )
    )
    with pytest.raises(InvalidInput):
        await harness.execute(ship(order, expected_delivery_on=TODAY - timedelta(days=1)))
