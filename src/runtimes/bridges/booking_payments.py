"""Finance's PaymentRecords, answered by the booking context (the owner of payments): the
reconciliation compares what booking's sagas charged and refunded with the ledger.

It executes booking's ListPaymentRecords as the operator on the shared message bus (the
all-in-one deployment; split services put an HTTP adapter behind the same port).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from petpro_core.booking.commands import ListPaymentRecords
from petpro_core.booking.views import PaymentRecord as BookingPaymentRecord
from petpro_core.finance.domain.reconciliation import PaymentRecord
from petpro_core.shared.actors import OPERATOR_ACTOR
from petpro_core.shared.messagebus import MessageBus


def finance_record(record: BookingPaymentRecord) -> PaymentRecord:
    return PaymentRecord(
        payment_id=record.payment_id,
        booking_id=record.booking_id,
        clinic_id=record.clinic_id,
        charged=record.charged,
        refunded=record.refunded,
        charged_at=record.charged_at,
    )


class BookingPaymentRecords:
    """`bus_provider` returns the bus when first used (built lazily, like the other
    bridges)."""

    def __init__(self, bus_provider: Callable[[], MessageBus]) -> None:
        self._bus = bus_provider

    async def charged_between(
        self, start: datetime | None, end: datetime | None
    ) -> list[PaymentRecord]:
        records: list[BookingPaymentRecord] = await self._bus().execute(
            ListPaymentRecords(actor=OPERATOR_ACTOR, charged_from=start, charged_to=end)
        )
        return [finance_record(record) for record in records]
