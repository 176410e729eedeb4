"""The catalogue on memory, through the bus: the category tree, products (update with
optimistic versions, filtered and paginated lists), stock locations and who manages
stock where."""

from __future__ import annotations

from typing import Any

import pytest

from petpro_core.contracts.inventory import ProductCreated, ProductUpdated
from petpro_core.inventory.commands import (
    UNCHANGED,
    AdjustStock,
    CreateCategory,
    CreateWarehouse,
    GetStockLedger,
    ListCategories,
    ListLocations,
    ListProducts,
    ListStock,
    SetReorderPolicy,
    UpdateCategory,
    UpdateProduct,
)
from petpro_core.inventory.domain.categories import Category
from petpro_core.inventory.domain.errors import (
    CategoryCycle,
    CategoryNameTaken,
    CategoryNotFound,
    LocationNotFound,
    StaleProduct,
)
from petpro_core.inventory.domain.locations import LocationKind
from petpro_core.inventory.domain.products import Product
from petpro_core.shared.actors import OPERATOR_ACTOR
from petpro_core.shared.errors import PermissionDenied
from petpro_core.shared.ids import new_id
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import Page, PageRequest
from tests.support.inventory import (
    ADMIN,
    CLINIC,
    OTHER_CLINIC,
    OTHER_STAFF,
    OWNER,
    STAFF,
    WAREHOUSE,
    InventoryHarness,
)


@pytest.fixture
def inventory() -> InventoryHarness:
    return InventoryHarness()


async def category(
    inventory: InventoryHarness, name: str, parent: Category | None = None
) -> Category:
    created: Category = await inventory.bus.execute(
        CreateCategory(actor=ADMIN, name=name, parent_id=parent and parent.category_id)
    )
    return created


# -- categories -------------------------------------------------------------------------------


async def test_categories_form_a_tree_with_names_unique_among_siblings(
    inventory: InventoryHarness,
) -> None:
    food = await category(inventory, "Food")
    dry = await category(inventory, "  Dry   food ", food)
    await category(inventory, "Dry food")  # a top-level one of the same name: fine

    assert dry.name == "Dry food" and dry.parent_id == food.category_id
    with pytest.raises(CategoryNameTaken):
        await category(inventory, "DRY FOOD", food)
    with pytest.raises(CategoryNotFound):
        await inventory.bus.execute(CreateCategory(actor=ADMIN, name="x", parent_id=new_id()))
    with pytest.raises(PermissionDenied):
        await inventory.bus.execute(CreateCategory(actor=STAFF, name="x"))

    listed = await inventory.bus.execute(ListCategories())
    # By name; the two "Dry food" (ids are random) in either order.
    assert [c.name for c in listed] == ["Dry food", "Dry food", "Food"]
    assert {(c.name, c.parent_id) for c in listed} == {
        ("Dry food", None),
        ("Dry food", food.category_id),
        ("Food", None),
    }


async def test_categories_are_renamed_and_moved_but_never_under_themselves(
    inventory: InventoryHarness,
) -> None:
    a = await category(inventory, "A")
    b = await category(inventory, "B", a)
    c = await category(inventory, "C", b)

    with pytest.raises(CategoryCycle):
        await inventory.bus.execute(
            UpdateCategory(actor=ADMIN, category_id=a.category_id, parent_id=c.category_id)
        )
    with pytest.raises(CategoryCycle):
        await inventory.bus.execute(
            UpdateCategory(actor=ADMIN, category_id=a.category_id, parent_id=a.category_id)
        )

    moved = await inventory.bus.execute(
        UpdateCategory(actor=ADMIN, category_id=c.category_id, parent_id=None, name="C2")
    )
    assert (moved.name, moved.parent_id, moved.version) == ("C2", None, 2)
    renamed = await inventory.bus.execute(
        UpdateCategory(actor=ADMIN, category_id=b.category_id, name="Bee")
    )
    assert (renamed.name, renamed.parent_id) == ("Bee", a.category_id)
    await category(inventory, "C2", a)
    with pytest.raises(CategoryNameTaken):  # C2 moving under A meets its namesake
        await inventory.bus.execute(
            UpdateCategory(actor=ADMIN, category_id=c.category_id, parent_id=a.category_id)
        )
    with pytest.raises(PermissionDenied):
        await inventory.bus.execute(
            UpdateCategory(actor=STAFF, category_id=a.category_id, name="Z")
        )


# -- products ---------------------------------------------------------------------------------


async def test_a_product_needs_an_existing_category_and_publishes_product_created(
    inventory: InventoryHarness,
) -> None:
    food = await category(inventory, "Food")
    product = await inventory.product("FOOD-1", category_id=food.category_id)

    [created] = inventory.events(ProductCreated)
    assert (created.product_id, created.category_id) == (product.product_id, food.category_id)
    with pytest.raises(CategoryNotFound):
        await inventory.product("FOOD-2", category_id=new_id())


async def test_updating_a_product_publishes_product_updated_one_version_on(
    inventory: InventoryHarness,
) -> None:
    food = await category(inventory, "Food")
    product = await inventory.product("FOOD-1", species=("cat",))

    updated: Product = await inventory.bus.execute(
        UpdateProduct(
            actor=ADMIN,
            product_id=product.product_id,
            expected_version=1,
            name="Kibble",
            price=Money.of("12.50", "EUR"),
            category_id=food.category_id,
            active=False,
        )
    )

    assert (updated.name, updated.unit, updated.species, updated.active) == (
        "Kibble",
        "box",
        ("cat",),
        False,
    )
    assert (updated.category_id, updated.version) == (food.category_id, 2)
    [event] = inventory.events(ProductUpdated)
    assert (event.aggregate_version, event.name, event.active, event.price) == (
        2,
        "Kibble",
        False,
        Money.of("12.50", "EUR"),
    )
    with pytest.raises(StaleProduct):
        await inventory.bus.execute(
            UpdateProduct(actor=ADMIN, product_id=product.product_id, expected_version=1, name="X")
        )
    cleared = await inventory.bus.execute(
        UpdateProduct(actor=ADMIN, product_id=product.product_id, category_id=None)
    )
    assert cleared.category_id is None and cleared.version == 3
    kept = await inventory.bus.execute(
        UpdateProduct(actor=ADMIN, product_id=product.product_id, category_id=UNCHANGED, unit="bag")
    )
    assert (kept.unit, kept.category_id) == ("bag", None)
    with pytest.raises(PermissionDenied):
        await inventory.bus.execute(
            UpdateProduct(actor=STAFF, product_id=product.product_id, name="Y")
        )


async def test_products_are_listed_by_filters_and_pages(inventory: InventoryHarness) -> None:
    food = await category(inventory, "Food")
    dry = await category(inventory, "Dry", food)
    toys = await category(inventory, "Toys")
    await inventory.product(
        "KIBBLE-CAT", name="Cat kibble", species=("cat",), category_id=dry.category_id
    )
    await inventory.product(
        "KIBBLE-DOG", name="Dog kibble", species=("dog",), category_id=dry.category_id
    )
    wet = await inventory.product("WET-ANY", name="Wet food", category_id=food.category_id)
    await inventory.product("BALL", name="Ball", species=("dog",), category_id=toys.category_id)
    await inventory.bus.execute(UpdateProduct(actor=ADMIN, product_id=wet.product_id, active=False))

    async def skus(**filters: Any) -> list[str]:
        page: Page[Product] = await inventory.bus.execute(ListProducts(**filters))
        return [p.sku for p in page.items]

    assert await skus() == ["BALL", "KIBBLE-CAT", "KIBBLE-DOG", "WET-ANY"]
    assert await skus(category_id=food.category_id) == ["KIBBLE-CAT", "KIBBLE-DOG", "WET-ANY"]
    assert await skus(category_id=dry.category_id) == ["KIBBLE-CAT", "KIBBLE-DOG"]
    assert await skus(species="Cat") == ["KIBBLE-CAT", "WET-ANY"]  # any-species items too
    assert await skus(active=True, species="dog") == ["BALL", "KIBBLE-DOG"]
    assert await skus(text="KIBBLE") == ["KIBBLE-CAT", "KIBBLE-DOG"]
    assert await skus(text="wet") == ["WET-ANY"]
    page = await inventory.bus.execute(ListProducts(page=PageRequest(limit=2, offset=1)))
    assert ([p.sku for p in page.items], page.total) == (["KIBBLE-CAT", "KIBBLE-DOG"], 4)
    with pytest.raises(CategoryNotFound):
        await skus(category_id=new_id())


# -- locations and who manages stock where ----------------------------------------------------


async def test_admins_create_warehouses_and_stock_managers_list_locations(
    inventory: InventoryHarness,
) -> None:
    depot = await inventory.bus.execute(CreateWarehouse(actor=ADMIN, name=" North depot "))
    with pytest.raises(PermissionDenied):
        await inventory.bus.execute(CreateWarehouse(actor=STAFF, name="Mine"))

    locations = await inventory.bus.execute(ListLocations(actor=STAFF))
    assert [(loc.name, loc.kind) for loc in locations] == [
        ("Clinic", LocationKind.CLINIC),
        ("North depot", LocationKind.WAREHOUSE),
        ("Other clinic", LocationKind.CLINIC),
        ("Warehouse", LocationKind.WAREHOUSE),
    ]
    assert depot.location_id in {loc.location_id for loc in locations}
    with pytest.raises(PermissionDenied):
        await inventory.bus.execute(ListLocations(actor=OWNER))


async def test_clinic_staff_manage_stock_only_at_their_clinics(inventory: InventoryHarness) -> None:
    product = await inventory.product()

    def adjust(actor: Any, at: Any) -> AdjustStock:
        return AdjustStock(
            actor=actor, product_id=product.product_id, location_id=at, delta=3, reason="count"
        )

    await inventory.bus.execute(adjust(STAFF, CLINIC))
    await inventory.bus.execute(adjust(OTHER_STAFF, OTHER_CLINIC))
    await inventory.bus.execute(adjust(ADMIN, WAREHOUSE))
    for actor, at in ((STAFF, OTHER_CLINIC), (STAFF, WAREHOUSE), (OWNER, CLINIC)):
        with pytest.raises(PermissionDenied):
            await inventory.bus.execute(adjust(actor, at))
        with pytest.raises(PermissionDenied):
            await inventory.bus.execute(ListStock(actor=actor, location_id=at))
    with pytest.raises(PermissionDenied):
        await inventory.bus.execute(
            SetReorderPolicy(
                actor=STAFF,
                product_id=product.product_id,
                location_id=OTHER_CLINIC,
                threshold=1,
                reorder_quantity=1,
            )
        )
    unknown = new_id()
    for actor in (ADMIN, STAFF):
        with pytest.raises(LocationNotFound):
            await inventory.bus.execute(adjust(actor, unknown))
        with pytest.raises(LocationNotFound):
            await inventory.bus.execute(ListStock(actor=actor, location_id=unknown))
    # The console operator may stock a clinic the inventory has not heard of yet.
    await inventory.bus.execute(adjust(OPERATOR_ACTOR, unknown))

    ledger = await inventory.bus.execute(
        GetStockLedger(actor=STAFF, product_id=product.product_id, location_id=CLINIC)
    )
    assert ledger.item.on_hand == 3
    assert [(m.kind.value, m.on_hand_delta, m.reason) for m in ledger.movements] == [
        ("adjustment", 3, "count")
    ]
    assert [
        i.on_hand for i in await inventory.bus.execute(ListStock(actor=STAFF, location_id=CLINIC))
    ] == [3]
