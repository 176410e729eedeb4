"""The clinic unit of work on SQL: clinics, services and schedules over one transaction,
the outbox in it."""

from __future__ import annotations

from adapters.sql.clinic.repositories import (
    SqlClinicRepository,
    SqlScheduleRepository,
    SqlServiceRepository,
)
from adapters.sql.clinic.tables import SCHEMA, outbox
from adapters.sql.database import SqlDatabase
from adapters.sql.unit_of_work import SqlUnitOfWork
from petpro_core.clinic.ports import ClinicRepository, ScheduleRepository, ServiceRepository


class SqlClinicUnitOfWork(SqlUnitOfWork):
    def __init__(self, database: SqlDatabase) -> None:
        super().__init__(database, schema=SCHEMA, outbox=outbox)
        # Typed as the ports, so this class satisfies the ClinicUnitOfWork protocol.
        self.clinics: ClinicRepository = SqlClinicRepository(self._require_connection)
        self.services: ServiceRepository = SqlServiceRepository(self._require_connection)
        self.schedules: ScheduleRepository = SqlScheduleRepository(self._require_connection)
