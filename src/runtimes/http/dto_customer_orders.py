"""Pydantic shapes of the shop's customer-order endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from petpro_core.inventory.domain.customer_orders import (
    MAX_ORDER_LINES,
    MAX_QUANTITY,
    CustomerOrder,
    OrderLine,
    RequestedLine,
)
from petpro_core.shared.pagination import Page
from runtimes.http.dto_clinics import PriceResponse

_TOKEN_PATTERN = r"^[A-Za-z0-9_\-]{3,200}$"  # noqa: S105 - a format, not a secret


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=2000)


class OrderLineBody(_Request):
    product_id: UUID
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)] = 1

    def line(self) -> RequestedLine:
        return RequestedLine(product_id=self.product_id, quantity=self.quantity)


class CustomerOrderCreate(_Request):
    location_id: UUID = Field(description="The clinic to pick the order up at.")
    lines: list[OrderLineBody] = Field(
        min_length=1, max_length=MAX_ORDER_LINES, description="One line per product."
    )
    payment_method_token: str = Field(
        pattern=_TOKEN_PATTERN,
        description="The payment provider's token for the customer's payment method.",
        examples=["tok_visa"],
    )


class CustomerOrderCancel(_Request):
    reason: str = Field(
        default="cancelled", min_length=1, max_length=500, examples=["Bought it elsewhere."]
    )


class OrderLineView(BaseModel):
    product_id: UUID
    sku: str
    name: str
    quantity: int
    unit_price: PriceResponse
    subtotal: PriceResponse

    @classmethod
    def of(cls, line: OrderLine) -> OrderLineView:
        return cls(
            product_id=line.product_id,
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price=PriceResponse.of(line.unit_price),
            subtotal=PriceResponse.of(line.subtotal),
        )


class CustomerOrderView(BaseModel):
    id: UUID
    status: str = Field(description="pending_payment, placed, fulfilled, cancelled or failed.")
    payment: str = Field(
        description="none, charging (outcome not known yet), charged, declined, refunding "
        "(a refund is owed) or refunded."
    )
    customer_id: UUID
    location_id: UUID
    lines: list[OrderLineView]
    total: PriceResponse
    pick_up_by: datetime
    charge_reference: str | None = None
    refund: PriceResponse | None = None
    failure: str | None = Field(
        None, description="out_of_stock, payment_declined or payment_timeout."
    )
    failure_reason: str | None = None
    cancelled_by: str | None = Field(None, description="customer, staff or system.")
    cancellation_reason: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, order: CustomerOrder) -> CustomerOrderView:
        return cls(
            id=order.customer_order_id,
            status=order.status.value,
            payment=order.payment.value,
            customer_id=order.customer_id,
            location_id=order.location_id,
            lines=[OrderLineView.of(line) for line in order.lines],
            total=PriceResponse.of(order.total),
            pick_up_by=order.pick_up_by,
            charge_reference=order.charge_reference,
            refund=None if order.refund is None else PriceResponse.of(order.refund),
            failure=None if order.failure_kind is None else order.failure_kind.value,
            failure_reason=order.failure_reason,
            cancelled_by=None if order.cancelled_by is None else order.cancelled_by.value,
            cancellation_reason=order.cancel_reason,
            created_at=order.created_at,
            updated_at=order.updated_at,
            version=order.version,
        )


class CustomerOrderPage(BaseModel):
    items: list[CustomerOrderView]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Page[CustomerOrder]) -> CustomerOrderPage:
        return cls(
            items=[CustomerOrderView.of(order) for order in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )
