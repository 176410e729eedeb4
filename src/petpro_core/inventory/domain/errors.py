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
