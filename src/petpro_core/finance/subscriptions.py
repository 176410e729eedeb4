"""What the finance context consumes: payments, refunds, cancellations, shop orders and
purchase-order deliveries into the ledger; clinic events for the names in reports.
`user.updated` is in the catalog for finance, but finance keeps no personal data, so it
handles none (like vendor)."""

from __future__ import annotations

from petpro_core.contracts.clinic import ClinicCreated, ClinicUpdated
from petpro_core.finance.ports import FinanceUnitOfWorkFactory
from petpro_core.finance.postings import keep_clinic_name, posting_handlers
from petpro_core.shared.clock import Clock, SystemClock
from petpro_core.shared.subscriptions import Subscription

FINANCE_CONSUMER = "finance"


def finance_subscription(
    unit_of_work: FinanceUnitOfWorkFactory, clock: Clock | None = None
) -> Subscription:
    return Subscription(
        consumer=FINANCE_CONSUMER,
        unit_of_work=unit_of_work,
        handlers={
            ClinicCreated: keep_clinic_name,
            ClinicUpdated: keep_clinic_name,
            **posting_handlers(clock or SystemClock()),
        },
    )
