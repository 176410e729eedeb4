"""/customer-orders: the shop. An owner orders products for pick-up at a clinic and pays
(Idempotency-Key required); staff hand orders out or cancel them; a location's orders under
/locations/{location_id}/customer-orders.

Another customer's order answers 404, never 403, so order ids reveal nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, Router, get, post
from litestar.params import Body, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED

from petpro_core.inventory.customer_order_commands import (
    CancelCustomerOrder,
    FulfilCustomerOrder,
    GetCustomerOrder,
    ListCustomerOrders,
    PlaceCustomerOrder,
)
from petpro_core.inventory.domain.customer_orders import CustomerOrder, CustomerOrderStatus
from runtimes.http.dependencies import (
    AUTHENTICATED,
    BEARER_SECURITY,
    Bus,
    Container,
    CurrentPrincipal,
    actor_of,
)
from runtimes.http.dto_customer_orders import (
    CustomerOrderCancel,
    CustomerOrderCreate,
    CustomerOrderPage,
    CustomerOrderView,
)
from runtimes.http.idempotency import (
    IDEMPOTENCY_PROBLEM_STATUSES,
    IdempotencyKeyHeader,
    derived_id,
    idempotent,
    request_idempotency_key,
)
from runtimes.http.problems import problem_responses
from runtimes.http.routes import Limit, Offset, page_request

CustomerOrderId = Annotated[UUID, PathParameter(description="The order's id.")]
LocationId = Annotated[UUID, PathParameter(description="The pick-up location (a clinic).")]
StatusFilter = Annotated[
    CustomerOrderStatus | None, QueryParameter(description="Only orders in this status.")
]


def customer_order_id_for(scope: str, key: str) -> UUID:
    """The id of the order a request with this key places: the same for every retry."""
    return derived_id(scope, key)


def _placed_response(order: CustomerOrder) -> Response[Any]:
    """201 once paid; 202 while the payment provider is retried (the stock is reserved; GET
    the order later). A failed order was raised as its problem by the handler."""
    status = (
        HTTP_202_ACCEPTED
        if order.status is CustomerOrderStatus.PENDING_PAYMENT
        else HTTP_201_CREATED
    )
    return Response(
        CustomerOrderView.of(order),
        status_code=status,
        headers={"Location": f"/customer-orders/{order.customer_order_id}"},
    )


@post(
    "/",
    summary="Order products for pick-up at a clinic",
    description="Reserves every line at the clinic and charges the payment method, at the "
    "products' current prices. 201: placed (paid, reserved until `pick_up_by`). 202: pending "
    "while the payment provider is retried. 402: the payment was declined (nothing reserved). "
    "409 `out-of-stock`: a product is short (named in the detail; nothing charged). Requires "
    "`Idempotency-Key`: a retry with the same key and body answers the first response.",
    responses=problem_responses(401, 402, 403, 404, 409, *IDEMPOTENCY_PROBLEM_STATUSES),
    status_code=HTTP_201_CREATED,
)
async def place_order(
    request: Request[Any, Any, Any],
    data: Annotated[CustomerOrderCreate, Body(title="New order")],
    principal: CurrentPrincipal,
    bus: Bus,
    container: Container,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    scope = f"user:{principal.user_id}:POST /customer-orders"
    settings = container.settings()

    async def run() -> Response[Any]:
        order = await bus.execute(
            PlaceCustomerOrder(
                actor=actor_of(principal),
                customer_order_id=customer_order_id_for(scope, request_idempotency_key(request)),
                location_id=data.location_id,
                lines=tuple(line.line() for line in data.lines),
                payment_token=data.payment_method_token,
            )
        )
        return _placed_response(order)

    return await idempotent(
        request,
        store=container.inventory.idempotency_store(),
        scope=scope,
        run=run,
        keep_for=timedelta(hours=settings.idempotency_key_hours),
    )


@get("/", summary="My orders", description="Newest first.", responses=problem_responses(401))
async def list_my_orders(
    principal: CurrentPrincipal,
    bus: Bus,
    limit: Limit = 50,
    offset: Offset = 0,
    status: StatusFilter = None,
) -> CustomerOrderPage:
    page = await bus.execute(
        ListCustomerOrders(
            actor=actor_of(principal), page=page_request(limit, offset), status=status
        )
    )
    return CustomerOrderPage.of(page)


@get(
    "/{customer_order_id:str}",
    summary="An order",
    description="The customer's own, or any at the location for its staff and admins.",
    responses=problem_responses(401, 404),
)
async def get_order(
    customer_order_id: CustomerOrderId, principal: CurrentPrincipal, bus: Bus
) -> CustomerOrderView:
    order = await bus.execute(
        GetCustomerOrder(actor=actor_of(principal), customer_order_id=customer_order_id)
    )
    return CustomerOrderView.of(order)


@post(
    "/{customer_order_id:str}/cancel",
    summary="Cancel an order",
    description="By the customer before pick-up, or by the location's staff or an admin: the "
    "reservation is released and the whole amount refunded (`payment` shows `refunding` while "
    "the provider is retried). Cancelling a cancelled order answers it unchanged. 409: "
    "collected already, failed, or its payment is still being confirmed.",
    responses=problem_responses(401, 404, 409),
    status_code=200,
)
async def cancel_order(
    customer_order_id: CustomerOrderId,
    principal: CurrentPrincipal,
    bus: Bus,
    data: Annotated[CustomerOrderCancel | None, Body(title="Cancellation")] = None,
) -> CustomerOrderView:
    order = await bus.execute(
        CancelCustomerOrder(
            actor=actor_of(principal),
            customer_order_id=customer_order_id,
            reason=(data or CustomerOrderCancel()).reason,
        )
    )
    return CustomerOrderView.of(order)


@post(
    "/{customer_order_id:str}/fulfil",
    summary="Hand an order out",
    description="The location's staff or an admin: the reserved units leave the stock as a "
    "sale. Fulfilling a fulfilled order answers it unchanged. 409: not placed.",
    responses=problem_responses(401, 403, 404, 409),
    status_code=200,
)
async def fulfil_order(
    customer_order_id: CustomerOrderId, principal: CurrentPrincipal, bus: Bus
) -> CustomerOrderView:
    order = await bus.execute(
        FulfilCustomerOrder(actor=actor_of(principal), customer_order_id=customer_order_id)
    )
    return CustomerOrderView.of(order)


@get(
    "/{location_id:str}/customer-orders",
    summary="Orders to pick up at a location",
    description="The location's staff and admins; newest first.",
    responses=problem_responses(401, 403),
)
async def list_location_orders(
    location_id: LocationId,
    principal: CurrentPrincipal,
    bus: Bus,
    limit: Limit = 50,
    offset: Offset = 0,
    status: StatusFilter = None,
) -> CustomerOrderPage:
    page = await bus.execute(
        ListCustomerOrders(
            actor=actor_of(principal),
            location_id=location_id,
            page=page_request(limit, offset),
            status=status,
        )
    )
    return CustomerOrderPage.of(page)


def customer_orders_router() -> Router:
    return Router(
        "/customer-orders",
        route_handlers=[place_order, list_my_orders, get_order, cancel_order, fulfil_order],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["shop"],
    )


def location_customer_orders_router() -> Router:
    return Router(
        "/locations",
        route_handlers=[list_location_orders],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["shop"],
    )
