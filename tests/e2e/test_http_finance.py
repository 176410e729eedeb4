"""Finance over HTTP on the real app (memory storage): events posted by the finance consumer
(fed in miniature, in the app's loop) show in the report (JSON and CSV), the trial balance
and the transactions; a reversal is posted once; reconciliation asks booking through the
bus and lists what booking does not know; non-admins get 403 and bad dates 400/422."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from petpro_core.finance.domain.ledger import transaction_id_for_event
from petpro_core.shared.events import Event
from tests.e2e.conftest import Api, assert_problem
from tests.support.finance import (
    CLINIC,
    T0,
    VENDOR,
    clinic_event,
    delivered,
    eur,
    payment_processed,
    payment_refunded,
)

DAY = T0.date().isoformat()


def feed(api: Api, *events: Event) -> None:
    """Deliver events to the finance consumer, in the app's event loop."""
    subscription = api.container.finance.subscription()

    async def deliver(batch: Sequence[Event]) -> None:
        async with subscription.unit_of_work() as uow:
            new_ids = await uow.inbox.claim(subscription.consumer, [e.event_id for e in batch])
            for event in batch:
                if event.event_id in new_ids:
                    new_ids.discard(event.event_id)
                    handler = subscription.handler_for(event)
                    assert handler is not None
                    await handler(event, uow)
            await uow.commit()

    api.client.blocking_portal.call(deliver, events)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_reports_balances_reversals_and_reconciliation_over_http(api: Api) -> None:
    admin = api.admin()
    payment = payment_processed(eur("80.00"))
    order = payment.payment_id  # any id will do for a purchase order
    feed(
        api,
        clinic_event("Happy Paws"),
        payment,
        payment_refunded(payment, eur("80.00"), cause="failed"),
        delivered(order, 5, eur("50.00")),
    )
    feed(api, payment)  # redelivered: nothing new

    report = ok(api.client.get(f"/finance/report?from={DAY}&to={DAY}", headers=admin))
    assert report["period"] == {"from": DAY, "to": DAY}
    assert report["revenue"] == [
        {
            "day": DAY,
            "clinic_id": str(CLINIC),
            "clinic_name": "Happy Paws",
            "gross": {"amount": "80.00", "currency": "EUR"},
            "refunds": {"amount": "80.00", "currency": "EUR"},
            "net": {"amount": "0.00", "currency": "EUR"},
        }
    ]
    assert [r["transactions"] for r in report["refunds"]] == [1]
    assert report["payables"] == [
        {
            "vendor_id": str(VENDOR),
            "vendor_name": None,
            "delivered": {"amount": "50.00", "currency": "EUR"},
            "owed": {"amount": "50.00", "currency": "EUR"},
        }
    ]

    response = api.client.get(f"/finance/report.csv?from={DAY}&to={DAY}", headers=admin)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["section"], r["name"], r["net"] or r["owed"]) for r in rows] == [
        ("revenue", "Happy Paws", "0.00"),
        ("refunds", "Happy Paws", ""),
        ("payables", "", "50.00"),
    ]

    trial = ok(api.client.get("/finance/trial-balance", headers=admin))
    assert trial["balanced"] is True and trial["totals"] == {"EUR": "0.00"}
    assert trial["transactions"] == 3
    assert {a["account"]: a["balance"] for a in trial["accounts"]}["payments_clearing"] == "0.00"

    listed = ok(api.client.get(f"/finance/transactions?from={DAY}&to={DAY}", headers=admin))
    assert len(listed) == 3
    charge = str(transaction_id_for_event(payment.event_id))
    assert ok(api.client.get(f"/finance/transactions/{charge}", headers=admin))["kind"] == (
        "payment.processed"
    )

    reversal = ok(
        api.client.post(
            f"/finance/transactions/{charge}/reversal", json={"reason": "test"}, headers=admin
        ),
        201,
    )
    assert reversal["reverses"] == charge
    assert [(e["account"], e["side"]) for e in reversal["entries"]] == [
        ("payments_clearing", "credit"),
        (f"revenue:clinic:{CLINIC}", "debit"),
    ]
    again = api.client.post(
        f"/finance/transactions/{charge}/reversal", json={"reason": "test"}, headers=admin
    )
    assert_problem(again, 409, "already-reversed")
    assert_problem(
        api.client.post(
            f"/finance/transactions/{reversal['transaction_id']}/reversal",
            json={"reason": "x"},
            headers=admin,
        ),
        409,
        "not-reversible",
    )
    assert ok(api.client.get("/finance/trial-balance", headers=admin))["balanced"] is True

    # Booking took no payments in this app: the ledger's refund is unknown to it.
    result = ok(api.client.get("/finance/reconciliation", headers=admin))
    assert result["matches"] is False and result["period"] is None
    assert [(d["kind"], d["payment_id"]) for d in result["differences"]] == [
        ("missing_in_booking", str(payment.payment_id))
    ]
    ranged = ok(api.client.get(f"/finance/reconciliation?from={DAY}&to={DAY}", headers=admin))
    assert ranged["period"] == {"from": DAY, "to": DAY} and ranged["payments_compared"] == 1
    other_day = "2026-04-01"
    quiet = ok(
        api.client.get(f"/finance/reconciliation?from={other_day}&to={other_day}", headers=admin)
    )
    assert quiet["matches"] is True and quiet["payments_compared"] == 0


def test_finance_is_for_admins_and_checks_its_dates(api: Api) -> None:
    admin = api.admin()
    owner = api.user("owner@example.com")
    for path in (
        f"/finance/report?from={DAY}&to={DAY}",
        f"/finance/report.csv?from={DAY}&to={DAY}",
        "/finance/trial-balance",
        "/finance/reconciliation",
    ):
        assert_problem(api.client.get(path, headers=owner), 403)
        assert_problem(api.client.get(path), 401)
    assert_problem(
        api.client.post(
            f"/finance/transactions/{CLINIC}/reversal", json={"reason": "x"}, headers=owner
        ),
        403,
    )
    assert_problem(
        api.client.post(
            f"/finance/transactions/{CLINIC}/reversal", json={"reason": "x"}, headers=admin
        ),
        404,
        "transaction-not-found",
    )
    assert_problem(
        api.client.get("/finance/report?from=2026-13-01&to=2026-01-01", headers=admin),
        422,
        "validation-error",
    )
    assert_problem(api.client.get("/finance/report?to=2026-01-01", headers=admin), 422)
    assert_problem(
        api.client.get("/finance/report?from=2026-03-02&to=2026-03-01", headers=admin),
        422,
        "invalid-input",
    )
    assert_problem(
        api.client.get("/finance/report?from=2024-01-01&to=2026-03-01", headers=admin),
        422,
        "invalid-input",
    )
    assert_problem(
        api.client.get("/finance/reconciliation?from=2026-03-01", headers=admin),
        422,
        "invalid-input",
    )
