"""Errors of the inventory context, each a branch of the shared PetProError tree."""

from __future__ import annotations

from petpro_core.shared.errors import Conflict, NotFound, RuleViolated


class SkuAlreadyUsed(Conflict):
    code = "sku-taken"
    title = "SKU already used"


class ProductNotFound(NotFound):
    code = "product-not-found"
    title = "Product not found"


class StockNotFound(NotFound):
    """The product has never been stocked at the location."""

    code = "stock-not-found"
    title = "No stock at this location"


class ReservationNotFound(NotFound):
    code = "reservation-not-found"
    title = "Reservation not found"


class InsufficientStock(RuleViolated):
    """A change would take stock below zero or below what is reserved."""

    code = "insufficient-stock"
    title = "Not enough stock"


class ReservationNotHeld(RuleViolated):
    """The reservation was released, expired or failed: it cannot be fulfilled."""

    code = "reservation-not-held"
    title = "Reservation not held"


class StaleProduct(Conflict):
    """The product changed since the version the caller read (optimistic concurrency)."""

    code = "product-changed"
    title = "Product changed meanwhile"


class CategoryNotFound(NotFound):
    code = "category-not-found"
    title = "Category not found"


class CategoryNameTaken(Conflict):
    """Another category under the same parent has this name (case-insensitive)."""

    code = "category-name-taken"
    title = "Category name already used here"


class CategoryCycle(RuleViolated):
    """Moving the category under itself or one of its descendants."""

    code = "category-cycle"
    title = "Category cannot contain itself"


class LocationNotFound(NotFound):
    """Neither a clinic the inventory has learned of nor a warehouse."""

    code = "location-not-found"
    title = "Stock location not found"
