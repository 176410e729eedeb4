"""/vendors and /purchase-orders: vendors and their members, supply catalogues, purchase
orders through their life cycle, and a vendor's inventory status.

Every route needs a bearer token. Admins do everything; a vendor's members see and manage
that vendor's catalogue and orders (someone else's answer 404); clinic staff see every
vendor and order and record deliveries (see the vendor handlers).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Router, get, patch, post
from litestar.params import Body, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from petpro_core.vendor.commands import (
    AddSupplyItem,
    AddVendorMember,
    CancelPurchaseOrder,
    ConfirmPurchaseOrder,
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
from runtimes.http.dependencies import (
    AUTHENTICATED,
    BEARER_SECURITY,
    Bus,
    CurrentPrincipal,
    actor_of,
)
from runtimes.http.dto_vendors import (
    CancelRequest,
    ConfirmRequest,
    DeliverRequest,
    InventoryStatus,
    InventoryStatusRow,
    MemberAdd,
    PurchaseOrderCreate,
    PurchaseOrderPage,
    PurchaseOrderResponse,
    ShipRequest,
    SupplyItemCreate,
    SupplyItemList,
    SupplyItemResponse,
    SupplyItemUpdate,
    VendorCreate,
    VendorPage,
    VendorResponse,
    VendorUpdate,
)
from runtimes.http.problems import problem_responses
from runtimes.http.routes import Limit, Offset, page_request

VendorId = Annotated[UUID, PathParameter(description="The vendor's id.")]
ItemId = Annotated[UUID, PathParameter(description="The supply catalogue item's id.")]
OrderId = Annotated[UUID, PathParameter(description="The purchase order's id.")]

# -- vendors ----------------------------------------------------------------------------------


@post(
    "/",
    status_code=HTTP_201_CREATED,
    summary="Add a vendor (admin)",
    responses=problem_responses(401, 403),
)
async def create_vendor(
    data: Annotated[VendorCreate, Body(title="New vendor")], principal: CurrentPrincipal, bus: Bus
) -> VendorResponse:
    vendor = await bus.execute(
        CreateVendor(
            actor=actor_of(principal),
            name=data.name,
            lead_time_days=data.lead_time_days,
            email=data.email,
            phone=data.phone,
            active=data.active,
        )
    )
    return VendorResponse.of(vendor)


@get(
    "/",
    summary="List vendors",
    description="Admins and clinic staff: every vendor; a vendor's members: their vendors.",
    responses=problem_responses(401),
)
async def list_vendors(
    principal: CurrentPrincipal, bus: Bus, limit: Limit = 50, offset: Offset = 0
) -> VendorPage:
    page = await bus.execute(
        ListVendors(actor=actor_of(principal), page=page_request(limit, offset))
    )
    return VendorPage(
        items=[VendorResponse.of(v) for v in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@get("/{vendor_id:str}", summary="A vendor", responses=problem_responses(401, 404))
async def get_vendor(vendor_id: VendorId, principal: CurrentPrincipal, bus: Bus) -> VendorResponse:
    return VendorResponse.of(
        await bus.execute(GetVendor(actor=actor_of(principal), vendor_id=vendor_id))
    )


@patch(
    "/{vendor_id:str}",
    summary="Change a vendor (admin)",
    description="Partial: absent members stay unchanged; null clears email or phone.",
    responses=problem_responses(401, 403, 404, 409),
)
async def update_vendor(
    vendor_id: VendorId,
    data: Annotated[VendorUpdate, Body(title="Vendor changes")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> VendorResponse:
    vendor = await bus.execute(
        UpdateVendor(
            actor=actor_of(principal),
            vendor_id=vendor_id,
            expected_version=data.expected_version,
            **data.changes(),  # type: ignore[arg-type]
        )
    )
    return VendorResponse.of(vendor)


@post(
    "/{vendor_id:str}/members",
    status_code=HTTP_200_OK,
    summary="Let a user act for the vendor (admin)",
    description="The user must hold the vendor role.",
    responses=problem_responses(401, 403, 404),
)
async def add_member(
    vendor_id: VendorId,
    data: Annotated[MemberAdd, Body(title="Member")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> VendorResponse:
    vendor = await bus.execute(
        AddVendorMember(actor=actor_of(principal), vendor_id=vendor_id, user_id=data.user_id)
    )
    return VendorResponse.of(vendor)


# -- supply catalogue -------------------------------------------------------------------------


@get(
    "/{vendor_id:str}/catalogue",
    summary="A vendor's supply catalogue",
    responses=problem_responses(401, 404),
)
async def list_catalogue(
    vendor_id: VendorId,
    principal: CurrentPrincipal,
    bus: Bus,
    include_inactive: Annotated[bool, QueryParameter(description="Withdrawn items too.")] = False,
) -> SupplyItemList:
    items = await bus.execute(
        ListSupplyItems(
            actor=actor_of(principal), vendor_id=vendor_id, include_inactive=include_inactive
        )
    )
    return SupplyItemList(items=[SupplyItemResponse.of(i) for i in items])


@post(
    "/{vendor_id:str}/catalogue",
    status_code=HTTP_201_CREATED,
    summary="List a product in the vendor's catalogue (admin or the vendor's members)",
    responses=problem_responses(401, 403, 404, 409),
)
async def add_catalogue_item(
    vendor_id: VendorId,
    data: Annotated[SupplyItemCreate, Body(title="Supply item")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> SupplyItemResponse:
    item = await bus.execute(
        AddSupplyItem(
            actor=actor_of(principal),
            vendor_id=vendor_id,
            product_id=data.product_id,
            vendor_sku=data.vendor_sku,
            unit_cost=data.unit_cost.input(),
            minimum_order=data.minimum_order,
            pack_size=data.pack_size,
        )
    )
    return SupplyItemResponse.of(item)


@patch(
    "/{vendor_id:str}/catalogue/{item_id:str}",
    summary="Change or withdraw a catalogue item (admin or the vendor's members)",
    responses=problem_responses(401, 403, 404, 409),
)
async def update_catalogue_item(
    vendor_id: VendorId,
    item_id: ItemId,
    data: Annotated[SupplyItemUpdate, Body(title="Supply item changes")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> SupplyItemResponse:
    item = await bus.execute(
        UpdateSupplyItem(
            actor=actor_of(principal),
            vendor_id=vendor_id,
            item_id=item_id,
            expected_version=data.expected_version,
            **data.changes(),  # type: ignore[arg-type]
        )
    )
    return SupplyItemResponse.of(item)


@get(
    "/{vendor_id:str}/inventory-status",
    summary="Stock of the products the vendor supplies, per location",
    description="The vendor_inventory_status read model: on hand, reserved, available, the "
    "reorder threshold, needs_reorder (available <= threshold), the open purchase order and "
    "the last automatic reorder decision (and why).",
    responses=problem_responses(401, 404),
)
async def inventory_status(
    vendor_id: VendorId, principal: CurrentPrincipal, bus: Bus
) -> InventoryStatus:
    rows = await bus.execute(
        GetVendorInventoryStatus(actor=actor_of(principal), vendor_id=vendor_id)
    )
    return InventoryStatus(items=[InventoryStatusRow.of(row) for row in rows])


# -- purchase orders --------------------------------------------------------------------------


@get("/", summary="List purchase orders, newest first", responses=problem_responses(401))
async def list_orders(
    principal: CurrentPrincipal,
    bus: Bus,
    vendor_id: Annotated[UUID | None, QueryParameter(description="Only this vendor's.")] = None,
    status: Annotated[str | None, QueryParameter(description="Only in this status.")] = None,
    product_id: Annotated[UUID | None, QueryParameter(description="Only this product.")] = None,
    location_id: Annotated[UUID | None, QueryParameter(description="Only for here.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PurchaseOrderPage:
    page = await bus.execute(
        ListPurchaseOrders(
            actor=actor_of(principal),
            vendor_id=vendor_id,
            status=status,
            product_id=product_id,
            location_id=location_id,
            page=page_request(limit, offset),
        )
    )
    return PurchaseOrderPage(
        items=[PurchaseOrderResponse.of(o) for o in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@post(
    "/",
    status_code=HTTP_201_CREATED,
    summary="Order manually (admin)",
    responses=problem_responses(401, 403, 404, 409),
)
async def create_order(
    data: Annotated[PurchaseOrderCreate, Body(title="New purchase order")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> PurchaseOrderResponse:
    order = await bus.execute(
        CreatePurchaseOrder(
            actor=actor_of(principal),
            vendor_id=data.vendor_id,
            product_id=data.product_id,
            location_id=data.location_id,
            quantity=data.quantity,
        )
    )
    return PurchaseOrderResponse.of(order)


@get("/{purchase_order_id:str}", summary="A purchase order", responses=problem_responses(401, 404))
async def get_order(
    purchase_order_id: OrderId, principal: CurrentPrincipal, bus: Bus
) -> PurchaseOrderResponse:
    order = await bus.execute(
        GetPurchaseOrder(actor=actor_of(principal), purchase_order_id=purchase_order_id)
    )
    return PurchaseOrderResponse.of(order)


_TRANSITION = problem_responses(401, 403, 404, 409)


@post(
    "/{purchase_order_id:str}/confirm",
    status_code=HTTP_200_OK,
    summary="Confirm (the vendor)",
    responses=_TRANSITION,
)
async def confirm_order(
    purchase_order_id: OrderId,
    principal: CurrentPrincipal,
    bus: Bus,
    data: Annotated[ConfirmRequest | None, Body(title="Confirmation")] = None,
) -> PurchaseOrderResponse:
    data = data or ConfirmRequest(expected_on=None, expected_version=None)
    order = await bus.execute(
        ConfirmPurchaseOrder(
            actor=actor_of(principal),
            purchase_order_id=purchase_order_id,
            expected_on=data.expected_on,
            expected_version=data.expected_version,
        )
    )
    return PurchaseOrderResponse.of(order)


@post(
    "/{purchase_order_id:str}/ship",
    status_code=HTTP_200_OK,
    summary="Record a shipment (the vendor)",
    responses=_TRANSITION,
)
async def ship_order(
    purchase_order_id: OrderId,
    data: Annotated[ShipRequest, Body(title="Shipment")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> PurchaseOrderResponse:
    order = await bus.execute(
        ShipPurchaseOrder(
            actor=actor_of(principal),
            purchase_order_id=purchase_order_id,
            carrier=data.carrier,
            tracking_number=data.tracking_number,
            expected_delivery_on=data.expected_delivery_on,
            quantity=data.quantity,
            expected_version=data.expected_version,
        )
    )
    return PurchaseOrderResponse.of(order)


@post(
    "/{purchase_order_id:str}/deliver",
    status_code=HTTP_200_OK,
    summary="Record a delivery (the vendor, clinic staff)",
    description="A partial delivery is fine; more than is outstanding is refused (422).",
    responses=_TRANSITION,
)
async def deliver_order(
    purchase_order_id: OrderId,
    data: Annotated[DeliverRequest, Body(title="Delivery")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> PurchaseOrderResponse:
    order = await bus.execute(
        DeliverPurchaseOrder(
            actor=actor_of(principal),
            purchase_order_id=purchase_order_id,
            quantity=data.quantity,
            delivery_id=data.delivery_id,
            expected_version=data.expected_version,
        )
    )
    return PurchaseOrderResponse.of(order)


@post(
    "/{purchase_order_id:str}/cancel",
    status_code=HTTP_200_OK,
    summary="Cancel (not once fully delivered)",
    responses=_TRANSITION,
)
async def cancel_order(
    purchase_order_id: OrderId,
    data: Annotated[CancelRequest, Body(title="Cancellation")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> PurchaseOrderResponse:
    order = await bus.execute(
        CancelPurchaseOrder(
            actor=actor_of(principal),
            purchase_order_id=purchase_order_id,
            reason=data.reason,
            expected_version=data.expected_version,
        )
    )
    return PurchaseOrderResponse.of(order)


def vendors_router() -> Router:
    return Router(
        "/vendors",
        route_handlers=[
            create_vendor,
            list_vendors,
            get_vendor,
            update_vendor,
            add_member,
            list_catalogue,
            add_catalogue_item,
            update_catalogue_item,
            inventory_status,
        ],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["vendors"],
    )


def purchase_orders_router() -> Router:
    return Router(
        "/purchase-orders",
        route_handlers=[
            list_orders,
            create_order,
            get_order,
            confirm_order,
            ship_order,
            deliver_order,
            cancel_order,
        ],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["purchase orders"],
    )
