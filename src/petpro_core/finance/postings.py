"""What the finance context does with other contexts' events: post them to the ledger (see
`domain.rules`), keep clinic names for reports.

Each event posts at most one transaction, whose id is derived from the event's id: the
consumer's inbox skips a redelivered event, and a replay the inbox no longer remembers
(`petpro outbox replay` after the inbox was pruned) collides on the transaction id and
posts nothing. Handlers run inside the consumer's unit of work and never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from petpro_core.contracts.booking import BookingCancelled, PaymentProcessed, PaymentRefunded
from petpro_core.contracts.clinic import ClinicSnapshot
from petpro_core.contracts.inventory import (
    CustomerOrderCancelled,
    CustomerOrderFulfilled,
    CustomerOrderPlaced,
)
from petpro_core.contracts.vendor import OrderCancelled, OrderCreated, OrderDelivered
from petpro_core.finance.domain import rules
from petpro_core.finance.domain.ledger import Transaction
from petpro_core.finance.ports import FinanceUnitOfWork
from petpro_core.shared.clock import Clock
from petpro_core.shared.events import Event

log = logging.getLogger("petpro.finance")

CLINIC = "clinic"
VENDOR = "vendor"

Handler = Callable[[Any, FinanceUnitOfWork], Awaitable[None]]


async def _post(transaction: Transaction | None, uow: FinanceUnitOfWork) -> None:
    if transaction is None:
        return
    if not await uow.ledger.add(transaction):
        log.info(
            "event posted before; nothing new",
            extra={"transaction_id": str(transaction.transaction_id)},
        )


def _posting(rule: Callable[[Any, datetime], Transaction | None], clock: Clock) -> Handler:
    async def handle(event: Event, uow: FinanceUnitOfWork) -> None:
        await _post(rule(event, clock.now()), uow)

    return handle


def _delivery(clock: Clock) -> Handler:
    async def handle(event: OrderDelivered, uow: FinanceUnitOfWork) -> None:
        before = await uow.delivered.advance(
            event.purchase_order_id, event.vendor_id, event.total_cost
        )
        await _post(rules.order_delivered(event, before, clock.now()), uow)

    return handle


async def keep_clinic_name(event: ClinicSnapshot, uow: FinanceUnitOfWork) -> None:
    await uow.names.keep(CLINIC, event.clinic_id, event.name, event.event_id)


async def keep_vendor_name(event: OrderCreated, uow: FinanceUnitOfWork) -> None:
    """A purchase order placed is a commitment, not a ledger entry: nothing to post. It names
    the vendor, for the payables report."""
    await uow.names.keep(VENDOR, event.vendor_id, event.vendor_name, event.event_id)


async def commitment_released(event: OrderCancelled, uow: FinanceUnitOfWork) -> None:
    """A cancelled purchase order posts nothing: what was delivered before stays payable."""


def posting_handlers(clock: Clock) -> dict[type[Event], Handler]:
    return {
        PaymentProcessed: _posting(rules.payment_processed, clock),
        PaymentRefunded: _posting(rules.payment_refunded, clock),
        BookingCancelled: _posting(rules.booking_cancelled, clock),
        CustomerOrderPlaced: _posting(rules.customer_order_placed, clock),
        CustomerOrderFulfilled: _posting(rules.customer_order_fulfilled, clock),
        CustomerOrderCancelled: _posting(rules.customer_order_cancelled, clock),
        OrderDelivered: _delivery(clock),
        OrderCreated: keep_vendor_name,
        OrderCancelled: commitment_released,
    }
