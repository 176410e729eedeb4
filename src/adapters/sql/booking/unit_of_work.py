"""The booking unit of work on SQL: the pet cache and the inbox over one transaction, the
outbox in it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.booking.repositories import SqlPetCacheRepository
from adapters.sql.booking.tables import SCHEMA, inbox, outbox
from adapters.sql.database import SqlDatabase
from adapters.sql.messaging_tables import SqlInbox
from adapters.sql.unit_of_work import SqlUnitOfWork
from petpro_core.booking.ports import PetCacheRepository
from petpro_core.shared.subscriptions import Inbox


class SqlBookingUnitOfWork(SqlUnitOfWork):
    def __init__(self, database: SqlDatabase) -> None:
        super().__init__(database, schema=SCHEMA, outbox=outbox)
        self._pet_cache = SqlPetCacheRepository(self._require_connection)
        # Typed as the ports, so this class satisfies the BookingUnitOfWork protocol.
        self.pet_cache: PetCacheRepository = self._pet_cache
        self.inbox: Inbox = SqlInbox(self._require_connection, inbox)

    async def _before_commit(self, connection: AsyncConnection) -> None:
        await self._pet_cache.flush()

    def _discard_buffers(self) -> None:
        self._pet_cache.discard()
