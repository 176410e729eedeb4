"""The chart of accounts. An account is named by a code: a fixed name (`payments_clearing`)
or a kind with its subject's id (`revenue:clinic:<uuid>`). Balances are kept per currency.

| code                               | what it holds                                        |
|------------------------------------|------------------------------------------------------|
| `payments_clearing`                | money taken through the payment gateway, not paid out |
| `refunds_payable`                  | refunds owed to pet owners, not yet paid back         |
| `customer_deposits`                | shop orders paid for but not collected yet            |
| `inventory`                        | goods received from vendors, at cost                  |
| `revenue:clinic:<clinic_id>`       | a clinic's booking revenue                            |
| `refunds:clinic:<clinic_id>`       | refunds granted on a clinic's bookings (contra-revenue) |
| `inventory_sales:location:<id>`    | shop sales collected at a location                    |
| `payables:vendor:<vendor_id>`      | what is owed to a vendor for goods delivered          |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

PAYMENTS_CLEARING = "payments_clearing"
REFUNDS_PAYABLE = "refunds_payable"
CUSTOMER_DEPOSITS = "customer_deposits"
INVENTORY = "inventory"

FIXED_ACCOUNTS = frozenset({PAYMENTS_CLEARING, REFUNDS_PAYABLE, CUSTOMER_DEPOSITS, INVENTORY})


class AccountKind(StrEnum):
    """The per-subject accounts: the code's prefix (`<kind>:<subject>:`)."""

    REVENUE = "revenue:clinic"
    REFUNDS = "refunds:clinic"
    INVENTORY_SALES = "inventory_sales:location"
    PAYABLES = "payables:vendor"

    @property
    def prefix(self) -> str:
        return f"{self.value}:"

    def of(self, subject_id: UUID) -> str:
        return f"{self.value}:{subject_id}"


def revenue(clinic_id: UUID) -> str:
    return AccountKind.REVENUE.of(clinic_id)


def refunds(clinic_id: UUID) -> str:
    return AccountKind.REFUNDS.of(clinic_id)


def inventory_sales(location_id: UUID) -> str:
    return AccountKind.INVENTORY_SALES.of(location_id)


def payables(vendor_id: UUID) -> str:
    return AccountKind.PAYABLES.of(vendor_id)


@dataclass(frozen=True, slots=True)
class AccountCode:
    """A parsed account code: a fixed account (no kind) or a kind and its subject."""

    code: str
    kind: AccountKind | None
    subject_id: UUID | None


def parse_account(code: str) -> AccountCode:
    """The code's parts; ValueError for anything not in the chart of accounts."""
    if code in FIXED_ACCOUNTS:
        return AccountCode(code, None, None)
    for kind in AccountKind:
        if code.startswith(kind.prefix):
            try:
                subject = UUID(code.removeprefix(kind.prefix))
            except ValueError:
                break
            if kind.of(subject) == code:
                return AccountCode(code, kind, subject)
            break
    raise ValueError(f"not an account of the chart: {code!r}")


def subject_of(code: str, kind: AccountKind) -> UUID | None:
    """The subject id when `code` is an account of `kind`, else None."""
    if not code.startswith(kind.prefix):
        return None
    parsed = parse_account(code)
    return parsed.subject_id
