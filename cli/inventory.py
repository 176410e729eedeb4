"""`petpro inventory …`: the operator (acting as an admin) manages the catalogue and the
stock: categories, products, stock levels at a location (low ones highlighted),
adjustments, receipts and reorder policies.

Products are named by SKU or id; locations by id (`petpro inventory locations`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, TypeVar
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from cli.errors import EXIT_USAGE, fail, guarded
from cli.session import run
from petpro_core.inventory.commands import (
    UNCHANGED,
    AdjustStock,
    CreateCategory,
    CreateProduct,
    CreateWarehouse,
    GetProduct,
    ListCategories,
    ListLocations,
    ListProducts,
    ListStock,
    ReceiveStock,
    SetReorderPolicy,
    UpdateProduct,
)
from petpro_core.inventory.domain.categories import Category
from petpro_core.inventory.domain.errors import ProductNotFound
from petpro_core.inventory.domain.locations import Location
from petpro_core.inventory.domain.products import Product, normalise_sku
from petpro_core.inventory.domain.stock import StockItem
from petpro_core.shared.actors import OPERATOR_ACTOR
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import Page, PageRequest
from runtimes.containers import ApplicationContainer

T = TypeVar("T")

inventory_app = typer.Typer(
    no_args_is_help=True,
    help="Inventory: categories, products, stock levels, adjustments, receipts, reorder policy.",
)
categories_app = typer.Typer(no_args_is_help=True, help="The category tree.")
products_app = typer.Typer(no_args_is_help=True, help="The product catalogue.")
inventory_app.add_typer(categories_app, name="categories")
inventory_app.add_typer(products_app, name="products")

console = Console()

ProductArgument = Annotated[
    str, typer.Argument(help="The product's SKU or id.", show_default=False)
]
LocationOption = Annotated[str, typer.Option("--location", help="The stock location's id.")]


def _on_bus(work: Callable[[MessageBus], Awaitable[T]]) -> T:
    async def main(container: ApplicationContainer) -> T:
        return await work(container.bus())

    return run(main)


def _id(raw: str, what: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        fail(f"{what} must be an id, not {raw!r}", EXIT_USAGE)


def _price(amount: str, currency: str) -> Money:
    try:
        return Money.of(Decimal(amount), currency.upper())
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidInput(f"price: {exc}", field="price") from None


async def _product(bus: MessageBus, ref: str) -> Product:
    """A product by id, else by SKU."""
    try:
        product: Product = await bus.execute(GetProduct(product_id=UUID(ref)))
        return product
    except ValueError:
        pass
    sku = normalise_sku(ref)
    page: Page[Product] = await bus.execute(ListProducts(text=sku, page=PageRequest(limit=200)))
    for product in page.items:
        if product.sku == sku:
            return product
    raise ProductNotFound(f"no product with SKU {sku}")


# -- categories -------------------------------------------------------------------------------


@categories_app.command("list")
@guarded
def categories_list() -> None:
    """The category tree."""
    found: list[Category] = _on_bus(lambda bus: bus.execute(ListCategories()))
    children: dict[UUID | None, list[Category]] = {}
    for category in found:
        children.setdefault(category.parent_id, []).append(category)
    table = Table(title=f"{len(found)} categories")
    table.add_column("name")
    table.add_column("id", overflow="fold")

    def add(parent: UUID | None, depth: int) -> None:
        for category in children.get(parent, []):
            table.add_row("  " * depth + category.name, str(category.category_id))
            add(category.category_id, depth + 1)

    add(None, 0)
    console.print(table)


@categories_app.command("create")
@guarded
def categories_create(
    name: Annotated[str, typer.Argument(help="The category's name.", show_default=False)],
    parent: Annotated[str | None, typer.Option(help="The parent category's id.")] = None,
) -> None:
    """Create a category (under a parent, or at the top)."""
    parent_id = None if parent is None else _id(parent, "the parent")
    category: Category = _on_bus(
        lambda bus: bus.execute(
            CreateCategory(actor=OPERATOR_ACTOR, name=name, parent_id=parent_id)
        )
    )
    console.print(f"created category {category.name} {category.category_id}")


# -- products ---------------------------------------------------------------------------------


@products_app.command("list")
@guarded
def products_list(
    category: Annotated[str | None, typer.Option(help="A category id (and below).")] = None,
    species: Annotated[str | None, typer.Option(help="For this species (or any).")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive", help="Only these.")] = None,
    search: Annotated[str | None, typer.Option(help="Part of the name or SKU.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """List products as a table."""
    category_id = None if category is None else _id(category, "the category")
    page: Page[Product] = _on_bus(
        lambda bus: bus.execute(
            ListProducts(
                category_id=category_id,
                species=species,
                active=active,
                text=search,
                page=PageRequest(limit=limit, offset=offset),
            )
        )
    )
    first, last = (offset + 1, offset + len(page.items)) if page.items else (0, 0)
    table = Table(title=f"Products {first} to {last} of {page.total}")
    for column in ("sku", "name", "unit", "price", "species", "active", "id"):
        table.add_column(column, overflow="fold" if column == "id" else "ellipsis")
    for product in page.items:
        table.add_row(
            product.sku,
            product.name,
            product.unit,
            f"{product.price.amount} {product.price.currency}",
            ", ".join(product.species) or "any",
            "yes" if product.active else "[dim]no[/dim]",
            str(product.product_id),
        )
    console.print(table)


@products_app.command("create")
@guarded
def products_create(
    sku: Annotated[str, typer.Option(help="The unique SKU.")],
    name: Annotated[str, typer.Option(help="The product's name.")],
    unit: Annotated[str, typer.Option(help="How stock is counted, e.g. 'pack of 3'.")],
    price: Annotated[str, typer.Option(help="A decimal amount, e.g. 19.95.")],
    currency: Annotated[str, typer.Option(help="ISO 4217, e.g. EUR.")],
    category: Annotated[str | None, typer.Option(help="A category id.")] = None,
    species: Annotated[list[str] | None, typer.Option(help="A species (repeatable).")] = None,
) -> None:
    """Create a product."""
    command = CreateProduct(
        actor=OPERATOR_ACTOR,
        sku=sku,
        name=name,
        unit=unit,
        price=_price(price, currency),
        category_id=None if category is None else _id(category, "the category"),
        species=tuple(species or ()),
    )
    product: Product = _on_bus(lambda bus: bus.execute(command))
    console.print(f"created product {product.sku} {product.product_id}")


@products_app.command("update")
@guarded
def products_update(
    product: ProductArgument,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    unit: Annotated[str | None, typer.Option(help="A new unit.")] = None,
    price: Annotated[str | None, typer.Option(help="A new price (with --currency).")] = None,
    currency: Annotated[str | None, typer.Option(help="The new price's currency.")] = None,
    category: Annotated[str | None, typer.Option(help="A category id; 'none' clears it.")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive", help="Sold or not.")] = None,
) -> None:
    """Change a product (publishes product.updated)."""
    if (price is None) != (currency is None):
        fail("--price and --currency go together", EXIT_USAGE)
    new_price = None if price is None or currency is None else _price(price, currency)
    category_id = (
        UNCHANGED
        if category is None
        else None
        if category.lower() == "none"
        else _id(category, "the category")
    )

    async def work(bus: MessageBus) -> Product:
        found = await _product(bus, product)
        updated: Product = await bus.execute(
            UpdateProduct(
                actor=OPERATOR_ACTOR,
                product_id=found.product_id,
                expected_version=found.version,
                name=name,
                unit=unit,
                price=new_price,
                category_id=category_id,
                active=active,
            )
        )
        return updated

    updated = _on_bus(work)
    console.print(f"updated product {updated.sku} to version {updated.version}")


# -- locations and stock ----------------------------------------------------------------------


@inventory_app.command("locations")
@guarded
def locations_list() -> None:
    """Stock locations: clinics (learned from clinic events) and warehouses."""
    found: list[Location] = _on_bus(lambda bus: bus.execute(ListLocations(actor=OPERATOR_ACTOR)))
    table = Table(title=f"{len(found)} locations")
    for column in ("name", "kind", "staff", "id"):
        table.add_column(column, overflow="fold" if column == "id" else "ellipsis")
    for location in found:
        table.add_row(
            location.name, location.kind.value, str(len(location.staff)), str(location.location_id)
        )
    console.print(table)


@inventory_app.command("warehouse")
@guarded
def warehouse_create(
    name: Annotated[str, typer.Argument(help="The warehouse's name.", show_default=False)],
) -> None:
    """Create a warehouse (a stock location)."""
    location: Location = _on_bus(
        lambda bus: bus.execute(CreateWarehouse(actor=OPERATOR_ACTOR, name=name))
    )
    console.print(f"created warehouse {location.name} {location.location_id}")


@inventory_app.command("stock")
@guarded
def stock_levels(location: LocationOption) -> None:
    """Stock levels at a location; the low ones (available + on order <= threshold) in red."""
    location_id = _id(location, "the location")

    async def work(bus: MessageBus) -> tuple[list[StockItem], dict[UUID, Product]]:
        items: list[StockItem] = await bus.execute(
            ListStock(actor=OPERATOR_ACTOR, location_id=location_id)
        )
        products = {
            i.product_id: await bus.execute(GetProduct(product_id=i.product_id)) for i in items
        }
        return items, products

    items, products = _on_bus(work)
    low = sum(1 for item in items if item.is_low)
    table = Table(title=f"Stock at {location_id}: {len(items)} products, {low} low")
    for column in (
        "sku",
        "name",
        "on hand",
        "reserved",
        "available",
        "on order",
        "threshold",
        "reorder",
    ):
        table.add_column(column, justify="right" if column not in ("sku", "name") else "left")
    for item in sorted(items, key=lambda i: products[i.product_id].sku):
        product = products[item.product_id]
        policy = item.policy
        table.add_row(
            product.sku,
            product.name,
            str(item.on_hand),
            str(item.reserved),
            str(item.available),
            str(item.on_order),
            "-" if policy is None else str(policy.threshold),
            "-" if policy is None else str(policy.reorder_quantity),
            style="bold red" if item.is_low else None,
        )
    console.print(table)


def _stock_line(verb: str, product: Product, item: StockItem) -> str:
    low = " [bold red](low)[/bold red]" if item.is_low else ""
    return (
        f"{verb} {product.sku}: {item.on_hand} on hand, {item.reserved} reserved, "
        f"{item.available} available, {item.on_order} on order{low}"
    )


@inventory_app.command("adjust")
@guarded
def adjust(
    product: ProductArgument,
    location: LocationOption,
    delta: Annotated[int, typer.Option(help="Units to add (positive) or take (negative).")],
    reason: Annotated[str, typer.Option(help="Why, e.g. stocktake, breakage.")],
) -> None:
    """Correct the count at a location, with a reason."""
    location_id = _id(location, "the location")

    async def work(bus: MessageBus) -> tuple[Product, StockItem]:
        found = await _product(bus, product)
        item: StockItem = await bus.execute(
            AdjustStock(
                actor=OPERATOR_ACTOR,
                product_id=found.product_id,
                location_id=location_id,
                delta=delta,
                reason=reason,
            )
        )
        return found, item

    console.print(_stock_line("adjusted", *_on_bus(work)))


@inventory_app.command("receive")
@guarded
def receive(
    product: ProductArgument,
    location: LocationOption,
    quantity: Annotated[int, typer.Option(help="Units that arrived.")],
    reference: Annotated[str | None, typer.Option(help="E.g. a delivery note.")] = None,
) -> None:
    """Receive units at a location (a receipt movement)."""
    location_id = _id(location, "the location")

    async def work(bus: MessageBus) -> tuple[Product, StockItem]:
        found = await _product(bus, product)
        item: StockItem = await bus.execute(
            ReceiveStock(
                actor=OPERATOR_ACTOR,
                product_id=found.product_id,
                location_id=location_id,
                quantity=quantity,
                reference=reference,
            )
        )
        return found, item

    console.print(_stock_line("received", *_on_bus(work)))


@inventory_app.command("reorder-policy")
@guarded
def reorder_policy(
    product: ProductArgument,
    location: LocationOption,
    threshold: Annotated[int, typer.Option(help="Low when available + on order <= this.")],
    reorder_quantity: Annotated[int, typer.Option(help="How much to reorder.")],
    needed_within_days: Annotated[
        int | None, typer.Option(help="The longest lead time accepted.")
    ] = None,
) -> None:
    """Set when a product is low at a location and how much to reorder then."""
    location_id = _id(location, "the location")

    async def work(bus: MessageBus) -> tuple[Product, StockItem]:
        found = await _product(bus, product)
        item: StockItem = await bus.execute(
            SetReorderPolicy(
                actor=OPERATOR_ACTOR,
                product_id=found.product_id,
                location_id=location_id,
                threshold=threshold,
                reorder_quantity=reorder_quantity,
                needed_within_days=needed_within_days,
            )
        )
        return found, item

    console.print(_stock_line("reorder policy set for", *_on_bus(work)))
