"""Booking's ProductReservations, answered by inventory (the owner of stock): the booking
saga reserves the products a visit needs at the clinic, and releases them when it
compensates.

It executes inventory's ReserveProducts and ReleaseReservation on the shared message bus
(the all-in-one deployment; split services put an HTTP adapter behind the same port). Both
are idempotent by reservation id, so the saga may retry either after a failure that left
the outcome unknown: a database that cannot be reached surfaces as
ReservationsUnavailable, the port's "retry" signal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from petpro_core.booking.domain.bookings import ProductLine
from petpro_core.booking.ports import ReservationOutcome, ReservationsUnavailable
from petpro_core.contracts.inventory import ReservationLine
from petpro_core.inventory.commands import (
    ReleaseReservation,
    ReservationResult,
    ReserveProducts,
)
from petpro_core.shared.errors import ServiceUnavailable
from petpro_core.shared.messagebus import MessageBus

# What "inventory could not answer now" looks like in process: a lost or refused database
# connection, a serialisation failure or deadlock (DBAPIError's operational kinds), an
# exhausted pool, a context that says so.
_TRANSIENT = (OSError, PoolTimeout, ServiceUnavailable, OperationalError, InterfaceError)


def _transient(error: Exception) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, _TRANSIENT)


class InventoryProductReservations:
    """`bus_provider` returns the message bus that carries inventory's handlers; it is
    called on each request, so this can be built before that bus (no cycle)."""

    def __init__(self, bus_provider: Callable[[], MessageBus]) -> None:
        self._bus_provider = bus_provider

    async def reserve(
        self,
        *,
        reservation_id: UUID,
        location_id: UUID,
        lines: tuple[ProductLine, ...],
        expires_at: datetime,
        reference: str,
    ) -> ReservationOutcome:
        """Every line or none; a repeat with the same id answers the first outcome. A
        booking without products reserves nothing and succeeds (nothing to release)."""
        if not lines:
            return ReservationOutcome(reserved=True)
        command = ReserveProducts(
            reservation_id=reservation_id,
            location_id=location_id,
            lines=tuple(
                ReservationLine(product_id=line.product_id, quantity=line.quantity)
                for line in lines
            ),
            expires_at=expires_at,
            reference=reference,
        )
        try:
            result: ReservationResult = await self._bus_provider().execute(command)
        except Exception as error:
            if _transient(error):
                raise ReservationsUnavailable(str(error)) from error
            raise
        return ReservationOutcome(reserved=result.reserved, reason=result.reason)

    async def release(self, reservation_id: UUID, reason: str) -> None:
        """Releasing an unknown, released or expired reservation does nothing."""
        try:
            await self._bus_provider().execute(
                ReleaseReservation(reservation_id=reservation_id, reason=reason)
            )
        except Exception as error:
            if _transient(error):
                raise ReservationsUnavailable(str(error)) from error
            raise
