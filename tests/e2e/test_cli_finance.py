"""`petpro finance …` through Typer's runner on the embedded SQLite store: the finance
consumer's postings show in the report (tables and CSV), the trial balance and the
transactions; a reversal from the console; reconciliation lists differences and exits 1;
errors are one line with the documented exit code."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from adapters.sql.database import sqlite_url_in
from cli.errors import EXIT_CONFLICT, EXIT_INVALID, EXIT_NOT_FOUND, EXIT_USAGE
from petpro_core.finance.domain.ledger import transaction_id_for_event
from petpro_core.shared.events import Event
from runtimes.containers import build_container
from runtimes.settings import Settings
from tests.e2e.cli_support import cli_env, invoke
from tests.support.finance import (
    T0,
    clinic_event,
    delivered,
    eur,
    payment_processed,
    payment_refunded,
)

DAY = T0.date().isoformat()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    return cli_env(data_dir, COLUMNS="250")


def _ok(args: list[str], env: dict[str, str]) -> str:
    result = invoke(args, env)
    assert result.exit_code == 0, result.output
    return result.stdout


def _fails(args: list[str], env: dict[str, str], code: int) -> str:
    result = invoke(args, env)
    assert result.exit_code == code, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def feed(data_dir: Path, *events: Event) -> None:
    """What the finance worker would consume, into the SQLite store."""
    fields: dict[str, object] = {"data_dir": data_dir, "database_url": sqlite_url_in(data_dir)}
    container = build_container(Settings(**fields))  # type: ignore[arg-type]
    subscription = container.finance.subscription()

    async def deliver() -> None:
        try:
            async with subscription.unit_of_work() as uow:
                new = await uow.inbox.claim(subscription.consumer, [e.event_id for e in events])
                for event in events:
                    if event.event_id in new:
                        handler = subscription.handler_for(event)
                        assert handler is not None
                        await handler(event, uow)
                await uow.commit()
        finally:
            await container.databases().dispose()

    asyncio.run(deliver())


def test_the_operator_reads_and_corrects_the_ledger(env: dict[str, str], data_dir: Path) -> None:
    assert "payments_clearing" not in _ok(["finance", "trial-balance"], env)  # migrates
    payment = payment_processed(eur("80.00"))
    feed(
        data_dir,
        clinic_event("Happy Paws"),
        payment,
        payment_refunded(payment, eur("30.00"), cause="failed"),
        delivered(payment.booking_id, 4, eur("40.00")),
    )

    tables = _ok(["finance", "report", "--from", DAY, "--to", DAY], env)
    assert "Revenue per clinic" in tables and "Happy Paws" in tables
    assert "80.00" in tables and "50.00" in tables and "Payables per vendor" in tables

    rows = list(
        csv.DictReader(
            io.StringIO(
                _ok(["finance", "report", "--from", DAY, "--to", DAY, "--format", "csv"], env)
            )
        )
    )
    assert [(r["section"], r["gross"], r["net"], r["amount"], r["owed"]) for r in rows] == [
        ("revenue", "80.00", "50.00", "", ""),
        ("refunds", "", "", "30.00", ""),
        ("payables", "", "", "", "40.00"),
    ]

    balance = _ok(["finance", "trial-balance"], env)
    assert "payments_clearing" in balance and "balanced" in balance and "NOT" not in balance

    charge = str(transaction_id_for_event(payment.event_id))
    assert charge in _ok(["finance", "transactions", "--from", DAY, "--to", DAY], env)

    # Booking never took this payment: one difference, exit 1.
    result = invoke(["finance", "reconcile"], env)
    assert result.exit_code == 1, result.output
    assert "missing_in_booking" in result.stdout and str(payment.payment_id) in result.stdout
    quiet = _ok(["finance", "reconcile", "--from", "2026-04-01", "--to", "2026-04-01"], env)
    assert quiet.strip() == "0 payments compared: no differences"

    reversed_ = _ok(["finance", "reverse", charge, "--reason", "test"], env)
    assert reversed_.startswith(f"reversed {charge} with ")
    assert "already" in _fails(["finance", "reverse", charge, "--reason", "x"], env, EXIT_CONFLICT)
    _fails(
        ["finance", "reverse", "00000000-0000-4000-8000-000000000001", "--reason", "x"],
        env,
        EXIT_NOT_FOUND,
    )
    _fails(["finance", "reverse", "nope", "--reason", "x"], env, EXIT_USAGE)
    assert "balanced" in _ok(["finance", "trial-balance"], env)


def test_bad_ranges_are_one_line_errors(env: dict[str, str]) -> None:
    _fails(["finance", "report", "--from", "2026-13-01", "--to", DAY], env, EXIT_USAGE)
    assert "after" in _fails(
        ["finance", "report", "--from", DAY, "--to", "2026-01-01"], env, EXIT_INVALID
    )
    assert "at most 366" in _fails(
        ["finance", "report", "--from", "2020-01-01", "--to", DAY], env, EXIT_INVALID
    )
    assert "both" in _fails(["finance", "reconcile", "--from", DAY], env, EXIT_INVALID)
