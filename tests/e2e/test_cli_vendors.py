"""`petpro vendors …` through Typer's runner on the embedded SQLite store: the operator adds
a vendor and its catalogue, a stock.low reorders, the order is confirmed, shipped and
delivered in parts from the console, the status table highlights low stock, and the view
is rebuilt; errors are one line with the documented exit code."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from adapters.sql.database import sqlite_url_in
from cli.errors import EXIT_CONFLICT, EXIT_INVALID, EXIT_NOT_FOUND, EXIT_USAGE
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from runtimes.containers import build_container
from runtimes.settings import Settings
from tests.e2e.cli_support import cli_env, invoke
from tests.support.vendor import CLINIC, product_event, stock_changed, stock_low

_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    return cli_env(data_dir, COLUMNS="250")  # wide enough for whole ids


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
    """What the vendor worker would consume: inventory's events, into the SQLite store."""
    fields: dict[str, object] = {"data_dir": data_dir, "database_url": sqlite_url_in(data_dir)}
    settings = Settings(**fields)  # type: ignore[arg-type]
    container = build_container(settings)
    subscription = container.vendor.subscription()

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


def test_the_operator_runs_purchase_orders_from_the_console(
    env: dict[str, str], data_dir: Path
) -> None:
    created = _ok(["vendors", "create", "--name", "Acme", "--lead-time", "3"], env)
    matched = re.search(rf"created vendor Acme \(({_ID})\)", created)
    assert matched, created
    vendor = matched[1]
    product = new_id()
    feed(data_dir, product_event(product, "FLEA-10"))

    added = _ok(
        [
            "vendors", "catalogue", "add", vendor, "--product", str(product),
            "--vendor-sku", "ac-1", "--cost", "2.50", "--pack", "6",
        ],
        env,
    )  # fmt: skip
    assert "added AC-1 at 2.50 EUR" in added
    assert "AC-1" in _ok(["vendors", "catalogue", "list", vendor], env)
    assert "Acme" in _ok(["vendors", "list"], env)

    feed(
        data_dir,
        stock_changed(product, CLINIC, 1, on_hand=2),
        stock_low(product, CLINIC, 1, available=2, threshold=5, reorder_quantity=10),
    )
    orders = _ok(["vendors", "orders", "--vendor", vendor], env)
    assert "created" in orders and "30.00 EUR" in orders and "1 to 1 of 1" in orders
    order = re.search(_ID, orders.split("\n", 3)[3])
    assert order, orders
    order_id = order[0]

    status = _ok(["vendors", "status", vendor], env)
    assert "needs reorder" in status and order_id in status and "ordered 12 from Acme" in status

    assert "confirmed" in _ok(["vendors", "confirm", order_id], env)
    shipped = _ok(
        ["vendors", "ship", order_id, "--carrier", "DHL", "--tracking", "JD1",
         "--expected", "2099-01-01"],
        env,
    )  # fmt: skip
    assert "shipped" in shipped
    part = _ok(["vendors", "deliver", order_id, "--quantity", "5"], env)
    assert "partially_delivered, 5 delivered" in part
    _fails(["vendors", "deliver", order_id, "--quantity", "8"], env, EXIT_INVALID)
    done = _ok(["vendors", "deliver", order_id, "--quantity", "7"], env)
    assert "delivered, 12 delivered" in done
    _fails(["vendors", "cancel", order_id, "--reason", "late"], env, EXIT_CONFLICT)
    _fails(["vendors", "confirm", str(new_id())], env, EXIT_NOT_FOUND)
    _fails(["vendors", "confirm", "not-an-id"], env, EXIT_USAGE)

    assert "rebuilt the inventory status: 1 rows" in _ok(["vendors", "rebuild-status"], env)
    rebuilt = _ok(["vendors", "status", vendor], env)
    assert "needs reorder" in rebuilt and order_id not in rebuilt  # the order is closed
