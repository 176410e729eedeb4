"""The finance report as CSV (one table for every section), shared by HTTP and the CLI.

Columns: `section` (revenue, refunds, inventory_sales, payables), `day` (UTC; empty for
payables), `id` and `name` (the clinic, location or vendor), `currency`, then the section's
amounts: `gross`, `refunds`, `net` (revenue); `amount`, `transactions` (refunds); `amount`
(inventory_sales); `delivered`, `owed` (payables). Amounts are decimal strings.
"""

from __future__ import annotations

import csv
import io

from petpro_core.finance.domain.reports import FinanceReport

CSV_COLUMNS = (
    "section",
    "day",
    "id",
    "name",
    "currency",
    "gross",
    "refunds",
    "net",
    "amount",
    "transactions",
    "delivered",
    "owed",
)


def report_csv(report: FinanceReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in report.revenue:
        writer.writerow(
            {
                "section": "revenue",
                "day": r.day.isoformat(),
                "id": str(r.clinic_id),
                "name": r.clinic_name or "",
                "currency": r.gross.currency,
                "gross": str(r.gross.amount),
                "refunds": str(r.refunds.amount),
                "net": str(r.net.amount),
            }
        )
    for f in report.refunds:
        writer.writerow(
            {
                "section": "refunds",
                "day": f.day.isoformat(),
                "id": str(f.clinic_id),
                "name": f.clinic_name or "",
                "currency": f.amount.currency,
                "amount": str(f.amount.amount),
                "transactions": f.transactions,
            }
        )
    for s in report.inventory_sales:
        writer.writerow(
            {
                "section": "inventory_sales",
                "day": s.day.isoformat(),
                "id": str(s.location_id),
                "currency": s.amount.currency,
                "amount": str(s.amount.amount),
            }
        )
    for p in report.payables:
        writer.writerow(
            {
                "section": "payables",
                "id": str(p.vendor_id),
                "name": p.vendor_name or "",
                "currency": p.owed.currency,
                "delivered": str(p.delivered.amount),
                "owed": str(p.owed.amount),
            }
        )
    return out.getvalue()
