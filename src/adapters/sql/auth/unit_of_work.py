"""The auth unit of work on SQL: the auth repositories and the inbox over one transaction,
the outbox in it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.auth.booking_history import SqlBookingHistoryRepository
from adapters.sql.auth.repositories import (
    SqlLoginFailureLog,
    SqlPetRepository,
    SqlRefreshTokenRepository,
    SqlUserRepository,
)
from adapters.sql.auth.tables import SCHEMA, inbox, outbox
from adapters.sql.database import SqlDatabase
from adapters.sql.messaging_tables import SqlInbox
from adapters.sql.unit_of_work import SqlUnitOfWork
from petpro_core.auth.ports import (
    BookingHistoryRepository,
    LoginFailureLog,
    PetRepository,
    RefreshTokenRepository,
    UserRepository,
)
from petpro_core.shared.subscriptions import Inbox


class SqlAuthUnitOfWork(SqlUnitOfWork):
    def __init__(self, database: SqlDatabase) -> None:
        super().__init__(database, schema=SCHEMA, outbox=outbox)
        # Typed as the ports, so this class satisfies the AuthUnitOfWork protocol.
        self.users: UserRepository = SqlUserRepository(self._require_connection)
        self.pets: PetRepository = SqlPetRepository(self._require_connection)
        self.refresh_tokens: RefreshTokenRepository = SqlRefreshTokenRepository(
            self._require_connection
        )
        self.login_failures: LoginFailureLog = SqlLoginFailureLog(self._require_connection)
        self._booking_history = SqlBookingHistoryRepository(self._require_connection)
        self.booking_history: BookingHistoryRepository = self._booking_history
        self.inbox: Inbox = SqlInbox(self._require_connection, inbox)

    async def _before_commit(self, connection: AsyncConnection) -> None:
        await self._booking_history.flush()

    def _discard_buffers(self) -> None:
        self._booking_history.discard()
