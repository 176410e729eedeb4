"""`petpro inventory …` through Typer's runner on the embedded SQLite store: the operator
files products in categories, stocks a warehouse, sets a reorder policy and sees the low
rows; errors are one line with the documented exit code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cli.errors import EXIT_INVALID, EXIT_NOT_FOUND, EXIT_USAGE
from tests.e2e.cli_support import cli_env, invoke
from tests.e2e.test_cli import one_line_error

_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "data", COLUMNS="200")


def _ok(args: list[str], env: dict[str, str]) -> str:
    result = invoke(args, env)
    assert result.exit_code == 0, result.output
    return result.stdout


def _created(out: str, what: str) -> str:
    matched = re.search(rf"created {what} .* ({_ID})", out)
    assert matched, out
    return matched[1]


def test_the_operator_runs_the_inventory_from_the_console(env: dict[str, str]) -> None:
    food = _created(_ok(["inventory", "categories", "create", "Food"], env), "category")
    _ok(["inventory", "categories", "create", "Dry food", "--parent", food], env)
    tree = _ok(["inventory", "categories", "list"], env)
    assert re.search(r"Food .*\n.*  Dry food", tree), tree

    _ok(
        [
            "inventory", "products", "create", "--sku", "kibble-1", "--name", "Cat kibble",
            "--unit", "bag", "--price", "12.50", "--currency", "eur", "--category", food,
            "--species", "cat",
        ],
        env,
    )  # fmt: skip
    listed = _ok(["inventory", "products", "list", "--species", "cat"], env)
    assert "KIBBLE-1" in listed and "12.50 EUR" in listed and "1 to 1 of 1" in listed
    updated = _ok(["inventory", "products", "update", "kibble-1", "--name", "Kibble XL"], env)
    assert "updated product KIBBLE-1 to version 2" in updated

    depot = _created(_ok(["inventory", "warehouse", "Depot"], env), "warehouse")
    assert depot in _ok(["inventory", "locations"], env)
    received = _ok(
        ["inventory", "receive", "KIBBLE-1", "--location", depot, "--quantity", "5"], env
    )
    assert "5 on hand" in received
    policy = _ok(
        [
            "inventory", "reorder-policy", "KIBBLE-1", "--location", depot,
            "--threshold", "3", "--reorder-quantity", "10",
        ],
        env,
    )  # fmt: skip
    assert "(low)" not in policy
    adjusted = _ok(
        [
            "inventory",
            "adjust",
            "KIBBLE-1",
            "--location",
            depot,
            "--delta",
            "-2",
            "--reason",
            "torn",
        ],
        env,
    )
    assert "3 on hand" in adjusted and "(low)" in adjusted
    stock = _ok(["inventory", "stock", "--location", depot], env)
    assert "1 products, 1 low" in stock and "Kibble XL" in stock


def _fails(args: list[str], env: dict[str, str], code: int, text: str) -> None:
    result = invoke(args, env)
    assert result.exit_code == code, result.output
    assert text in one_line_error(result)


def test_errors_are_one_line_with_exit_codes(env: dict[str, str]) -> None:
    depot = _created(_ok(["inventory", "warehouse", "Depot"], env), "warehouse")
    receive = ["inventory", "receive", "NOPE", "--location", depot, "--quantity", "1"]
    _fails(receive, env, EXIT_NOT_FOUND, "no product with SKU NOPE")
    _fails(["inventory", "stock", "--location", "nope"], env, EXIT_USAGE, "must be an id")
    _ok(
        [
            "inventory", "products", "create", "--sku", "X", "--name", "X", "--unit", "u",
            "--price", "1", "--currency", "EUR",
        ],
        env,
    )  # fmt: skip
    adjust = ["inventory", "adjust", "X", "--location", depot, "--delta", "-1", "--reason", "r"]
    _fails(adjust, env, EXIT_INVALID, "there is no X at this location")
