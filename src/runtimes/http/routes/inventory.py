"""/categories, /products, /locations (stock), /reservations: the inventory context.

Every route needs a bearer token. Any signed-in user reads categories and products; admins
change them. Admins and clinic staff read locations and stock; admins manage stock at every
location, clinic staff only at clinics whose staff list names them (403 elsewhere); an
unknown location answers 404. Reservations are internal (the booking saga and the shop make
them in process): over HTTP, admins only.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Router, get, patch, post, put
from litestar.params import Body, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from petpro_core.contracts.inventory import ReservationLine
from petpro_core.inventory.commands import (
    UNCHANGED,
    AdjustStock,
    CreateCategory,
    CreateProduct,
    CreateWarehouse,
    GetProduct,
    GetReservation,
    GetStockLedger,
    ListCategories,
    ListLocations,
    ListProducts,
    ListStock,
    ReceiveStock,
    ReleaseReservation,
    ReserveProducts,
    SetReorderPolicy,
    UpdateCategory,
    UpdateProduct,
)
from petpro_core.shared.actors import Actor
from petpro_core.shared.errors import PermissionDenied
from runtimes.http.dependencies import (
    AUTHENTICATED,
    BEARER_SECURITY,
    Bus,
    CurrentPrincipal,
    actor_of,
)
from runtimes.http.dto_inventory import (
    AdjustmentCreate,
    CategoryCreate,
    CategoryList,
    CategoryUpdate,
    CategoryView,
    LocationList,
    LocationView,
    MovementView,
    ProductCreate,
    ProductPage,
    ProductUpdate,
    ProductView,
    ReceiptCreate,
    ReorderPolicyBody,
    ReservationCreate,
    ReservationOutcome,
    ReservationRelease,
    ReservationView,
    StockDetail,
    StockList,
    StockView,
    WarehouseCreate,
)
from runtimes.http.problems import problem_responses
from runtimes.http.routes import Limit, Offset, page_request

CategoryId = Annotated[UUID, PathParameter(description="The category's id.")]
ProductId = Annotated[UUID, PathParameter(description="The product's id.")]
LocationId = Annotated[UUID, PathParameter(description="A clinic's id or a warehouse's.")]
ReservationId = Annotated[UUID, PathParameter(description="The reservation's id.")]

# -- categories -------------------------------------------------------------------------------


@get("/", summary="List categories", responses=problem_responses(401))
async def list_categories(
    principal: CurrentPrincipal,
    bus: Bus,
    tree: Annotated[bool, QueryParameter(description="Also nest them as a tree.")] = False,
) -> CategoryList:
    return CategoryList.of(await bus.execute(ListCategories()), tree=tree)


@post(
    "/",
    status_code=HTTP_201_CREATED,
    summary="Create a category (admin)",
    responses=problem_responses(401, 403, 404, 409),
)
async def create_category(
    data: Annotated[CategoryCreate, Body(title="New category")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> CategoryView:
    category = await bus.execute(
        CreateCategory(actor=actor_of(principal), name=data.name, parent_id=data.parent_id)
    )
    return CategoryView.of(category)


@patch(
    "/{category_id:str}",
    summary="Rename or move a category (admin)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_category(
    category_id: CategoryId,
    data: Annotated[CategoryUpdate, Body(title="Changes")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> CategoryView:
    category = await bus.execute(
        UpdateCategory(
            actor=actor_of(principal),
            category_id=category_id,
            name=data.name,
            parent_id=data.parent_id if "parent_id" in data.model_fields_set else UNCHANGED,
        )
    )
    return CategoryView.of(category)


def categories_router() -> Router:
    return Router(
        "/categories",
        route_handlers=[list_categories, create_category, update_category],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["inventory"],
    )


# -- products ---------------------------------------------------------------------------------


@get("/", summary="List products", responses=problem_responses(401, 404))
async def list_products(
    principal: CurrentPrincipal,
    bus: Bus,
    category_id: Annotated[
        UUID | None, QueryParameter(description="This category and those below it.")
    ] = None,
    species: Annotated[
        str | None, QueryParameter(description="For this species (or for any).")
    ] = None,
    active: Annotated[bool | None, QueryParameter(description="Active ones, or not.")] = None,
    q: Annotated[
        str | None, QueryParameter(description="Part of the name or SKU.", max_length=200)
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ProductPage:
    page = await bus.execute(
        ListProducts(
            category_id=category_id,
            species=species,
            active=active,
            text=q,
            page=page_request(limit, offset),
        )
    )
    return ProductPage(
        items=[ProductView.of(p) for p in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@post(
    "/",
    status_code=HTTP_201_CREATED,
    summary="Create a product (admin)",
    responses=problem_responses(401, 403, 404, 409),
)
async def create_product(
    data: Annotated[ProductCreate, Body(title="New product")], principal: CurrentPrincipal, bus: Bus
) -> ProductView:
    product = await bus.execute(
        CreateProduct(
            actor=actor_of(principal),
            sku=data.sku,
            name=data.name,
            unit=data.unit,
            price=data.price.money(),
            category_id=data.category_id,
            species=tuple(data.species),
        )
    )
    return ProductView.of(product)


@get("/{product_id:str}", summary="A product", responses=problem_responses(401, 404))
async def get_product(product_id: ProductId, principal: CurrentPrincipal, bus: Bus) -> ProductView:
    return ProductView.of(await bus.execute(GetProduct(product_id=product_id)))


@patch(
    "/{product_id:str}",
    summary="Change a product (admin)",
    description="Partial: absent members stay; category_id null clears it. With "
    "expected_version, 409 when someone changed it meanwhile. Publishes product.updated.",
    responses=problem_responses(401, 403, 404, 409),
)
async def update_product(
    product_id: ProductId,
    data: Annotated[ProductUpdate, Body(title="Changes")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> ProductView:
    product = await bus.execute(
        UpdateProduct(
            actor=actor_of(principal),
            product_id=product_id,
            expected_version=data.expected_version,
            name=data.name,
            unit=data.unit,
            price=None if data.price is None else data.price.money(),
            category_id=data.category_id if "category_id" in data.model_fields_set else UNCHANGED,
            species=None if data.species is None else tuple(data.species),
            active=data.active,
        )
    )
    return ProductView.of(product)


def products_router() -> Router:
    return Router(
        "/products",
        route_handlers=[list_products, create_product, get_product, update_product],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["inventory"],
    )


# -- locations and stock ----------------------------------------------------------------------


@get("/", summary="List stock locations", responses=problem_responses(401, 403))
async def list_locations(principal: CurrentPrincipal, bus: Bus) -> LocationList:
    locations = await bus.execute(ListLocations(actor=actor_of(principal)))
    return LocationList(items=[LocationView.of(loc) for loc in locations])


@post(
    "/",
    status_code=HTTP_201_CREATED,
    summary="Create a warehouse (admin)",
    description="Clinics become locations by themselves, from the clinic context's events.",
    responses=problem_responses(401, 403),
)
async def create_warehouse(
    data: Annotated[WarehouseCreate, Body(title="New warehouse")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> LocationView:
    return LocationView.of(
        await bus.execute(CreateWarehouse(actor=actor_of(principal), name=data.name))
    )


@get(
    "/{location_id:str}/stock",
    summary="Stock at a location",
    responses=problem_responses(401, 403, 404),
)
async def list_stock(location_id: LocationId, principal: CurrentPrincipal, bus: Bus) -> StockList:
    items = await bus.execute(ListStock(actor=actor_of(principal), location_id=location_id))
    return StockList(items=[StockView.of(item) for item in items])


@get(
    "/{location_id:str}/stock/{product_id:str}",
    summary="A product's stock at a location, with its ledger",
    responses=problem_responses(401, 403, 404),
)
async def get_stock(
    location_id: LocationId, product_id: ProductId, principal: CurrentPrincipal, bus: Bus
) -> StockDetail:
    ledger = await bus.execute(
        GetStockLedger(actor=actor_of(principal), product_id=product_id, location_id=location_id)
    )
    return StockDetail(
        **StockView.of(ledger.item).model_dump(),
        movements=[MovementView.of(m) for m in ledger.movements],
    )


@put(
    "/{location_id:str}/stock/{product_id:str}/reorder-policy",
    status_code=HTTP_200_OK,
    summary="Set the reorder policy of a product at a location",
    description="Publishes stock.low at once if the stock is already low.",
    responses=problem_responses(401, 403, 404, 422),
)
async def set_reorder_policy(
    location_id: LocationId,
    product_id: ProductId,
    data: Annotated[ReorderPolicyBody, Body(title="Reorder policy")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> StockView:
    item = await bus.execute(
        SetReorderPolicy(
            actor=actor_of(principal),
            product_id=product_id,
            location_id=location_id,
            threshold=data.threshold,
            reorder_quantity=data.reorder_quantity,
            needed_within_days=data.needed_within_days,
        )
    )
    return StockView.of(item)


@post(
    "/{location_id:str}/stock/{product_id:str}/receipts",
    status_code=HTTP_201_CREATED,
    summary="Receive units at a location",
    responses=problem_responses(401, 403, 404, 422),
)
async def receive_stock(
    location_id: LocationId,
    product_id: ProductId,
    data: Annotated[ReceiptCreate, Body(title="Receipt")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> StockView:
    item = await bus.execute(
        ReceiveStock(
            actor=actor_of(principal),
            product_id=product_id,
            location_id=location_id,
            quantity=data.quantity,
            reference=data.reference,
        )
    )
    return StockView.of(item)


@post(
    "/{location_id:str}/stock/{product_id:str}/adjustments",
    status_code=HTTP_201_CREATED,
    summary="Correct the count, with a reason",
    responses=problem_responses(401, 403, 404, 422),
)
async def adjust_stock(
    location_id: LocationId,
    product_id: ProductId,
    data: Annotated[AdjustmentCreate, Body(title="Adjustment")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> StockView:
    item = await bus.execute(
        AdjustStock(
            actor=actor_of(principal),
            product_id=product_id,
            location_id=location_id,
            delta=data.delta,
            reason=data.reason,
        )
    )
    return StockView.of(item)


def locations_router() -> Router:
    return Router(
        "/locations",
        route_handlers=[
            list_locations,
            create_warehouse,
            list_stock,
            get_stock,
            set_reorder_policy,
            receive_stock,
            adjust_stock,
        ],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["inventory"],
    )


# -- reservations (internal) ------------------------------------------------------------------


def _admin(principal: CurrentPrincipal) -> Actor:
    actor = actor_of(principal)
    if not actor.is_admin:
        raise PermissionDenied("reservations are internal: admins only over HTTP")
    return actor


@post(
    "/",
    status_code=HTTP_200_OK,
    summary="Reserve products, all lines or none (internal, admin)",
    responses=problem_responses(401, 403, 422),
)
async def reserve(
    data: Annotated[ReservationCreate, Body(title="Reservation")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> ReservationOutcome:
    _admin(principal)
    result = await bus.execute(
        ReserveProducts(
            reservation_id=data.reservation_id,
            location_id=data.location_id,
            lines=tuple(
                ReservationLine(product_id=line.product_id, quantity=line.quantity)
                for line in data.lines
            ),
            expires_at=data.expires_at,
            reference=data.reference,
        )
    )
    return ReservationOutcome(reserved=result.reserved, reason=result.reason)


@get(
    "/{reservation_id:str}",
    summary="A reservation (internal, admin)",
    responses=problem_responses(401, 403, 404),
)
async def get_reservation(
    reservation_id: ReservationId, principal: CurrentPrincipal, bus: Bus
) -> ReservationView:
    _admin(principal)
    return ReservationView.of(await bus.execute(GetReservation(reservation_id=reservation_id)))


@post(
    "/{reservation_id:str}/release",
    status_code=HTTP_200_OK,
    summary="Release a reservation; idempotent (internal, admin)",
    responses=problem_responses(401, 403, 404),
)
async def release(
    reservation_id: ReservationId,
    data: Annotated[ReservationRelease, Body(title="Release")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> ReservationView:
    _admin(principal)
    await bus.execute(ReleaseReservation(reservation_id=reservation_id, reason=data.reason))
    return ReservationView.of(await bus.execute(GetReservation(reservation_id=reservation_id)))


def reservations_router() -> Router:
    return Router(
        "/reservations",
        route_handlers=[reserve, get_reservation, release],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["inventory"],
    )
