"""Reconciliation: the payments the booking context recorded against the ledger.

Per payment, booking says what it charged and refunded (its saga state); the ledger says
what `payment.processed` and `payment.refunded` posted on `payments_clearing` (reversals
included, so a reversed charge counts as none). Every difference is listed:

- `missing_in_ledger`: booking charged, the ledger has no charge;
- `missing_in_booking`: the ledger has a charge (or refund) booking has no record of;
- `charged_differs`: both charged, different amounts;
- `refunded_differs`: the refunded amounts differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from petpro_core.finance.domain.reports import Period
from petpro_core.shared.money import Money


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """A payment as the booking context recorded it."""

    payment_id: UUID
    booking_id: UUID
    clinic_id: UUID
    charged: Money
    refunded: Money  # zero when nothing was given back
    charged_at: datetime


@dataclass(frozen=True, slots=True)
class LedgerPayment:
    """What the ledger posted for one payment: net amounts per currency."""

    payment_id: UUID
    charged: Mapping[str, Decimal]
    refunded: Mapping[str, Decimal]

    @property
    def has_charge(self) -> bool:
        return any(self.charged.values())

    @property
    def is_empty(self) -> bool:
        return not self.has_charge and not any(self.refunded.values())


class DifferenceKind(StrEnum):
    MISSING_IN_LEDGER = "missing_in_ledger"
    MISSING_IN_BOOKING = "missing_in_booking"
    CHARGED_DIFFERS = "charged_differs"
    REFUNDED_DIFFERS = "refunded_differs"


@dataclass(frozen=True, slots=True)
class Difference:
    kind: DifferenceKind
    payment_id: UUID
    booking_id: UUID | None
    clinic_id: UUID | None
    booking: str  # the booking context's amount, shown ("—" when it has none)
    ledger: str  # the ledger's amount, shown


@dataclass(frozen=True, slots=True)
class Reconciliation:
    period: Period | None  # None: every payment ever
    payments_compared: int
    differences: tuple[Difference, ...]

    @property
    def matches(self) -> bool:
        return not self.differences


def _nonzero(amounts: Mapping[str, Decimal]) -> dict[str, Decimal]:
    return {currency: amount for currency, amount in amounts.items() if amount}


def _shown(amounts: Mapping[str, Decimal]) -> str:
    kept = _nonzero(amounts)
    return ", ".join(f"{amount} {currency}" for currency, amount in sorted(kept.items())) or "0"


def _as_amounts(money: Money) -> dict[str, Decimal]:
    return _nonzero({money.currency: money.amount})


def reconcile(
    records: Iterable[PaymentRecord],
    ledger: Mapping[UUID, LedgerPayment],
    period: Period | None = None,
) -> Reconciliation:
    """Compare every payment either side knows (booking's `records`, the ledger's
    payments); differences sorted by payment id then kind."""
    by_id = {record.payment_id: record for record in records}
    differences: list[Difference] = []
    compared = set(by_id) | {pid for pid, payment in ledger.items() if not payment.is_empty}
    for payment_id in sorted(compared):
        record = by_id.get(payment_id)
        posted = ledger.get(payment_id) or LedgerPayment(payment_id, {}, {})
        if record is None:
            differences.append(
                Difference(
                    DifferenceKind.MISSING_IN_BOOKING,
                    payment_id,
                    None,
                    None,
                    "—",
                    _shown(posted.charged)
                    + (
                        f" (refunded {_shown(posted.refunded)})"
                        if any(posted.refunded.values())
                        else ""
                    ),
                )
            )
            continue

        def found(
            kind: DifferenceKind, booking: str, ledger_side: str, record: PaymentRecord = record
        ) -> None:
            differences.append(
                Difference(
                    kind,
                    record.payment_id,
                    record.booking_id,
                    record.clinic_id,
                    booking,
                    ledger_side,
                )
            )

        charged = _as_amounts(record.charged)
        if not posted.has_charge:
            found(DifferenceKind.MISSING_IN_LEDGER, str(record.charged), "—")
        elif _nonzero(posted.charged) != charged:
            found(DifferenceKind.CHARGED_DIFFERS, str(record.charged), _shown(posted.charged))
        if _nonzero(posted.refunded) != _as_amounts(record.refunded):
            found(DifferenceKind.REFUNDED_DIFFERS, str(record.refunded), _shown(posted.refunded))
    return Reconciliation(period, len(compared), tuple(differences))
