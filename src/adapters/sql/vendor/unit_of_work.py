"""The vendor unit of work on SQL: vendors, catalogues, purchase orders, the status view,
its journal, reorder decisions and the inbox over one transaction, the outbox in it."""

from __future__ import annotations

from adapters.sql.database import SqlDatabase
from adapters.sql.messaging_tables import SqlInbox
from adapters.sql.unit_of_work import SqlUnitOfWork
from adapters.sql.vendor.repositories import (
    SqlProductCatalogue,
    SqlPurchaseOrderRepository,
    SqlReorderDecisionRepository,
    SqlStockEventJournal,
    SqlStockStatusRepository,
    SqlSupplyCatalogue,
    SqlVendorRepository,
)
from adapters.sql.vendor.tables import SCHEMA, inbox, outbox
from petpro_core.shared.subscriptions import Inbox
from petpro_core.vendor.ports import (
    ProductCatalogue,
    PurchaseOrderRepository,
    ReorderDecisionRepository,
    StockEventJournal,
    StockStatusRepository,
    SupplyCatalogue,
    VendorRepository,
)


class SqlVendorUnitOfWork(SqlUnitOfWork):
    def __init__(self, database: SqlDatabase) -> None:
        super().__init__(database, schema=SCHEMA, outbox=outbox)
        # Typed as the ports, so this class satisfies the VendorUnitOfWork protocol.
        connection = self._require_connection
        self.vendors: VendorRepository = SqlVendorRepository(connection)
        self.products: ProductCatalogue = SqlProductCatalogue(connection)
        self.supply: SupplyCatalogue = SqlSupplyCatalogue(connection)
        self.orders: PurchaseOrderRepository = SqlPurchaseOrderRepository(connection)
        self.status: StockStatusRepository = SqlStockStatusRepository(connection)
        self.journal: StockEventJournal = SqlStockEventJournal(connection)
        self.decisions: ReorderDecisionRepository = SqlReorderDecisionRepository(connection)
        self.inbox: Inbox = SqlInbox(connection, inbox)
