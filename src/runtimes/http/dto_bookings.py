"""Pydantic shapes of the booking endpoints: availability, bookings, day sheets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from petpro_core.booking.domain.bookings import Booking, ProductLine
from runtimes.http.dto_clinics import PriceResponse

_TOKEN_PATTERN = r"^[A-Za-z0-9_\-]{3,200}$"  # noqa: S105 - a format, not a secret


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=2000)


class ProductLineBody(_Request):
    product_id: UUID
    quantity: Annotated[int, Field(ge=1, le=1000)] = 1

    def line(self) -> ProductLine:
        return ProductLine(product_id=self.product_id, quantity=self.quantity)


class BookingCreate(_Request):
    pet_id: UUID
    clinic_id: UUID
    service_id: UUID
    vet_id: UUID | None = Field(None, description="A vet of the service; omitted: any free vet.")
    start: AwareDatetime = Field(
        description="The slot's start with its UTC offset, as availability lists it.",
        examples=["2026-03-10T10:00:00+09:00"],
    )
    products: list[ProductLineBody] = Field(
        default_factory=list, max_length=20, description="Products to prepare for the visit."
    )
    payment_method_token: str = Field(
        pattern=_TOKEN_PATTERN,
        description="The payment provider's token for the owner's payment method.",
        examples=["tok_visa"],
    )


class BookingCancel(_Request):
    reason: str = Field(min_length=1, max_length=500, examples=["The cat is feeling better."])


class BookingReschedule(_Request):
    start: AwareDatetime = Field(examples=["2026-03-11T14:30:00+09:00"])
    vet_id: UUID | None = None


class BookingView(BaseModel):
    id: UUID
    status: str = Field(description="held, confirmed, failed or cancelled.")
    owner_id: UUID
    pet_id: UUID
    clinic_id: UUID
    service_id: UUID
    vet_id: UUID
    starts_at: datetime
    ends_at: datetime
    price: PriceResponse
    products: list[ProductLineBody]
    failure_reason: str | None = None
    cancelled_by: str | None = None
    cancellation_reason: str | None = None
    refund: PriceResponse | None = None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, booking: Booking) -> BookingView:
        return cls(
            id=booking.booking_id,
            status=booking.status.value,
            owner_id=booking.owner_id,
            pet_id=booking.pet_id,
            clinic_id=booking.clinic_id,
            service_id=booking.service_id,
            vet_id=booking.vet_id,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            price=PriceResponse.of(booking.price),
            products=[
                ProductLineBody(product_id=line.product_id, quantity=line.quantity)
                for line in booking.products
            ],
            failure_reason=booking.failure_reason,
            cancelled_by=booking.cancelled_by,
            cancellation_reason=booking.cancellation_reason,
            refund=None if booking.refund is None else PriceResponse.of(booking.refund),
            created_at=booking.created_at,
            updated_at=booking.updated_at,
            version=booking.version,
        )


class BookingPage(BaseModel):
    items: list[BookingView]
    total: int
    limit: int
    offset: int


class SlotView(BaseModel):
    vet_id: UUID
    starts_at: datetime = Field(description="In the clinic's time zone, with its UTC offset.")
    ends_at: datetime


class AvailabilityView(BaseModel):
    clinic_id: UUID
    service_id: UUID
    slots: list[SlotView]


class DaySheetEntry(BaseModel):
    id: UUID
    status: str
    starts_at: datetime
    ends_at: datetime
    pet_id: UUID
    owner_id: UUID
    service_id: UUID


class DaySheetVet(BaseModel):
    vet_id: UUID
    bookings: list[DaySheetEntry]


class DaySheetView(BaseModel):
    clinic_id: UUID
    clinic_name: str
    day: date
    time_zone: str
    vets: list[DaySheetVet]
