"""Notifications and the ledger end to end on PostgreSQL + Redis, with the workers as separate
processes and e-mail through a real SMTP server (aiosmtpd, started by the test).

The HTTP app (PostgreSQL, Redis Streams, so it runs no workers of its own) takes the requests;
one `petpro worker` per context relays its outbox to Redis and runs its consumers and
periodic jobs — the notification worker's dispatcher sends the e-mails.

- A confirmed booking produces exactly one e-mail and one in-app message (the confirmation),
  in the owner's language (Japanese here), and one revenue posting.
- `petpro outbox replay` re-publishes every booking event: no second message, no second
  ledger entry.
- A cancelled booking produces a refund entry and a cancellation notice.
- The ledger sums to zero after the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Api
from tests.support.clinic_http import Person, bookable_clinic, ok, owner_with_pet
from tests.support.restock import backbone_settled, eventually
from tests.support.smtp import SmtpTestServer, running_smtp_server
from tests.support.workers import (
    WorkerPool,
    run_petpro,
    running_workers,
    wait_until,
    worker_environment,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

START = "2026-01-05T10:00:00+09:00"  # a Monday; the app's clock stands at 2026-01-01
DEADLINE_SECONDS = 30.0
CONTEXTS = ("auth", "clinic", "booking", "notification", "finance")
PRICE = "6600"


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def environment(
    clean_postgres_url: str, redis_url: str, prefix: str, tmp_path: Path, smtp: SmtpTestServer
) -> dict[str, str]:
    return worker_environment(
        database_url=clean_postgres_url,
        redis_url=redis_url,
        stream_prefix=prefix,
        data_dir=tmp_path / "worker-data",
        PETPRO_SMTP_HOST=smtp.host,
        PETPRO_SMTP_PORT=str(smtp.port),
        PETPRO_SMTP_SECURITY="none",
        PETPRO_SMTP_FROM="bookings@petpro.example",
    )


@pytest.fixture
def workers(environment: dict[str, str], tmp_path: Path) -> Iterator[WorkerPool]:
    """One `petpro worker` per context (as split services would run them), each running."""
    with running_workers(environment, tmp_path / "logs", CONTEXTS, DEADLINE_SECONDS) as pool:
        yield pool


# -- what the owner and the admin see --------------------------------------------------------


def inbox(api: Api, person: Person) -> list[dict[str, Any]]:
    page = ok(api.client.get("/notifications", params={"limit": 100}, headers=person.headers))
    items: list[dict[str, Any]] = page["items"]
    return items


def of_kind(items: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [item for item in items if item["kind"] == kind]


def mails_to(smtp: SmtpTestServer, address: str, kind: str | None = None) -> list[EmailMessage]:
    return [
        mail
        for mail in smtp.messages
        if mail["To"] is not None
        and address in str(mail["To"])
        and (kind is None or mail["X-PetPro-Kind"] == kind)
    ]


def deliveries(api: Api, admin: Person) -> int:
    page = ok(api.client.get("/notifications/deliveries", headers=admin.headers))
    total: int = page["total"]
    return total


def all_sent(api: Api, admin: Person) -> bool:
    """No delivery waits to be sent (pending) or is being sent."""
    return all(
        ok(
            api.client.get(
                "/notifications/deliveries", params={"status": status}, headers=admin.headers
            )
        )["total"]
        == 0
        for status in ("pending", "sending")
    )


def trial_balance(api: Api, admin: Person) -> dict[str, Any]:
    balance: dict[str, Any] = ok(api.client.get("/finance/trial-balance", headers=admin.headers))
    return balance


def ledger_total_is_zero(balance: dict[str, Any]) -> bool:
    return all(Decimal(str(total)) == 0 for total in balance["totals"].values())


def transaction_count(balance: dict[str, Any]) -> int:
    count: int = balance["transactions"]
    return count


def report(api: Api, admin: Person) -> dict[str, Any]:
    answer: dict[str, Any] = ok(
        api.client.get(
            "/finance/report",
            params={"from": "2026-01-01", "to": "2026-12-31"},
            headers=admin.headers,
        )
    )
    return answer


def settle(api: Api, workers: WorkerPool) -> None:
    eventually(lambda: backbone_settled(api, CONTEXTS), DEADLINE_SECONDS, "every event handled")


def test_a_booking_is_notified_once_in_the_owners_language_and_posted_once(
    split_api: Api, workers: WorkerPool, environment: dict[str, str], smtp: SmtpTestServer
) -> None:
    api = split_api
    try:
        clinic = bookable_clinic(api, vets=1, price=PRICE)
        owner, pet = owner_with_pet(api, "hana@example.com")
        ok(api.client.patch("/users/me", json={"language": "ja"}, headers=owner.headers))
        owner_email = "hana@example.com"

        booking = ok(
            api.client.post(
                "/bookings",
                json={
                    "pet_id": pet,
                    "clinic_id": clinic.clinic_id,
                    "service_id": clinic.service_id,
                    "start": START,
                    "payment_method_token": "tok_visa",
                },
                headers={**owner.headers, "Idempotency-Key": "notify-1"},
            ),
            201,
        )
        assert booking["status"] == "confirmed"

        # One confirmation e-mail through the SMTP server, and one in the inbox, in Japanese.
        [mail] = wait_until(
            lambda: mails_to(smtp, owner_email, "booking.confirmed") or None,
            timeout=DEADLINE_SECONDS,
            message=lambda: workers.logs(),
        )
        assert mail["Content-Language"] == "ja"
        assert "予約" in str(mail["Subject"])
        [confirmation] = of_kind(inbox(api, owner), "booking.confirmed")
        assert "予約" in confirmation["subject"]

        # Exactly one e-mail and one in-app message in all (the confirmation states the
        # price; separate receipts are opt-in), once every delivery has been sent.
        wait_until(
            lambda: all_sent(api, clinic.admin),
            timeout=DEADLINE_SECONDS,
            message=lambda: workers.logs(),
        )
        assert [mail["X-PetPro-Kind"] for mail in mails_to(smtp, owner_email)] == [
            "booking.confirmed"
        ]
        assert [item["kind"] for item in inbox(api, owner)] == ["booking.confirmed"]
        assert "6,600円" in confirmation["body"]

        # One revenue posting for the clinic, and the ledger balances.
        wait_until(
            lambda: transaction_count(trial_balance(api, clinic.admin)) >= 1,
            timeout=DEADLINE_SECONDS,
            message=lambda: workers.logs(),
        )
        settle(api, workers)
        balance = trial_balance(api, clinic.admin)
        assert ledger_total_is_zero(balance)
        revenue = report(api, clinic.admin)
        assert [Decimal(row["gross"]["amount"]) for row in revenue["revenue"]] == [Decimal(PRICE)]

        # Every booking event published again: no second message, no second posting. A copy
        # could only leave through a new delivery record, so none may appear.
        wait_until(
            lambda: all_sent(api, clinic.admin),
            timeout=DEADLINE_SECONDS,
            message=lambda: workers.logs(),
        )
        before = (
            len(smtp.messages),
            inbox(api, owner),
            transaction_count(balance),
            deliveries(api, clinic.admin),
        )
        replay = run_petpro(
            ["outbox", "replay", "--since", "1h", "--context", "booking"], environment
        )
        assert replay.returncode == 0, replay.stderr
        assert "events queued for re-publishing" in replay.stdout
        settle(api, workers)
        after_balance = trial_balance(api, clinic.admin)
        after = (
            len(smtp.messages),
            inbox(api, owner),
            transaction_count(after_balance),
            deliveries(api, clinic.admin),
        )
        assert after == before
        assert len(mails_to(smtp, owner_email, "booking.confirmed")) == 1

        # Cancelled (more than 24 h before the start: a full refund): a refund entry and a
        # cancellation notice by e-mail and in the inbox.
        cancelled = ok(
            api.client.post(
                f"/bookings/{booking['id']}/cancel",
                json={"reason": "the cat hid"},
                headers=owner.headers,
            )
        )
        assert cancelled["status"] == "cancelled"
        wait_until(
            lambda: mails_to(smtp, owner_email, "booking.cancelled") or None,
            timeout=DEADLINE_SECONDS,
            message=lambda: workers.logs(),
        )
        wait_until(
            lambda: len(of_kind(inbox(api, owner), "booking.cancelled")) == 1,
            timeout=DEADLINE_SECONDS,
            message=lambda: workers.logs(),
        )
        wait_until(
            lambda: (
                [Decimal(r["refunds"]["amount"]) for r in report(api, clinic.admin)["revenue"]]
                == [Decimal(PRICE)]
            ),
            timeout=DEADLINE_SECONDS,
            message=lambda: workers.logs(),
        )
        settle(api, workers)
        assert ledger_total_is_zero(trial_balance(api, clinic.admin))
        assert len(mails_to(smtp, owner_email, "booking.confirmed")) == 1
        # The booking context's payment records and the ledger agree.
        reconciliation = ok(
            api.client.get(
                "/finance/reconciliation",
                params={"from": "2026-01-01", "to": "2026-12-31"},
                headers=clinic.admin.headers,
            )
        )
        assert reconciliation["matches"], reconciliation["differences"]
        assert reconciliation["payments_compared"] == 1
    except AssertionError as error:
        raise AssertionError(f"{error}\n{workers.logs()}") from error
    for worker in workers.workers:
        assert worker.running(), worker.log_text()
