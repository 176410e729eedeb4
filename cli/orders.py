"""`petpro orders …`: the shop's customer orders, as the clinic (the operator acts as an
admin): list a location's orders, show one, hand one out (fulfil), cancel one (a full
refund), and run the payment recovery once.

There is no per-customer listing: the core lists a customer's orders only to that customer
(`GET /customer-orders` over HTTP).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.bookings import parse_id
from cli.errors import guarded
from cli.session import run
from petpro_core.inventory.customer_order_commands import (
    AdvancePendingCustomerOrders,
    CancelCustomerOrder,
    FulfilCustomerOrder,
    GetCustomerOrder,
    ListCustomerOrders,
)
from petpro_core.inventory.domain.customer_orders import CustomerOrder, CustomerOrderStatus
from petpro_core.shared.actors import OPERATOR_ACTOR
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import MAX_LIMIT, Page, PageRequest
from runtimes.containers import ApplicationContainer

orders_app = typer.Typer(
    no_args_is_help=True,
    help="Shop orders, as the clinic: list a location's, show, fulfil (hand out), cancel "
    "(full refund), recover payments.",
)

console = Console()

OrderArgument = Annotated[str, typer.Argument(help="The order's id.", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

_STATUS_STYLE = {
    CustomerOrderStatus.PENDING_PAYMENT: "yellow",
    CustomerOrderStatus.PLACED: "green",
    CustomerOrderStatus.FULFILLED: "blue",
    CustomerOrderStatus.CANCELLED: "dim",
    CustomerOrderStatus.FAILED: "red",
}


def _styled(status: CustomerOrderStatus) -> str:
    return f"[{_STATUS_STYLE[status]}]{status.value}[/]"


def _money(value: Money | None) -> str:
    return "—" if value is None else str(value)


def order_record(order: CustomerOrder) -> dict[str, Any]:
    """An order as plain values: money as decimal strings, times in ISO 8601 (UTC)."""
    return {
        "id": str(order.customer_order_id),
        "status": order.status.value,
        "payment": order.payment.value,
        "customer_id": str(order.customer_id),
        "location_id": str(order.location_id),
        "lines": [
            {
                "product_id": str(line.product_id),
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price.amount),
            }
            for line in order.lines
        ],
        "total": str(order.total.amount),
        "currency": order.total.currency,
        "pick_up_by": order.pick_up_by.isoformat(),
        "charge_reference": order.charge_reference,
        "refund": None if order.refund is None else str(order.refund.amount),
        "failure": None if order.failure_kind is None else order.failure_kind.value,
        "failure_reason": order.failure_reason,
        "cancelled_by": None if order.cancelled_by is None else order.cancelled_by.value,
        "cancellation_reason": order.cancel_reason,
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
        "version": order.version,
    }


def _when(order: CustomerOrder) -> str:
    return order.created_at.strftime("%Y-%m-%d %H:%M")


# -- list -------------------------------------------------------------------------------------


@orders_app.command("list")
@guarded
def orders_list(
    location: Annotated[
        str, typer.Option("--location", help="The clinic's id.", show_default=False)
    ],
    status: Annotated[
        CustomerOrderStatus | None,
        typer.Option(help="Only orders in this status.", case_sensitive=False),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """A location's orders, newest first."""
    location_id = parse_id(location, "--location")

    async def fetch(container: ApplicationContainer) -> list[CustomerOrder]:
        bus = container.bus()
        orders: list[CustomerOrder] = []
        while True:
            page: Page[CustomerOrder] = await bus.execute(
                ListCustomerOrders(
                    actor=OPERATOR_ACTOR,
                    location_id=location_id,
                    status=status,
                    page=PageRequest(limit=MAX_LIMIT, offset=len(orders)),
                )
            )
            orders.extend(page.items)
            if not page.items or len(orders) >= page.total:
                return orders

    orders = run(fetch)
    if as_json:
        typer.echo(json.dumps([order_record(o) for o in orders], indent=2, ensure_ascii=False))
        return
    count = len(orders)
    console.print(f"{count} order{'' if count == 1 else 's'} at {location_id}", soft_wrap=True)
    if not orders:
        return
    table = Table()
    for column in ("placed", "status", "payment", "items", "total", "pick up by", "id"):
        table.add_column(column, no_wrap=column != "id", overflow="fold")
    for order in orders:
        table.add_row(
            _when(order),
            _styled(order.status),
            order.payment.value,
            str(sum(line.quantity for line in order.lines)),
            str(order.total),
            order.pick_up_by.strftime("%Y-%m-%d %H:%M"),
            str(order.customer_order_id),
        )
    console.print(table)


# -- show -------------------------------------------------------------------------------------


def _print_order(order: CustomerOrder) -> None:
    table = Table(title=f"Order {order.customer_order_id}", show_header=False)
    table.add_column("", style="bold", no_wrap=True)
    table.add_column("", overflow="fold")
    rows = [
        ("status", _styled(order.status)),
        ("payment", order.payment.value),
        ("customer", str(order.customer_id)),
        ("location", str(order.location_id)),
        (
            "lines",
            "\n".join(
                f"{line.quantity} x {line.sku} {line.name} @ {line.unit_price}"
                for line in order.lines
            ),
        ),
        ("total", str(order.total)),
        ("pick up by", f"{order.pick_up_by:%Y-%m-%d %H:%M} UTC"),
    ]
    if order.failure_reason:
        rows.append(("failed", order.failure_reason))
    if order.cancelled_by is not None:
        rows.append(("cancelled", f"by {order.cancelled_by.value}: {order.cancel_reason}"))
    if order.refund is not None:
        rows.append(("refund", _money(order.refund)))
    rows += [
        ("created", f"{order.created_at:%Y-%m-%d %H:%M} UTC"),
        ("version", str(order.version)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


@orders_app.command("show")
@guarded
def orders_show(order: OrderArgument, as_json: JsonOption = False) -> None:
    """One order: its lines, total, payment and pick-up deadline."""
    order_id = parse_id(order, "the order")
    found: CustomerOrder = run(
        lambda container: container.bus().execute(
            GetCustomerOrder(actor=OPERATOR_ACTOR, customer_order_id=order_id)
        )
    )
    if as_json:
        typer.echo(json.dumps(order_record(found), indent=2, ensure_ascii=False))
        return
    _print_order(found)


# -- fulfil and cancel ------------------------------------------------------------------------


@orders_app.command("fulfil")
@guarded
def orders_fulfil(order: OrderArgument) -> None:
    """Hand the order out: its reserved units leave the stock as a sale."""
    order_id = parse_id(order, "the order")
    done: CustomerOrder = run(
        lambda container: container.bus().execute(
            FulfilCustomerOrder(actor=OPERATOR_ACTOR, customer_order_id=order_id)
        )
    )
    typer.echo(f"fulfilled order {done.customer_order_id} ({done.total})")


@orders_app.command("cancel")
@guarded
def orders_cancel(
    order: OrderArgument,
    reason: Annotated[
        str, typer.Option(help="Why (at most 500 characters).")
    ] = "cancelled by the clinic",
) -> None:
    """Cancel the order as the clinic: the stock is released, the customer refunded."""
    order_id = parse_id(order, "the order")
    done: CustomerOrder = run(
        lambda container: container.bus().execute(
            CancelCustomerOrder(actor=OPERATOR_ACTOR, customer_order_id=order_id, reason=reason)
        )
    )
    typer.echo(
        f"cancelled order {done.customer_order_id}; refund {_money(done.refund)} "
        f"({done.payment.value})"
    )


@orders_app.command("recover")
@guarded
def orders_recover(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many orders.")] = 100,
) -> None:
    """Retry unresolved charges and owed refunds once (the workers do it every 5 s)."""
    advanced: int = run(
        lambda container: container.bus().execute(
            AdvancePendingCustomerOrders(now=container.clock().now(), limit=limit)
        )
    )
    typer.echo(f"advanced {advanced} order{'' if advanced == 1 else 's'}")


__all__ = ["order_record", "orders_app"]
