"""The finance unit of work on SQL: the ledger, delivered costs, names and the inbox over
one transaction (finance publishes no events; its outbox stays empty)."""

from __future__ import annotations

from adapters.sql.database import SqlDatabase
from adapters.sql.finance.repositories import SqlDeliveredCosts, SqlLedger, SqlNameBook
from adapters.sql.finance.tables import SCHEMA, inbox, outbox
from adapters.sql.messaging_tables import SqlInbox
from adapters.sql.unit_of_work import SqlUnitOfWork
from petpro_core.finance.ports import DeliveredCosts, Ledger, NameBook
from petpro_core.shared.subscriptions import Inbox


class SqlFinanceUnitOfWork(SqlUnitOfWork):
    def __init__(self, database: SqlDatabase) -> None:
        super().__init__(database, schema=SCHEMA, outbox=outbox)
        # Typed as the ports, so this class satisfies the FinanceUnitOfWork protocol.
        connection = self._require_connection
        self.ledger: Ledger = SqlLedger(connection)
        self.delivered: DeliveredCosts = SqlDeliveredCosts(connection)
        self.names: NameBook = SqlNameBook(connection)
        self.inbox: Inbox = SqlInbox(connection, inbox)
