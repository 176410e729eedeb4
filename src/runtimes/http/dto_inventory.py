"""Pydantic shapes of the inventory endpoints: categories, products, stock locations, stock
with its ledger, reorder policies, receipts, adjustments and reservations.

Requests reject unknown members and only cap sizes; the core applies the real rules. Money
travels as `{"amount": "19.95", "currency": "EUR"}` with the amount a decimal string (a JSON
number is accepted on input).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from petpro_core.inventory.domain.categories import Category
from petpro_core.inventory.domain.locations import Location
from petpro_core.inventory.domain.products import Product
from petpro_core.inventory.domain.reservations import Reservation
from petpro_core.inventory.domain.stock import StockItem, StockMovement
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.money import Money

_TEXT = 2000


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=_TEXT)


# -- categories -------------------------------------------------------------------------------


class CategoryCreate(_Request):
    name: str = Field(max_length=200, examples=["Dry food"])
    parent_id: UUID | None = Field(None, description="None: a top-level category.")


class CategoryUpdate(_Request):
    name: str | None = Field(None, max_length=200, description="Absent: unchanged.")
    parent_id: UUID | None = Field(
        None, description="Absent: unchanged; null: move to the top; never under itself."
    )


class CategoryView(BaseModel):
    category_id: UUID
    name: str
    parent_id: UUID | None
    version: int

    @classmethod
    def of(cls, category: Category) -> CategoryView:
        return cls(
            category_id=category.category_id,
            name=category.name,
            parent_id=category.parent_id,
            version=category.version,
        )


class CategoryNode(BaseModel):
    category_id: UUID
    name: str
    children: list[CategoryNode]


class CategoryList(BaseModel):
    """`items` flat (by name, with parent ids); `tree` the same nested, when asked for."""

    items: list[CategoryView]
    tree: list[CategoryNode] | None = None

    @classmethod
    def of(cls, categories: list[Category], *, tree: bool) -> CategoryList:
        if not tree:
            return cls(items=[CategoryView.of(c) for c in categories])
        nodes = {
            c.category_id: CategoryNode(category_id=c.category_id, name=c.name, children=[])
            for c in categories
        }
        roots: list[CategoryNode] = []
        for category in categories:  # by name, so children are too
            node = nodes[category.category_id]
            parent = None if category.parent_id is None else nodes.get(category.parent_id)
            (roots if parent is None else parent.children).append(node)
        return cls(items=[CategoryView.of(c) for c in categories], tree=roots)


# -- products ---------------------------------------------------------------------------------


class Price(_Request):
    amount: Decimal = Field(description="A decimal string (or number).", examples=["19.95"])
    currency: str = Field(max_length=3, examples=["EUR"])

    def money(self) -> Money:
        try:
            return Money(self.amount, self.currency)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(str(exc), field="price") from None


class PriceView(BaseModel):
    amount: str = Field(description="A decimal string.", examples=["19.95"])
    currency: str = Field(examples=["EUR"])

    @classmethod
    def of(cls, money: Money) -> PriceView:
        return cls(amount=str(money.amount), currency=money.currency)


class ProductCreate(_Request):
    sku: str = Field(max_length=64, examples=["FLEA-CAT-S"])
    name: str = Field(max_length=200, examples=["Flea treatment for cats"])
    unit: str = Field(max_length=50, examples=["pack of 3"])
    price: Price
    category_id: UUID | None = None
    species: list[Annotated[str, Field(max_length=50)]] = Field(
        default_factory=list, max_length=20, description="Empty: any species."
    )


class ProductUpdate(_Request):
    """Partial: absent members stay; `category_id` null clears it."""

    expected_version: int | None = Field(
        None, description="When given, the product's current version (else 409)."
    )
    name: str | None = Field(None, max_length=200)
    unit: str | None = Field(None, max_length=50)
    price: Price | None = None
    category_id: UUID | None = None
    species: list[Annotated[str, Field(max_length=50)]] | None = Field(None, max_length=20)
    active: bool | None = None


class ProductView(BaseModel):
    product_id: UUID
    sku: str
    name: str
    unit: str
    price: PriceView
    category_id: UUID | None
    species: list[str]
    active: bool
    version: int

    @classmethod
    def of(cls, product: Product) -> ProductView:
        return cls(
            product_id=product.product_id,
            sku=product.sku,
            name=product.name,
            unit=product.unit,
            price=PriceView.of(product.price),
            category_id=product.category_id,
            species=list(product.species),
            active=product.active,
            version=product.version,
        )


class ProductPage(BaseModel):
    items: list[ProductView]
    total: int
    limit: int
    offset: int


# -- locations and stock ----------------------------------------------------------------------


class WarehouseCreate(_Request):
    name: str = Field(max_length=200, examples=["Central warehouse"])


class LocationView(BaseModel):
    location_id: UUID
    kind: str = Field(description="clinic or warehouse.")
    name: str
    staff: list[UUID] = Field(description="A clinic's staff (they manage its stock).")

    @classmethod
    def of(cls, location: Location) -> LocationView:
        return cls(
            location_id=location.location_id,
            kind=location.kind.value,
            name=location.name,
            staff=sorted(location.staff),
        )


class LocationList(BaseModel):
    items: list[LocationView]


class StockView(BaseModel):
    stock_item_id: UUID
    product_id: UUID
    location_id: UUID
    on_hand: int
    reserved: int
    available: int
    on_order: int = Field(description="Units on open purchase orders, not yet received.")
    threshold: int | None = Field(description="The reorder threshold; None: no policy.")
    reorder_quantity: int | None
    needed_within_days: int | None
    low: bool = Field(description="available + on_order <= threshold.")
    version: int
    updated_at: datetime

    @classmethod
    def of(cls, item: StockItem) -> StockView:
        policy = item.policy
        return cls(
            stock_item_id=item.stock_item_id,
            product_id=item.product_id,
            location_id=item.location_id,
            on_hand=item.on_hand,
            reserved=item.reserved,
            available=item.available,
            on_order=item.on_order,
            threshold=None if policy is None else policy.threshold,
            reorder_quantity=None if policy is None else policy.reorder_quantity,
            needed_within_days=None if policy is None else policy.needed_within_days,
            low=item.is_low,
            version=item.version,
            updated_at=item.updated_at,
        )


class StockList(BaseModel):
    items: list[StockView]


class MovementView(BaseModel):
    movement_id: UUID
    kind: str
    on_hand_delta: int
    reserved_delta: int
    reason: str | None
    reference: str | None
    reservation_id: UUID | None
    stock_version: int
    occurred_at: datetime

    @classmethod
    def of(cls, movement: StockMovement) -> MovementView:
        return cls(
            movement_id=movement.movement_id,
            kind=movement.kind.value,
            on_hand_delta=movement.on_hand_delta,
            reserved_delta=movement.reserved_delta,
            reason=movement.reason,
            reference=movement.reference,
            reservation_id=movement.reservation_id,
            stock_version=movement.stock_version,
            occurred_at=movement.occurred_at,
        )


class StockDetail(StockView):
    movements: list[MovementView] = Field(description="The ledger, oldest first.")


class ReorderPolicyBody(_Request):
    threshold: int = Field(description="Low when available + on order <= this; >= 0.")
    reorder_quantity: int = Field(description="How much to reorder; >= 1.")
    needed_within_days: int | None = Field(
        None, description="The longest lead time this location accepts; None: any."
    )


class ReceiptCreate(_Request):
    quantity: int = Field(description=">= 1.", examples=[12])
    reference: str | None = Field(None, max_length=200, examples=["delivery note 0042"])


class AdjustmentCreate(_Request):
    delta: int = Field(description="Non-zero; never below zero nor below reserved.")
    reason: str = Field(max_length=500, examples=["stocktake"])


# -- reservations (internal) ------------------------------------------------------------------


class ReservationLineBody(_Request):
    product_id: UUID
    quantity: int = Field(description=">= 1.")


class ReservationCreate(_Request):
    reservation_id: UUID = Field(description="The caller's id: a repeat answers the first outcome.")
    location_id: UUID
    lines: list[ReservationLineBody] = Field(min_length=1, max_length=100)
    expires_at: datetime
    reference: str = Field(max_length=200, examples=["booking:0192…"])


class ReservationRelease(_Request):
    reason: str = Field(max_length=500, examples=["booking cancelled"])


class ReservationOutcome(BaseModel):
    reserved: bool
    reason: str | None = None


class ReservationView(BaseModel):
    reservation_id: UUID
    location_id: UUID
    reference: str
    status: str
    lines: list[dict[str, int | str]]
    expires_at: datetime
    failure_reason: str | None
    release_reason: str | None
    version: int

    @classmethod
    def of(cls, reservation: Reservation) -> ReservationView:
        return cls(
            reservation_id=reservation.reservation_id,
            location_id=reservation.location_id,
            reference=reservation.reference,
            status=reservation.status.value,
            lines=[
                {"product_id": str(line.product_id), "quantity": line.quantity}
                for line in reservation.lines
            ],
            expires_at=reservation.expires_at,
            failure_reason=reservation.failure_reason,
            release_reason=reservation.release_reason,
            version=reservation.version,
        )
