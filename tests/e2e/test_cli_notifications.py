"""`petpro notifications …` through Typer's runner on the embedded SQLite store, e-mail going
to a real SMTP server (aiosmtpd): the events a worker would consume are fed to the store, then
the operator reads the delivery log, dispatches (each e-mail once), sends the due reminder,
checks the channels and sends a test e-mail; bad input is one line and a non-zero exit."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.sql.database import sqlite_url_in
from cli.errors import EXIT_UNAVAILABLE, EXIT_USAGE
from petpro_core.notification.subscriptions import notification_subscription
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.events import Event
from runtimes.containers import build_container
from runtimes.settings import Settings
from tests.e2e.cli_support import cli_env, invoke
from tests.support.notification import OWNER_ID, booking_confirmed, clinic_event, user_event
from tests.support.smtp import SmtpTestServer, free_port, running_smtp_server


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def env(data_dir: Path, smtp: SmtpTestServer) -> dict[str, str]:
    return cli_env(
        data_dir,
        COLUMNS="250",
        PETPRO_SMTP_HOST=smtp.host,
        PETPRO_SMTP_PORT=str(smtp.port),
        PETPRO_SMTP_SECURITY="none",
    )


def _ok(args: list[str], env: dict[str, str]) -> str:
    result = invoke(args, env)
    assert result.exit_code == 0, result.output
    return result.stdout


def _fails(args: list[str], env: dict[str, str], code: int) -> str:
    result = invoke(args, env)
    assert result.exit_code == code, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def feed(data_dir: Path, clock: FixedClock, *events: Event) -> None:
    """What the notification worker would consume, into the SQLite store, at `clock`'s time."""
    fields: dict[str, object] = {"data_dir": data_dir, "database_url": sqlite_url_in(data_dir)}
    container = build_container(Settings(**fields))  # type: ignore[arg-type]
    subscription = notification_subscription(container.notification.unit_of_work(), clock)

    async def deliver() -> None:
        try:
            async with subscription.unit_of_work() as uow:
                await uow.inbox.claim(subscription.consumer, [e.event_id for e in events])
                for event in events:
                    handler = subscription.handler_for(event)
                    assert handler is not None
                    await handler(event, uow)
                await uow.commit()
        finally:
            await container.databases().dispose()

    asyncio.run(deliver())


def test_the_operator_dispatches_and_reads_the_delivery_log(
    env: dict[str, str], data_dir: Path, smtp: SmtpTestServer
) -> None:
    _ok(["db", "upgrade"], env)
    # Two days ago a Japanese-speaking owner's booking for an hour from now was confirmed:
    # the confirmation is due since then, and so is the reminder 24 hours before.
    now = datetime.now(UTC)
    starts = (now + timedelta(hours=1)).replace(microsecond=0)
    feed(
        data_dir,
        FixedClock(now - timedelta(days=2)),
        user_event(language="ja", email="aiko@example.com"),
        clinic_event(),
        booking_confirmed(starts_at=starts),
    )

    log = _ok(["notifications", "deliveries"], env)
    assert "Deliveries 1 to 2 of 2" in log
    assert "booking.confirmed" in log and "aiko@example.com" in log and "pending" in log
    assert "in_app" in log and "sent" in log

    assert "dispatched 1 deliveries" in _ok(["notifications", "dispatch"], env)
    [mail] = smtp.wait_for(1)
    assert str(mail["Subject"]) == "ご予約が確定しました"
    assert "dispatched 0 deliveries" in _ok(["notifications", "dispatch"], env)
    assert len(smtp.messages) == 1

    sent = _ok(["notifications", "deliveries", "--status", "sent", "--channel", "email"], env)
    assert "of 1" in sent and "aiko@example.com" in sent
    mine = _ok(["notifications", "deliveries", "--recipient", str(OWNER_ID), "--limit", "1"], env)
    assert "Deliveries 1 to 1 of 2" in mine

    assert "sent 1 reminders" in _ok(["notifications", "reminders"], env)
    assert "sent 0 reminders" in _ok(["notifications", "reminders"], env)
    assert "dispatched 1 deliveries" in _ok(["notifications", "dispatch"], env)
    reminder = smtp.wait_for(2)[1]
    assert str(reminder["Subject"]).startswith("ご予約日時のお知らせ")
    by_kind = _ok(["notifications", "deliveries", "--kind", "booking.reminder"], env)
    assert "of 2" in by_kind  # in-app and e-mail

    _fails(["notifications", "deliveries", "--status", "lost"], env, EXIT_USAGE)
    _fails(["notifications", "deliveries", "--channel", "fax"], env, EXIT_USAGE)
    _fails(["notifications", "deliveries", "--recipient", "someone"], env, EXIT_USAGE)
    _fails(["notifications", "dispatch", "--limit", "0"], env, EXIT_USAGE)


def test_channels_and_a_test_email(
    env: dict[str, str], data_dir: Path, smtp: SmtpTestServer
) -> None:
    described = _ok(["notifications", "channels"], env)
    assert f"email: smtp {smtp.host}:{smtp.port}" in described
    assert "sms: log" in described and "push: log" in described

    out = _ok(["notifications", "send-test", "ops@example.com"], env)
    assert "sent a test e-mail to ops@example.com" in out
    [mail] = smtp.wait_for(1)
    assert str(mail["Subject"]) == "PetPro test e-mail"
    assert mail["To"].addresses[0].addr_spec == "ops@example.com"

    assert "not an e-mail address" in _fails(
        ["notifications", "send-test", "ops at example"], env, EXIT_USAGE
    )
    smtp.rcpt_reply = "550 5.1.1 mailbox unavailable"
    refused = _fails(["notifications", "send-test", "gone@example.com"], env, EXIT_UNAVAILABLE)
    assert "not accepted" in refused
    nowhere = {**env, "PETPRO_SMTP_PORT": str(free_port())}
    down = _fails(["notifications", "send-test", "ops@example.com"], nowhere, EXIT_UNAVAILABLE)
    assert "try again" in down
