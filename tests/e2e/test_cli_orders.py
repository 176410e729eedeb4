"""`petpro orders …` through Typer's runner on the embedded SQLite store.

A clinic (as inventory knows it), products with stock and customers' orders are set up
through the application's bus on the same data directory; the CLI's containers share the
test's fixed clock and fake payment gateway, so refunds can be asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from uuid import UUID

import pytest
from dependency_injector import providers

import cli.session
from adapters.payments.fake_gateway import FakePaymentGateway
from cli.errors import EXIT_CONFLICT, EXIT_NOT_FOUND, EXIT_USAGE
from petpro_core.inventory.commands import CreateProduct, GetStock, ReceiveStock
from petpro_core.inventory.customer_order_commands import PlaceCustomerOrder, RequestedLine
from petpro_core.inventory.domain.customer_orders import (
    CustomerOrder,
    CustomerOrderStatus,
    PaymentDeclined,
)
from petpro_core.inventory.domain.locations import Location, LocationKind
from petpro_core.inventory.domain.stock import StockItem
from petpro_core.shared.actors import OPERATOR_ACTOR, Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from runtimes.containers import ApplicationContainer, build_container
from runtimes.schema import prepare_schema
from runtimes.settings import Settings
from tests.e2e.cli_support import cli_env, invoke

T = TypeVar("T")

NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
CLINIC = UUID("00000000-0000-4000-8000-00000000c111")
ANN = Actor(user_id=new_id(), roles=frozenset({"pet_owner"}))


class Deployment:
    def __init__(self, data_dir: Path) -> None:
        self.settings = Settings(
            data_dir=data_dir, database_url=None, argon2_memory_kib=1024, argon2_time_cost=1
        )
        self.clock = FixedClock(NOW)
        self.gateway = FakePaymentGateway()

    def container(self) -> ApplicationContainer:
        container = build_container(self.settings, clock=self.clock)
        container.booking.payments.override(providers.Object(self.gateway))
        return container

    def run(self, work: Callable[[ApplicationContainer], Awaitable[T]]) -> T:
        container = self.container()
        prepare_schema(container.settings(), container.databases())

        async def main() -> T:
            try:
                return await work(container)
            finally:
                await container.databases().dispose()

        return asyncio.run(main())


@dataclass
class Orders:
    product_id: UUID
    collect: CustomerOrder
    cancel: CustomerOrder
    declined_id: UUID


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    deployment = Deployment(tmp_path / "data")
    monkeypatch.setattr(cli.session, "build_container", deployment.container)
    yield deployment


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "data", COLUMNS="220")


@pytest.fixture
def orders(deployment: Deployment) -> Orders:
    async def setup(container: ApplicationContainer) -> Orders:
        unit = container.inventory.unit_of_work()()
        async with unit:
            await unit.locations.put_clinic(
                Location(
                    location_id=CLINIC, kind=LocationKind.CLINIC, name="Shibuya", updated_at=NOW
                )
            )
            await unit.commit()
        bus = container.bus()
        product = await bus.execute(
            CreateProduct(
                actor=OPERATOR_ACTOR,
                sku="FOOD-2KG",
                name="Cat food",
                unit="bag",
                price=Money.of("2400", "JPY"),
            )
        )
        await bus.execute(
            ReceiveStock(
                actor=OPERATOR_ACTOR, product_id=product.product_id, location_id=CLINIC, quantity=9
            )
        )

        def place(quantity: int, token: str = "tok_visa") -> PlaceCustomerOrder:
            return PlaceCustomerOrder(
                actor=ANN,
                customer_order_id=new_id(),
                location_id=CLINIC,
                lines=(RequestedLine(product_id=product.product_id, quantity=quantity),),
                payment_token=token,
            )

        collect = await bus.execute(place(2))
        cancel = await bus.execute(place(3))
        declined = place(1, "tok_declined")
        with contextlib.suppress(PaymentDeclined):  # the failed order is kept: listed below
            await bus.execute(declined)
        return Orders(product.product_id, collect, cancel, declined.customer_order_id)

    return deployment.run(setup)


def _stock(deployment: Deployment, product_id: UUID) -> StockItem:
    async def get(container: ApplicationContainer) -> StockItem:
        item: StockItem = await container.bus().execute(
            GetStock(actor=OPERATOR_ACTOR, product_id=product_id, location_id=CLINIC)
        )
        return item

    return deployment.run(get)


def test_list_shows_a_locations_orders(orders: Orders, env: dict[str, str]) -> None:
    result = invoke(["orders", "list", "--location", str(CLINIC)], env)
    assert result.exit_code == 0, result.output
    assert "3 orders" in result.output
    for order_id in (orders.collect.customer_order_id, orders.cancel.customer_order_id):
        assert str(order_id) in result.output
    assert "placed" in result.output and "failed" in result.output

    only_failed = invoke(
        ["orders", "list", "--location", str(CLINIC), "--status", "failed", "--json"], env
    )
    assert only_failed.exit_code == 0, only_failed.output
    [failed] = json.loads(only_failed.output)
    assert failed["id"] == str(orders.declined_id)
    assert failed["failure"] == "payment_declined"


def test_show_fulfil_and_cancel(
    orders: Orders, env: dict[str, str], deployment: Deployment
) -> None:
    collect_id = str(orders.collect.customer_order_id)
    shown = invoke(["orders", "show", collect_id], env)
    assert shown.exit_code == 0, shown.output
    assert "FOOD-2KG" in shown.output and "4800 JPY" in shown.output

    fulfilled = invoke(["orders", "fulfil", collect_id], env)
    assert fulfilled.exit_code == 0, fulfilled.output
    assert f"fulfilled order {collect_id}" in fulfilled.output
    item = _stock(deployment, orders.product_id)
    assert (item.on_hand, item.reserved) == (7, 3)

    cancel_id = str(orders.cancel.customer_order_id)
    cancelled = invoke(["orders", "cancel", cancel_id, "--reason", "out of date"], env)
    assert cancelled.exit_code == 0, cancelled.output
    assert "refund 7200 JPY (refunded)" in cancelled.output
    [refund] = deployment.gateway.refunds
    assert refund.amount == Money.of("7200", "JPY")
    assert _stock(deployment, orders.product_id).reserved == 0

    as_json = json.loads(invoke(["orders", "show", cancel_id, "--json"], env).output)
    assert as_json["status"] == CustomerOrderStatus.CANCELLED.value
    assert as_json["cancelled_by"] == "staff"
    assert as_json["cancellation_reason"] == "out of date"

    again = invoke(["orders", "cancel", collect_id], env)
    assert again.exit_code == EXIT_CONFLICT
    assert "collected already" in again.output
    recovered = invoke(["orders", "recover"], env)
    assert recovered.exit_code == 0 and "advanced 0 orders" in recovered.output


def test_errors_are_one_line_with_exit_codes(orders: Orders, env: dict[str, str]) -> None:
    missing = invoke(["orders", "show", str(new_id())], env)
    assert missing.exit_code == EXIT_NOT_FOUND
    assert "no such order" in missing.output
    bad = invoke(["orders", "fulfil", "not-an-id"], env)
    assert bad.exit_code == EXIT_USAGE
