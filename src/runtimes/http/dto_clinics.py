"""Pydantic shapes of the clinic endpoints: clinics, staff, services, schedules.

Requests reject unknown members and only cap sizes; the core applies the real rules (so
an unknown time zone is reported as `invalid-input` naming the field). Money travels as
`{"amount": "6600", "currency": "JPY"}` with the amount a decimal string (a JSON number
is accepted on input); times are local `HH:MM`, weekdays ISO (1 = Monday … 7 = Sunday).
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from petpro_core.clinic.commands import (
    AddressInput,
    HoursInput,
    PolicyInput,
    PriceInput,
)
from petpro_core.clinic.domain.clinics import Clinic
from petpro_core.clinic.domain.schedules import Schedule
from petpro_core.clinic.domain.services import Service
from petpro_core.contracts.clinic import BookingPolicy, PostalAddress, ScheduleException
from petpro_core.shared.money import Money

_TEXT = 2000


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=_TEXT)


def _hhmm(value: time | None) -> str | None:
    if value is None:
        return None
    return value.isoformat("minutes") if not value.second else value.isoformat("seconds")


# -- clinics ----------------------------------------------------------------------------------


class Address(_Request):
    lines: list[Annotated[str, Field(max_length=200)]] = Field(
        min_length=1, max_length=5, examples=[["1-2-3 Jingumae", "2F"]]
    )
    locality: str = Field(max_length=200, examples=["Shibuya"])
    region: str | None = Field(None, max_length=200, examples=["Tokyo"])
    postal_code: str | None = Field(None, max_length=20, examples=["150-0001"])
    country: str = Field(
        max_length=2, description="ISO 3166-1 alpha-2.", examples=["JP"], min_length=2
    )

    def input(self) -> AddressInput:
        return AddressInput(
            lines=tuple(self.lines),
            locality=self.locality,
            region=self.region,
            postal_code=self.postal_code,
            country=self.country,
        )

    @classmethod
    def of(cls, address: PostalAddress) -> Address:
        return cls(
            lines=list(address.lines),
            locality=address.locality,
            region=address.region,
            postal_code=address.postal_code,
            country=address.country,
        )


class Policy(_Request):
    """How the clinic takes bookings. On input every member is optional: absent members
    keep the current value (or the default, on creation)."""

    min_notice_minutes: int | None = Field(None, description="Notice a booking needs (0..43200).")
    horizon_days: int | None = Field(None, description="How far ahead one may book (1..730).")
    slot_minutes: int | None = Field(None, description="Slots start every so many minutes.")
    full_refund_hours: int | None = Field(
        None, description="Cancelling this long before the start refunds everything."
    )
    late_refund_percent: int | None = Field(
        None, description="Refund (0..100 %) for a later cancellation before the start."
    )

    def input(self) -> PolicyInput:
        return PolicyInput(**self.model_dump())


class PolicyResponse(BaseModel):
    min_notice_minutes: int
    horizon_days: int
    slot_minutes: int
    full_refund_hours: int
    late_refund_percent: int

    @classmethod
    def of(cls, policy: BookingPolicy) -> PolicyResponse:
        return cls(
            min_notice_minutes=policy.min_notice_minutes,
            horizon_days=policy.horizon_days,
            slot_minutes=policy.slot_minutes,
            full_refund_hours=policy.full_refund_hours,
            late_refund_percent=policy.late_refund_percent,
        )


class ClinicCreate(_Request):
    name: str = Field(max_length=200, examples=["Shibuya Animal Clinic"])
    address: Address
    time_zone: str = Field(
        max_length=64, description="IANA time zone of the clinic.", examples=["Asia/Tokyo"]
    )
    phone: str | None = Field(None, max_length=40, examples=["+81 3-1234-5678"])
    email: str | None = Field(None, max_length=320, examples=["desk@shibuya.example"])
    booking_policy: Policy | None = None


_REQUIRED_CLINIC_FIELDS = ("name", "address", "time_zone", "booking_policy")


class ClinicUpdate(_Request):
    """Partial: absent members stay unchanged; null clears phone or email."""

    name: str | None = Field(None, max_length=200, description="Not nullable.")
    address: Address | None = Field(None, description="Not nullable; replaced whole.")
    time_zone: str | None = Field(None, max_length=64, description="Not nullable.")
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=320)
    booking_policy: Policy | None = Field(
        None, description="Not nullable; only the members given change."
    )

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> ClinicUpdate:
        for name in _REQUIRED_CLINIC_FIELDS:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        changes: dict[str, object] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            changes[name] = value.input() if isinstance(value, (Address, Policy)) else value
        return changes


class StaffAssignment(_Request):
    role: str = Field(max_length=20, description="vet or clinic_staff.", examples=["vet"])


class StaffMemberResponse(BaseModel):
    user_id: UUID
    role: str


class ClinicResponse(BaseModel):
    id: UUID
    name: str
    address: Address
    phone: str | None
    email: str | None
    time_zone: str
    booking_policy: PolicyResponse
    staff: list[StaffMemberResponse]
    schedule_id: UUID
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, clinic: Clinic) -> ClinicResponse:
        return cls(
            id=clinic.clinic_id,
            name=clinic.name,
            address=Address.of(clinic.address),
            phone=clinic.phone,
            email=clinic.email,
            time_zone=clinic.time_zone,
            booking_policy=PolicyResponse.of(clinic.policy),
            staff=[StaffMemberResponse(user_id=m.user_id, role=m.role) for m in clinic.staff],
            schedule_id=clinic.schedule_id,
            created_at=clinic.created_at,
            updated_at=clinic.updated_at,
            version=clinic.version,
        )


class ClinicPage(BaseModel):
    items: list[ClinicResponse]
    total: int
    limit: int
    offset: int


# -- services ---------------------------------------------------------------------------------


class Price(_Request):
    amount: Decimal = Field(
        description="A decimal string (a JSON number is accepted too), exact in the "
        "currency's minor unit.",
        examples=["6600"],
    )
    currency: str = Field(max_length=3, examples=["JPY"])

    def input(self) -> PriceInput:
        return PriceInput(amount=self.amount, currency=self.currency)


class PriceResponse(BaseModel):
    amount: str = Field(description="A decimal string.", examples=["6600"])
    currency: str = Field(examples=["JPY"])

    @classmethod
    def of(cls, money: Money) -> PriceResponse:
        return cls(amount=str(money.amount), currency=money.currency)


_MINUTES = "Whole minutes."


class ServiceCreate(_Request):
    name: str = Field(max_length=200, examples=["Vaccination"])
    duration_minutes: int = Field(description="5..1440.", examples=[30])
    buffer_before_minutes: int = Field(0, description="0..240; the vet is blocked before.")
    buffer_after_minutes: int = Field(0, description="0..240; the vet is blocked after.")
    price: Price
    species: list[Annotated[str, Field(max_length=50)]] = Field(
        default_factory=list, max_length=20, description="Empty: any species.", examples=[["dog"]]
    )
    vet_ids: list[UUID] = Field(
        default_factory=list, max_length=100, description="Vets on the clinic's staff."
    )


_REQUIRED_SERVICE_FIELDS = (
    "name",
    "duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "price",
    "species",
    "vet_ids",
    "active",
)


class ServiceUpdate(_Request):
    """Partial: absent members stay unchanged; `active: false` withdraws the service."""

    name: str | None = Field(None, max_length=200)
    duration_minutes: int | None = None
    buffer_before_minutes: int | None = None
    buffer_after_minutes: int | None = None
    price: Price | None = None
    species: list[Annotated[str, Field(max_length=50)]] | None = Field(None, max_length=20)
    vet_ids: list[UUID] | None = Field(None, max_length=100)
    active: bool | None = None

    @model_validator(mode="after")
    def _fields_are_not_cleared(self) -> ServiceUpdate:
        for name in _REQUIRED_SERVICE_FIELDS:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        changes: dict[str, object] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if isinstance(value, Price):
                value = value.input()
            elif isinstance(value, list):
                value = tuple(value)
            changes[name] = value
        return changes


class ServiceResponse(BaseModel):
    id: UUID
    clinic_id: UUID
    name: str
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    price: PriceResponse
    species: list[str]
    vet_ids: list[UUID]
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, service: Service) -> ServiceResponse:
        return cls(
            id=service.service_id,
            clinic_id=service.clinic_id,
            name=service.name,
            duration_minutes=service.duration_minutes,
            buffer_before_minutes=service.buffer_before_minutes,
            buffer_after_minutes=service.buffer_after_minutes,
            price=PriceResponse.of(service.price),
            species=list(service.species),
            vet_ids=list(service.vet_ids),
            active=service.active,
            created_at=service.created_at,
            updated_at=service.updated_at,
            version=service.version,
        )


class ServiceList(BaseModel):
    items: list[ServiceResponse]


# -- schedules --------------------------------------------------------------------------------


class HoursInterval(_Request):
    weekday: int = Field(description="ISO weekday: 1 = Monday … 7 = Sunday.", examples=[1])
    starts: time = Field(description="Local time.", examples=["09:00"])
    ends: time = Field(description="Local time, after starts.", examples=["12:30"])

    def input(self) -> HoursInput:
        return HoursInput(weekday=self.weekday, starts=self.starts, ends=self.ends)


class WorkingHoursResponse(BaseModel):
    vet_id: UUID
    weekday: int
    starts: str = Field(examples=["09:00"])
    ends: str = Field(examples=["12:30"])


class ExceptionCreate(_Request):
    kind: str = Field(
        max_length=20, description="holiday or closure (clinic-wide), leave (a vet's)."
    )
    first_day: date = Field(description="Clinic-local date.")
    last_day: date = Field(description="Clinic-local date, included.")
    vet_id: UUID | None = Field(None, description="The vet on leave; absent: the whole clinic.")
    starts: time | None = Field(None, description="Only these local hours of each day.")
    ends: time | None = None
    reason: str = Field("", max_length=500)


class ExceptionResponse(BaseModel):
    id: UUID
    vet_id: UUID | None
    kind: str
    first_day: date
    last_day: date
    starts: str | None
    ends: str | None
    reason: str

    @classmethod
    def of(cls, exception: ScheduleException) -> ExceptionResponse:
        return cls(
            id=exception.exception_id,
            vet_id=exception.vet_id,
            kind=exception.kind,
            first_day=exception.first_day,
            last_day=exception.last_day,
            starts=_hhmm(exception.starts),
            ends=_hhmm(exception.ends),
            reason=exception.reason,
        )


class ScheduleResponse(BaseModel):
    """Every vet's weekly hours and the exceptions that have not ended yet."""

    id: UUID
    clinic_id: UUID
    weekly_hours: list[WorkingHoursResponse]
    exceptions: list[ExceptionResponse]
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, schedule: Schedule) -> ScheduleResponse:
        return cls(
            id=schedule.schedule_id,
            clinic_id=schedule.clinic_id,
            weekly_hours=[
                WorkingHoursResponse(
                    vet_id=h.vet_id,
                    weekday=h.weekday,
                    starts=_hhmm(h.starts) or "",
                    ends=_hhmm(h.ends) or "",
                )
                for h in schedule.weekly_hours
            ],
            exceptions=[ExceptionResponse.of(e) for e in schedule.exceptions],
            updated_at=schedule.updated_at,
            version=schedule.version,
        )
