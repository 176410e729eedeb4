"""`petpro vendors …`: the operator (acting as an admin) manages vendors, their supply
catalogues and purchase orders, and looks at a vendor's inventory status.

`rebuild-status` clears the vendor_inventory_status read model and folds the stock events
it retains (its journal: the newest event of each kind per stock item) into it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, TypeVar
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from cli.errors import EXIT_USAGE, fail, guarded
from cli.session import run
from petpro_core.auth.commands import FindUserByEmail
from petpro_core.auth.domain.roles import OPERATOR
from petpro_core.auth.domain.users import User
from petpro_core.shared.actors import OPERATOR_ACTOR
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.pagination import Page, PageRequest
from petpro_core.vendor.commands import (
    AddSupplyItem,
    AddVendorMember,
    CancelPurchaseOrder,
    ConfirmPurchaseOrder,
    CostInput,
    CreatePurchaseOrder,
    CreateVendor,
    DeliverPurchaseOrder,
    GetVendorInventoryStatus,
    ListPurchaseOrders,
    ListSupplyItems,
    ListVendors,
    RebuildInventoryStatus,
    ShipPurchaseOrder,
)
from petpro_core.vendor.domain.catalogue import SupplyItem
from petpro_core.vendor.domain.orders import OrderStatus, PurchaseOrder
from petpro_core.vendor.domain.status import VendorStockRow
from petpro_core.vendor.domain.vendors import Vendor
from runtimes.containers import ApplicationContainer

T = TypeVar("T")

vendors_app = typer.Typer(
    no_args_is_help=True,
    help="Vendors, supply catalogues, purchase orders and the vendors' inventory status.",
)
catalogue_app = typer.Typer(no_args_is_help=True, help="A vendor's supply catalogue.")
vendors_app.add_typer(catalogue_app, name="catalogue")

console = Console()

VendorArgument = Annotated[str, typer.Argument(help="The vendor's id.", show_default=False)]
OrderArgument = Annotated[str, typer.Argument(help="The purchase order's id.", show_default=False)]

_STATUS_STYLE = {
    OrderStatus.CREATED: "cyan",
    OrderStatus.CONFIRMED: "blue",
    OrderStatus.SHIPPED: "magenta",
    OrderStatus.PARTIALLY_DELIVERED: "yellow",
    OrderStatus.DELIVERED: "green",
    OrderStatus.CANCELLED: "dim",
}


def _on_bus(work: Callable[[MessageBus], Awaitable[T]]) -> T:
    async def main(container: ApplicationContainer) -> T:
        return await work(container.bus())

    return run(main)


def _id(raw: str, what: str) -> UUID:
    try:
        return UUID(raw.strip())
    except ValueError:
        fail(f"{what} must be an id (a UUID), got {raw!r}", EXIT_USAGE)


def _date(raw: str, what: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        fail(f"{what} must be a date such as 2026-03-01, got {raw!r}", EXIT_USAGE)


def _amount(raw: str) -> Decimal:
    try:
        return Decimal(raw.strip())
    except InvalidOperation:
        fail(f"--cost must be an amount such as 2.50, got {raw!r}", EXIT_USAGE)


def _styled(status: OrderStatus) -> str:
    return f"[{_STATUS_STYLE[status]}]{status.value}[/]"


def _order_line(order: PurchaseOrder, verb: str) -> None:
    typer.echo(
        f"{verb} purchase order {order.purchase_order_id}: {order.quantity} x {order.sku} "
        f"from {order.vendor_name}, {order.status.value}, {order.quantity_delivered} delivered"
    )


# -- vendors ----------------------------------------------------------------------------------


@vendors_app.command("list")
@guarded
def vendors_list(
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """Vendors by name."""
    page: Page[Vendor] = _on_bus(
        lambda bus: bus.execute(
            ListVendors(actor=OPERATOR_ACTOR, page=PageRequest(limit=limit, offset=offset))
        )
    )
    table = Table(title="Vendors")
    for column in ("id", "name", "lead time", "active", "email", "members"):
        table.add_column(column, no_wrap=column == "id")
    for vendor in page.items:
        table.add_row(
            str(vendor.vendor_id),
            vendor.name,
            f"{vendor.lead_time_days} d",
            "yes" if vendor.active else "[dim]no[/]",
            vendor.email or "—",
            str(len(vendor.member_ids)),
        )
    console.print(table)
    shown = len(page.items)
    typer.echo(f"{offset + 1 if shown else 0} to {offset + shown} of {page.total}")


@vendors_app.command("create")
@guarded
def vendors_create(
    name: Annotated[str, typer.Option(help="The vendor's name.")],
    lead_time: Annotated[int, typer.Option("--lead-time", help="Days from order to delivery.")],
    email: Annotated[str | None, typer.Option(help="Where orders go.")] = None,
    phone: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Add a vendor."""
    vendor: Vendor = _on_bus(
        lambda bus: bus.execute(
            CreateVendor(
                actor=OPERATOR_ACTOR,
                name=name,
                lead_time_days=lead_time,
                email=email,
                phone=phone,
            )
        )
    )
    typer.echo(f"created vendor {vendor.name} ({vendor.vendor_id})")


@vendors_app.command("add-member")
@guarded
def vendors_add_member(
    vendor: VendorArgument,
    user: Annotated[str, typer.Argument(help="The user's e-mail or id (holding the vendor role).")],
) -> None:
    """Let a user act for the vendor."""
    vendor_id = _id(vendor, "the vendor")

    async def add(bus: MessageBus) -> Vendor:
        if "@" in user:
            found: User = await bus.execute(FindUserByEmail(actor=OPERATOR, email=user))
            user_id = found.id
        else:
            user_id = _id(user, "the user")
        changed: Vendor = await bus.execute(
            AddVendorMember(actor=OPERATOR_ACTOR, vendor_id=vendor_id, user_id=user_id)
        )
        return changed

    changed = _on_bus(add)
    typer.echo(f"{user} acts for {changed.name}")


# -- catalogue --------------------------------------------------------------------------------


@catalogue_app.command("list")
@guarded
def catalogue_list(
    vendor: VendorArgument,
    all_items: Annotated[bool, typer.Option("--all", help="Withdrawn items too.")] = False,
) -> None:
    """The vendor's supply catalogue."""
    vendor_id = _id(vendor, "the vendor")
    items: list[SupplyItem] = _on_bus(
        lambda bus: bus.execute(
            ListSupplyItems(actor=OPERATOR_ACTOR, vendor_id=vendor_id, include_inactive=all_items)
        )
    )
    table = Table(title="Supply catalogue")
    for column in ("item", "vendor SKU", "product", "unit cost", "minimum", "pack", "active"):
        table.add_column(column, no_wrap=True)
    for item in items:
        table.add_row(
            str(item.item_id),
            item.vendor_sku,
            str(item.product_id),
            str(item.unit_cost),
            str(item.minimum_order),
            str(item.pack_size),
            "yes" if item.active else "[dim]no[/]",
        )
    console.print(table)


@catalogue_app.command("add")
@guarded
def catalogue_add(
    vendor: VendorArgument,
    product: Annotated[str, typer.Option(help="The inventory product's id.")],
    vendor_sku: Annotated[str, typer.Option("--vendor-sku")],
    cost: Annotated[str, typer.Option(help="Unit cost, e.g. 2.50.")],
    currency: Annotated[str, typer.Option()] = "EUR",
    minimum: Annotated[int, typer.Option(help="Minimum order quantity.")] = 1,
    pack: Annotated[int, typer.Option(help="Pack size.")] = 1,
) -> None:
    """List a product in the vendor's catalogue."""
    command = AddSupplyItem(
        actor=OPERATOR_ACTOR,
        vendor_id=_id(vendor, "the vendor"),
        product_id=_id(product, "--product"),
        vendor_sku=vendor_sku,
        unit_cost=CostInput(amount=_amount(cost), currency=currency),
        minimum_order=minimum,
        pack_size=pack,
    )
    item: SupplyItem = _on_bus(lambda bus: bus.execute(command))
    typer.echo(f"added {item.vendor_sku} at {item.unit_cost} ({item.item_id})")


# -- purchase orders --------------------------------------------------------------------------


@vendors_app.command("orders")
@guarded
def orders_list(
    vendor: Annotated[str | None, typer.Option(help="Only this vendor's.")] = None,
    status: Annotated[str | None, typer.Option(help="Only in this status.")] = None,
    product: Annotated[str | None, typer.Option(help="Only this product.")] = None,
    location: Annotated[str | None, typer.Option(help="Only for this location.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """Purchase orders, newest first."""
    command = ListPurchaseOrders(
        actor=OPERATOR_ACTOR,
        vendor_id=None if vendor is None else _id(vendor, "--vendor"),
        status=status,
        product_id=None if product is None else _id(product, "--product"),
        location_id=None if location is None else _id(location, "--location"),
        page=PageRequest(limit=limit, offset=offset),
    )
    page: Page[PurchaseOrder] = _on_bus(lambda bus: bus.execute(command))
    table = Table(title="Purchase orders")
    for column in ("id", "vendor", "SKU", "location", "qty", "delivered", "cost", "status", "due"):
        table.add_column(column, no_wrap=column in ("id", "location"))
    for order in page.items:
        table.add_row(
            str(order.purchase_order_id),
            order.vendor_name,
            order.sku,
            str(order.location_id),
            str(order.quantity),
            str(order.quantity_delivered),
            str(order.total_cost),
            _styled(order.status),
            order.expected_on.isoformat(),
        )
    console.print(table)
    shown = len(page.items)
    typer.echo(f"{offset + 1 if shown else 0} to {offset + shown} of {page.total}")


@vendors_app.command("order")
@guarded
def orders_create(
    vendor: VendorArgument,
    product: Annotated[str, typer.Option(help="The inventory product's id.")],
    location: Annotated[str, typer.Option(help="The clinic or warehouse it goes to.")],
    quantity: Annotated[int, typer.Option(help="Rounded up to packs and the minimum.")],
) -> None:
    """Order manually from a vendor."""
    command = CreatePurchaseOrder(
        actor=OPERATOR_ACTOR,
        vendor_id=_id(vendor, "the vendor"),
        product_id=_id(product, "--product"),
        location_id=_id(location, "--location"),
        quantity=quantity,
    )
    _order_line(_on_bus(lambda bus: bus.execute(command)), "created")


@vendors_app.command("confirm")
@guarded
def orders_confirm(
    order: OrderArgument,
    expected: Annotated[str | None, typer.Option(help="Another promised date.")] = None,
) -> None:
    """Confirm a purchase order (for the vendor)."""
    command = ConfirmPurchaseOrder(
        actor=OPERATOR_ACTOR,
        purchase_order_id=_id(order, "the order"),
        expected_on=None if expected is None else _date(expected, "--expected"),
    )
    _order_line(_on_bus(lambda bus: bus.execute(command)), "confirmed")


@vendors_app.command("ship")
@guarded
def orders_ship(
    order: OrderArgument,
    carrier: Annotated[str, typer.Option()],
    tracking: Annotated[str, typer.Option(help="The tracking number.")],
    expected: Annotated[str, typer.Option(help="Expected delivery date, YYYY-MM-DD.")],
    quantity: Annotated[int | None, typer.Option(help="Default: every unit not shipped.")] = None,
) -> None:
    """Mark a purchase order shipped (one shipment)."""
    command = ShipPurchaseOrder(
        actor=OPERATOR_ACTOR,
        purchase_order_id=_id(order, "the order"),
        carrier=carrier,
        tracking_number=tracking,
        expected_delivery_on=_date(expected, "--expected"),
        quantity=quantity,
    )
    _order_line(_on_bus(lambda bus: bus.execute(command)), "shipped")


@vendors_app.command("deliver")
@guarded
def orders_deliver(
    order: OrderArgument,
    quantity: Annotated[int, typer.Option(help="Units in this delivery.")],
) -> None:
    """Record a delivery (partial deliveries add up)."""
    command = DeliverPurchaseOrder(
        actor=OPERATOR_ACTOR, purchase_order_id=_id(order, "the order"), quantity=quantity
    )
    _order_line(_on_bus(lambda bus: bus.execute(command)), "delivered to")


@vendors_app.command("cancel")
@guarded
def orders_cancel(
    order: OrderArgument,
    reason: Annotated[str, typer.Option(help="Why.")],
) -> None:
    """Cancel a purchase order (not once fully delivered)."""
    command = CancelPurchaseOrder(
        actor=OPERATOR_ACTOR, purchase_order_id=_id(order, "the order"), reason=reason
    )
    _order_line(_on_bus(lambda bus: bus.execute(command)), "cancelled")


# -- inventory status -------------------------------------------------------------------------


@vendors_app.command("status")
@guarded
def vendors_status(vendor: VendorArgument) -> None:
    """The stock of every product the vendor supplies, per location; low rows in red."""
    vendor_id = _id(vendor, "the vendor")
    rows: list[VendorStockRow] = _on_bus(
        lambda bus: bus.execute(GetVendorInventoryStatus(actor=OPERATOR_ACTOR, vendor_id=vendor_id))
    )
    table = Table(title="Inventory status")
    columns = ("SKU", "vendor SKU", "location", "on hand", "reserved", "available", "threshold")
    for column in (*columns, "reorder", "open order", "last reorder"):
        table.add_column(column, no_wrap=column == "location")
    for row in rows:
        decision = row.last_reorder
        table.add_row(
            row.sku,
            row.vendor_sku,
            str(row.location_id),
            str(row.on_hand),
            str(row.reserved),
            str(row.available),
            "—" if row.threshold is None else str(row.threshold),
            "[bold red]needs reorder[/]" if row.needs_reorder else "ok",
            "—"
            if row.open_purchase_order_id is None
            else f"{row.open_purchase_order_id} ({row.open_purchase_order_status})",
            "—" if decision is None else f"{decision.outcome.value}: {decision.reason}",
            style="red" if row.needs_reorder else None,
        )
    console.print(table)


@vendors_app.command("rebuild-status")
@guarded
def vendors_rebuild_status() -> None:
    """Clear the inventory status view and fold the retained stock events into it again."""
    count: int = _on_bus(lambda bus: bus.execute(RebuildInventoryStatus(actor=OPERATOR_ACTOR)))
    typer.echo(f"rebuilt the inventory status: {count} rows")
