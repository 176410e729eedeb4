"""The auth unit of work on SQL: the auth repositories over one transaction, the outbox in it."""

from __future__ import annotations

from adapters.sql.auth.repositories import (
    SqlLoginFailureLog,
    SqlPetRepository,
    SqlRefreshTokenRepository,
    SqlUserRepository,
)
from adapters.sql.auth.tables import SCHEMA, outbox
from adapters.sql.database import SqlDatabase
from adapters.sql.unit_of_work import SqlUnitOfWork
from petpro_core.auth.ports import (
    LoginFailureLog,
    PetRepository,
    RefreshTokenRepository,
    UserRepository,
)


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
