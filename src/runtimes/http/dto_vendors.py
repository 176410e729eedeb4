"""Pydantic shapes of the vendor endpoints: vendors, supply catalogue, purchase orders and
the inventory status view.

Requests reject unknown members and only cap sizes; the core applies the real rules. Money
travels as `{"amount": "2.50", "currency": "EUR"}` with the amount a decimal string (a JSON
number is accepted on input).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from petpro_core.shared.money import Money
from petpro_core.vendor.commands import CostInput
from petpro_core.vendor.domain.catalogue import SupplyItem
from petpro_core.vendor.domain.orders import PurchaseOrder
from petpro_core.vendor.domain.status import VendorStockRow
from petpro_core.vendor.domain.vendors import Vendor

_TEXT = 2000


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=_TEXT)


class Cost(_Request):
    amount: Decimal = Field(
        description="A decimal string (a JSON number is accepted too), exact in the "
        "currency's minor unit.",
        examples=["2.50"],
    )
    currency: str = Field(max_length=3, examples=["EUR"])

    def input(self) -> CostInput:
        return CostInput(amount=self.amount, currency=self.currency)


class MoneyResponse(BaseModel):
    amount: str = Field(description="A decimal string.", examples=["2.50"])
    currency: str = Field(examples=["EUR"])

    @classmethod
    def of(cls, money: Money) -> MoneyResponse:
        return cls(amount=str(money.amount), currency=money.currency)


# -- vendors ----------------------------------------------------------------------------------


class VendorCreate(_Request):
    name: str = Field(max_length=200, examples=["Acme Pet Supply"])
    lead_time_days: int = Field(description="Days from order to delivery, 0..365.", examples=[3])
    email: str | None = Field(None, max_length=320, examples=["orders@acme.example"])
    phone: str | None = Field(None, max_length=40, examples=["+49 30 123456"])
    active: bool = True


_REQUIRED_VENDOR_FIELDS = ("name", "lead_time_days", "active")


class VendorUpdate(_Request):
    """Partial: absent members stay unchanged; null clears email or phone."""

    name: str | None = Field(None, max_length=200)
    lead_time_days: int | None = None
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=40)
    active: bool | None = None
    expected_version: int | None = Field(
        None, description="Refuse (409) unless the vendor is still at this version."
    )

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> VendorUpdate:
        for name in _REQUIRED_VENDOR_FIELDS:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        return {n: getattr(self, n) for n in self.model_fields_set if n != "expected_version"}


class MemberAdd(_Request):
    user_id: UUID = Field(description="A user holding the vendor role.")


class VendorResponse(BaseModel):
    id: UUID
    name: str
    email: str | None
    phone: str | None
    lead_time_days: int
    active: bool
    member_ids: list[UUID]
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, vendor: Vendor) -> VendorResponse:
        return cls(
            id=vendor.vendor_id,
            name=vendor.name,
            email=vendor.email,
            phone=vendor.phone,
            lead_time_days=vendor.lead_time_days,
            active=vendor.active,
            member_ids=list(vendor.member_ids),
            created_at=vendor.created_at,
            updated_at=vendor.updated_at,
            version=vendor.version,
        )


class VendorPage(BaseModel):
    items: list[VendorResponse]
    total: int
    limit: int
    offset: int


# -- supply catalogue -------------------------------------------------------------------------


class SupplyItemCreate(_Request):
    product_id: UUID = Field(description="An inventory product (from the product catalogue).")
    vendor_sku: str = Field(max_length=64, examples=["AC-FLEA-10"])
    unit_cost: Cost
    minimum_order: int = Field(1, description="Order at least this many units (>= 1).")
    pack_size: int = Field(1, description="Units come in packs of this many (>= 1).")


_REQUIRED_ITEM_FIELDS = ("vendor_sku", "unit_cost", "minimum_order", "pack_size", "active")


class SupplyItemUpdate(_Request):
    """Partial: absent members stay unchanged; `active: false` withdraws the item."""

    vendor_sku: str | None = Field(None, max_length=64)
    unit_cost: Cost | None = None
    minimum_order: int | None = None
    pack_size: int | None = None
    active: bool | None = None
    expected_version: int | None = None

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> SupplyItemUpdate:
        for name in _REQUIRED_ITEM_FIELDS:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        changes: dict[str, object] = {}
        for name in self.model_fields_set - {"expected_version"}:
            value = getattr(self, name)
            changes[name] = value.input() if isinstance(value, Cost) else value
        return changes


class SupplyItemResponse(BaseModel):
    id: UUID
    vendor_id: UUID
    product_id: UUID
    vendor_sku: str
    unit_cost: MoneyResponse
    minimum_order: int
    pack_size: int
    active: bool
    version: int

    @classmethod
    def of(cls, item: SupplyItem) -> SupplyItemResponse:
        return cls(
            id=item.item_id,
            vendor_id=item.vendor_id,
            product_id=item.product_id,
            vendor_sku=item.vendor_sku,
            unit_cost=MoneyResponse.of(item.unit_cost),
            minimum_order=item.minimum_order,
            pack_size=item.pack_size,
            active=item.active,
            version=item.version,
        )


class SupplyItemList(BaseModel):
    items: list[SupplyItemResponse]


# -- purchase orders --------------------------------------------------------------------------


class PurchaseOrderCreate(_Request):
    vendor_id: UUID
    product_id: UUID
    location_id: UUID = Field(description="The clinic or warehouse the goods go to.")
    quantity: int = Field(description="Rounded up to whole packs and the minimum order.")


class ConfirmRequest(_Request):
    expected_on: date | None = Field(None, description="Another promised date, if any.")
    expected_version: int | None = None


class ShipRequest(_Request):
    carrier: str = Field(max_length=200, examples=["DHL"])
    tracking_number: str = Field(max_length=200, examples=["JD014600003828"])
    expected_delivery_on: date
    quantity: int | None = Field(None, description="Units in this shipment (default: the rest).")
    expected_version: int | None = None


class DeliverRequest(_Request):
    quantity: int = Field(description="Units in this delivery; a part of the order is fine.")
    delivery_id: UUID | None = Field(
        None, description="Names the delivery: repeating it changes nothing."
    )
    expected_version: int | None = None


class CancelRequest(_Request):
    reason: str = Field(max_length=500, examples=["no longer needed"])
    expected_version: int | None = None


class ShipmentResponse(BaseModel):
    id: UUID
    carrier: str
    tracking_number: str
    expected_on: date
    quantity: int
    shipped_at: datetime


class DeliveryResponse(BaseModel):
    id: UUID
    quantity: int
    delivered_at: datetime


class PurchaseOrderResponse(BaseModel):
    id: UUID
    vendor_id: UUID
    vendor_name: str
    product_id: UUID
    sku: str
    vendor_sku: str
    location_id: UUID
    quantity: int
    unit_cost: MoneyResponse
    total_cost: MoneyResponse
    status: str
    expected_on: date
    origin: str
    origin_event_id: UUID | None
    note: str | None
    shipments: list[ShipmentResponse]
    deliveries: list[DeliveryResponse]
    quantity_delivered: int
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, order: PurchaseOrder) -> PurchaseOrderResponse:
        return cls(
            id=order.purchase_order_id,
            vendor_id=order.vendor_id,
            vendor_name=order.vendor_name,
            product_id=order.product_id,
            sku=order.sku,
            vendor_sku=order.vendor_sku,
            location_id=order.location_id,
            quantity=order.quantity,
            unit_cost=MoneyResponse.of(order.unit_cost),
            total_cost=MoneyResponse.of(order.total_cost),
            status=order.status.value,
            expected_on=order.expected_on,
            origin=order.origin.value,
            origin_event_id=order.origin_event_id,
            note=order.note,
            shipments=[
                ShipmentResponse(
                    id=s.shipment_id,
                    carrier=s.carrier,
                    tracking_number=s.tracking_number,
                    expected_on=s.expected_on,
                    quantity=s.quantity,
                    shipped_at=s.shipped_at,
                )
                for s in order.shipments
            ],
            deliveries=[
                DeliveryResponse(id=d.delivery_id, quantity=d.quantity, delivered_at=d.delivered_at)
                for d in order.deliveries
            ],
            quantity_delivered=order.quantity_delivered,
            cancel_reason=order.cancel_reason,
            created_at=order.created_at,
            updated_at=order.updated_at,
            version=order.version,
        )


class PurchaseOrderPage(BaseModel):
    items: list[PurchaseOrderResponse]
    total: int
    limit: int
    offset: int


# -- inventory status -------------------------------------------------------------------------


class ReorderResponse(BaseModel):
    outcome: str = Field(description="ordered, already_ordered or no_vendor.")
    reason: str
    purchase_order_id: UUID | None
    decided_at: datetime


class InventoryStatusRow(BaseModel):
    vendor_id: UUID
    vendor_name: str
    product_id: UUID
    sku: str
    product_name: str
    vendor_sku: str
    location_id: UUID
    on_hand: int
    reserved: int
    available: int
    threshold: int | None
    reorder_quantity: int | None
    needs_reorder: bool
    open_purchase_order_id: UUID | None
    open_purchase_order_status: str | None
    last_reorder: ReorderResponse | None

    @classmethod
    def of(cls, row: VendorStockRow) -> InventoryStatusRow:
        decision = row.last_reorder
        return cls(
            vendor_id=row.vendor_id,
            vendor_name=row.vendor_name,
            product_id=row.product_id,
            sku=row.sku,
            product_name=row.product_name,
            vendor_sku=row.vendor_sku,
            location_id=row.location_id,
            on_hand=row.on_hand,
            reserved=row.reserved,
            available=row.available,
            threshold=row.threshold,
            reorder_quantity=row.reorder_quantity,
            needs_reorder=row.needs_reorder,
            open_purchase_order_id=row.open_purchase_order_id,
            open_purchase_order_status=row.open_purchase_order_status,
            last_reorder=None
            if decision is None
            else ReorderResponse(
                outcome=decision.outcome.value,
                reason=decision.reason,
                purchase_order_id=decision.purchase_order_id,
                decided_at=decision.decided_at,
            ),
        )


class InventoryStatus(BaseModel):
    items: list[InventoryStatusRow]
