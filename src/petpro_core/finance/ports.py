"""What the finance context needs from outside, named by role."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from petpro_core.finance.domain.accounts import AccountKind
from petpro_core.finance.domain.ledger import AccountBalance, Posting, Transaction
from petpro_core.finance.domain.reconciliation import LedgerPayment, PaymentRecord
from petpro_core.shared.money import Money
from petpro_core.shared.subscriptions import InboxUnitOfWork

__all__ = [
    "DeliveredCosts",
    "FinanceUnitOfWork",
    "FinanceUnitOfWorkFactory",
    "Ledger",
    "NameBook",
    "PaymentRecords",
]


class Ledger(Protocol):
    """The journal of transactions. Append-only: there is no way to change or delete one."""

    async def get(self, transaction_id: UUID) -> Transaction | None: ...

    async def add(self, transaction: Transaction) -> bool:
        """Append the transaction and its entries; False (nothing written) when a transaction
        with its id is stored already (the event was posted, the transaction reversed)."""
        ...

    async def reversal_of(self, transaction_id: UUID) -> Transaction | None: ...

    async def count(self) -> int:
        """How many transactions (reversals included) the ledger holds."""
        ...

    async def transactions(self, start: datetime, end: datetime, limit: int) -> list[Transaction]:
        """Transactions dated in [start, end), oldest first (then by id), at most `limit`."""
        ...

    async def postings(
        self, start: datetime, end: datetime, kinds: Sequence[AccountKind]
    ) -> list[Posting]:
        """Entries of transactions dated in [start, end) on accounts of `kinds`."""
        ...

    async def balances(
        self, *, until: datetime | None = None, kind: AccountKind | None = None
    ) -> list[AccountBalance]:
        """Per account and currency, debits and credits of transactions dated before
        `until` (None: all), only accounts of `kind` when given; by account then currency."""
        ...

    async def charged_payments(self, start: datetime | None, end: datetime | None) -> list[UUID]:
        """Payments with a `payment.processed` posting dated in [start, end); with no range,
        every payment the ledger has any posting for."""
        ...

    async def payment_totals(self, payment_ids: Sequence[UUID]) -> dict[UUID, LedgerPayment]:
        """What the ledger posted on `payments_clearing` for each payment (every date,
        reversals included); payments it has nothing for are left out."""
        ...


class DeliveredCosts(Protocol):
    """Per purchase order, the cumulative delivered cost the ledger has posted."""

    async def advance(self, purchase_order_id: UUID, vendor_id: UUID, total: Money) -> Money | None:
        """Lock the purchase order's row for this transaction and answer the total posted
        before (None: nothing yet); store `total` when it is larger."""
        ...


class NameBook(Protocol):
    """Names of clinics (and vendors) for reports, from their owners' events."""

    async def keep(self, kind: str, subject_id: UUID, name: str, event_id: UUID) -> None:
        """Store the name unless one from a later event (a larger event id: event ids are
        time-ordered UUIDv7) is stored."""
        ...

    async def of(self, kind: str, subject_ids: Sequence[UUID]) -> dict[UUID, str]: ...


class FinanceUnitOfWork(InboxUnitOfWork, Protocol):
    ledger: Ledger
    delivered: DeliveredCosts
    names: NameBook


FinanceUnitOfWorkFactory = Callable[[], FinanceUnitOfWork]


class PaymentRecords(Protocol):
    """The payments the booking context recorded (the other side of reconciliation)."""

    async def charged_between(
        self, start: datetime | None, end: datetime | None
    ) -> list[PaymentRecord]:
        """Payments charged in [start, end) (no bound: all), refunds as they stand now."""
        ...
