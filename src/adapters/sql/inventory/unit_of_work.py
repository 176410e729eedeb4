"""The inventory unit of work on SQL: products, stock, reservations and the inbox over one
transaction, the outbox in it."""

from __future__ import annotations

from adapters.sql.database import SqlDatabase
from adapters.sql.inventory.catalog import (
    SqlCategoryRepository,
    SqlIncomingOrderRepository,
    SqlLocationRepository,
)
from adapters.sql.inventory.customer_orders import SqlCustomerOrderRepository
from adapters.sql.inventory.repositories import (
    SqlProductRepository,
    SqlReservationRepository,
    SqlStockRepository,
)
from adapters.sql.inventory.tables import SCHEMA, inbox, outbox
from adapters.sql.messaging_tables import SqlInbox
from adapters.sql.unit_of_work import SqlUnitOfWork
from petpro_core.inventory.ports import (
    CategoryRepository,
    CustomerOrderRepository,
    IncomingOrderRepository,
    LocationRepository,
    ProductRepository,
    ReservationRepository,
    StockRepository,
)
from petpro_core.shared.subscriptions import Inbox


class SqlInventoryUnitOfWork(SqlUnitOfWork):
    def __init__(self, database: SqlDatabase) -> None:
        super().__init__(database, schema=SCHEMA, outbox=outbox)
        # Typed as the ports, so this class satisfies the InventoryUnitOfWork protocol.
        self.products: ProductRepository = SqlProductRepository(self._require_connection)
        self.stock: StockRepository = SqlStockRepository(self._require_connection)
        self.reservations: ReservationRepository = SqlReservationRepository(
            self._require_connection
        )
        self.inbox: Inbox = SqlInbox(self._require_connection, inbox)
        self.categories: CategoryRepository = SqlCategoryRepository(self._require_connection)
        self.locations: LocationRepository = SqlLocationRepository(self._require_connection)
        self.incoming_orders: IncomingOrderRepository = SqlIncomingOrderRepository(
            self._require_connection
        )
        self.customer_orders: CustomerOrderRepository = SqlCustomerOrderRepository(
            self._require_connection
        )
