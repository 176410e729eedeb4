"""The finance context for tests: its bus, its subscription fed by a consumer loop in
miniature, a fake of booking's payment records, and builders of the events it posts."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from adapters.memory.finance import FinanceState, InMemoryFinanceUnitOfWork, in_memory_finance_store
from adapters.memory.unit_of_work import InMemoryStore
from petpro_core.contracts.booking import BookingCancelled, PaymentProcessed, PaymentRefunded
from petpro_core.contracts.clinic import ClinicCreated, ClinicUpdated
from petpro_core.contracts.examples import EXAMPLES
from petpro_core.contracts.inventory import (
    CustomerOrderCancelled,
    CustomerOrderFulfilled,
    CustomerOrderLine,
    CustomerOrderPlaced,
)
from petpro_core.contracts.vendor import OrderCancelled, OrderCreated, OrderDelivered
from petpro_core.finance.domain.reconciliation import PaymentRecord
from petpro_core.finance.handlers import FinanceDependencies, FinanceHandlers
from petpro_core.finance.ports import FinanceUnitOfWorkFactory
from petpro_core.finance.subscriptions import finance_subscription
from petpro_core.shared.actors import Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money
from petpro_core.shared.subscriptions import Subscription
from tests.support.consuming import deliver_batches

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADMIN = Actor(user_id=UUID(int=1), roles=frozenset({"admin"}))
STAFF = Actor(user_id=UUID(int=2), roles=frozenset({"clinic_staff"}))
CLINIC = UUID("00000000-0000-4000-8000-00000000c111")
OTHER_CLINIC = UUID("00000000-0000-4000-8000-00000000c333")
LOCATION = UUID("00000000-0000-4000-8000-00000000c222")
VENDOR = UUID("00000000-0000-4000-8000-00000000e111")


def eur(amount: str | int) -> Money:
    return Money(Decimal(amount).quantize(Decimal("0.01")), "EUR")


class FakePaymentRecords:
    """Booking's payment records, as the reconciliation asks for them."""

    def __init__(self) -> None:
        self.records: list[PaymentRecord] = []

    def add(
        self,
        payment: PaymentProcessed,
        refunded: Money | None = None,
        charged: Money | None = None,
    ) -> PaymentRecord:
        record = PaymentRecord(
            payment_id=payment.payment_id,
            booking_id=payment.booking_id,
            clinic_id=payment.clinic_id,
            charged=charged or payment.amount,
            refunded=refunded or Money(Decimal(0), payment.amount.currency),
            charged_at=payment.occurred_at,
        )
        self.records.append(record)
        return record

    async def charged_between(
        self, start: datetime | None, end: datetime | None
    ) -> list[PaymentRecord]:
        return [
            r
            for r in self.records
            if (start is None or start <= r.charged_at) and (end is None or r.charged_at < end)
        ]


class FinanceHarness:
    def __init__(self, uow: FinanceUnitOfWorkFactory | None = None) -> None:
        self.store: InMemoryStore[FinanceState] | None = None
        if uow is None:
            store = in_memory_finance_store()
            self.store = store
            uow = lambda: InMemoryFinanceUnitOfWork(store)  # noqa: E731
        self.uow = uow
        self.clock = FixedClock(T0 + timedelta(days=30))
        self.payments = FakePaymentRecords()
        self.bus = MessageBus()
        FinanceHandlers(
            FinanceDependencies(uow=uow, payments=self.payments, clock=self.clock)
        ).register(self.bus)
        self.subscription: Subscription = finance_subscription(uow, self.clock)

    async def execute(self, command: Any) -> Any:
        return await self.bus.execute(command)

    async def deliver(self, *batches: Sequence[Event]) -> list[UUID]:
        """Each batch in one unit of work, as the consumer does (see `deliver_batches`)."""
        return await deliver_batches(self.subscription, *batches)

    async def post_each(self, *events: Event) -> None:
        """Every event in its own batch."""
        await self.deliver(*[[event] for event in events])


# -- event builders -----------------------------------------------------------------------------


def payment_processed(
    amount: Money | None = None, *, clinic: UUID = CLINIC, at: datetime = T0, **fields: Any
) -> PaymentProcessed:
    return PaymentProcessed(
        payment_id=fields.pop("payment_id", None) or new_id(),
        booking_id=fields.pop("booking_id", None) or new_id(),
        clinic_id=clinic,
        owner_id=UUID(int=99),
        amount=amount or eur("80.00"),
        method="card",
        occurred_at=at,
        aggregate_version=1,
        **fields,
    )


def payment_refunded(
    payment: PaymentProcessed,
    amount: Money | None = None,
    *,
    cause: str | None = "cancelled",
    at: datetime | None = None,
) -> PaymentRefunded:
    return PaymentRefunded(
        payment_id=payment.payment_id,
        booking_id=payment.booking_id,
        clinic_id=payment.clinic_id,
        owner_id=payment.owner_id,
        amount=amount or payment.amount,
        cause=cause,
        occurred_at=at or payment.occurred_at + timedelta(hours=2),
        aggregate_version=2,
    )


def booking_cancelled(
    payment: PaymentProcessed, refund: Money, *, at: datetime | None = None
) -> BookingCancelled:
    example = EXAMPLES[BookingCancelled]
    assert isinstance(example, BookingCancelled)
    return dataclasses.replace(
        example,
        event_id=new_id(),
        booking_id=payment.booking_id,
        clinic_id=payment.clinic_id,
        price=payment.amount,
        refund=refund,
        occurred_at=at or payment.occurred_at + timedelta(hours=1),
    )


def clinic_event(
    name: str, *, clinic: UUID = CLINIC, updated: bool = False, event_id: UUID | None = None
) -> Event:
    example = EXAMPLES[ClinicUpdated if updated else ClinicCreated]
    assert isinstance(example, ClinicCreated | ClinicUpdated)
    return dataclasses.replace(example, event_id=event_id or new_id(), clinic_id=clinic, name=name)


def _lines(total: Money) -> tuple[CustomerOrderLine, ...]:
    return (CustomerOrderLine(product_id=new_id(), sku="FLEA-10", quantity=1, unit_price=total),)


def _customer_order(**fields: Any) -> dict[str, Any]:
    total: Money = fields.pop("total")
    return {
        "customer_order_id": fields.pop("customer_order_id"),
        "customer_id": UUID(int=98),
        "location_id": fields.pop("location", LOCATION),
        "lines": _lines(total),
        "total": total,
        "occurred_at": fields.pop("at", T0),
        "aggregate_version": fields.pop("version", 1),
        **fields,
    }


def order_placed(
    total: Money, *, order_id: UUID | None = None, **fields: Any
) -> CustomerOrderPlaced:
    return CustomerOrderPlaced(
        **_customer_order(
            customer_order_id=order_id or new_id(),
            total=total,
            payment_reference="pay-1",
            pick_up_by=T0 + timedelta(days=3),
            **fields,
        )
    )


def order_fulfilled(placed: CustomerOrderPlaced, **fields: Any) -> CustomerOrderFulfilled:
    return CustomerOrderFulfilled(
        **_customer_order(
            customer_order_id=placed.customer_order_id,
            total=placed.total,
            location=placed.location_id,
            version=2,
            **fields,
        )
    )


def order_cancelled(
    placed: CustomerOrderPlaced, refund: Money | None = None, **fields: Any
) -> CustomerOrderCancelled:
    return CustomerOrderCancelled(
        **_customer_order(
            customer_order_id=placed.customer_order_id,
            total=placed.total,
            location=placed.location_id,
            version=2,
            cancelled_by="customer",
            reason="changed my mind",
            refund=refund if refund is not None else placed.total,
            **fields,
        )
    )


def purchase_order_created(
    purchase_order_id: UUID, *, vendor: UUID = VENDOR, total: Money | None = None
) -> OrderCreated:
    total = total or eur("100.00")
    return OrderCreated(
        purchase_order_id=purchase_order_id,
        vendor_id=vendor,
        product_id=UUID(int=7),
        location_id=LOCATION,
        vendor_name="Acme",
        quantity=10,
        unit_cost=Money(total.amount / 10, total.currency),
        total_cost=total,
        expected_on=(T0 + timedelta(days=5)).date(),
        occurred_at=T0,
        aggregate_version=1,
    )


def delivered(
    purchase_order_id: UUID,
    quantity: int,
    total: Money,
    *,
    ordered: int = 10,
    vendor: UUID = VENDOR,
    at: datetime = T0,
) -> OrderDelivered:
    return OrderDelivered(
        purchase_order_id=purchase_order_id,
        vendor_id=vendor,
        product_id=UUID(int=7),
        location_id=LOCATION,
        quantity_ordered=ordered,
        quantity_delivered=quantity,
        total_cost=total,
        partial=quantity < ordered,
        occurred_at=at,
        aggregate_version=1 + quantity,
    )


def purchase_order_cancelled(purchase_order_id: UUID, delivered_so_far: int) -> OrderCancelled:
    return OrderCancelled(
        purchase_order_id=purchase_order_id,
        vendor_id=VENDOR,
        product_id=UUID(int=7),
        location_id=LOCATION,
        quantity_ordered=10,
        quantity_delivered=delivered_so_far,
        reason="vendor out of stock",
        occurred_at=T0,
        aggregate_version=20,
    )
