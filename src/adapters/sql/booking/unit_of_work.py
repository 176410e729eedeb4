"""The booking unit of work on SQL: the pet and clinic caches, bookings, saga state and the
inbox over one transaction, the outbox in it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.booking.bookings import SqlBookingRepository
from adapters.sql.booking.clinic_cache import SqlClinicCacheRepository
from adapters.sql.booking.repositories import SqlPetCacheRepository
from adapters.sql.booking.sagas import SqlBookingSagaRepository
from adapters.sql.booking.tables import SCHEMA, inbox, outbox
from adapters.sql.database import SqlDatabase
from adapters.sql.messaging_tables import SqlInbox
from adapters.sql.unit_of_work import SqlUnitOfWork
from petpro_core.booking.ports import (
    BookingRepository,
    BookingSagaRepository,
    ClinicCacheRepository,
    PetCacheRepository,
)
from petpro_core.shared.subscriptions import Inbox


class SqlBookingUnitOfWork(SqlUnitOfWork):
    def __init__(self, database: SqlDatabase) -> None:
        super().__init__(database, schema=SCHEMA, outbox=outbox)
        self._pet_cache = SqlPetCacheRepository(self._require_connection)
        self._bookings = SqlBookingRepository(self._require_connection)
        # Typed as the ports, so this class satisfies the BookingUnitOfWork protocol.
        self.pet_cache: PetCacheRepository = self._pet_cache
        self.clinics: ClinicCacheRepository = SqlClinicCacheRepository(self._require_connection)
        self.bookings: BookingRepository = self._bookings
        self._sagas = SqlBookingSagaRepository(self._require_connection)
        self.sagas: BookingSagaRepository = self._sagas
        self.inbox: Inbox = SqlInbox(self._require_connection, inbox)

    async def _before_commit(self, connection: AsyncConnection) -> None:
        if self._bookings.aborted or self._sagas.aborted:
            # PostgreSQL refused a write (SlotTaken, or StaleBooking for an existing saga)
            # and aborted the transaction; a COMMIT now would silently roll back, so say so
            # instead of pretending to commit.
            raise RuntimeError(
                "a booking write was refused (SlotTaken, StaleBooking): roll back first"
            )
        await self._pet_cache.flush()

    def _discard_buffers(self) -> None:
        self._pet_cache.discard()
        self._bookings.aborted = False
        self._sagas.aborted = False
