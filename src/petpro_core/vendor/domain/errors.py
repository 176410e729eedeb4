"""Errors of the vendor context, each a branch of the shared PetProError tree."""

from __future__ import annotations

from petpro_core.shared.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    RuleViolated,
)


class VendorNotFound(NotFound):
    code = "vendor-not-found"
    title = "Vendor not found"


class SupplyItemNotFound(NotFound):
    code = "supply-item-not-found"
    title = "Supply catalogue item not found"


class ProductNotFound(NotFound):
    """The product is not in the vendor context's product catalogue (inventory has not
    published it, or it is not known yet)."""

    code = "product-not-found"
    title = "Product not found"


class PurchaseOrderNotFound(NotFound):
    code = "purchase-order-not-found"
    title = "Purchase order not found"


class VendorUserNotFound(NotFound):
    code = "user-not-found"
    title = "User not found"


class AdminOnly(PermissionDenied):
    code = "admin-only"
    title = "Only an administrator may do this"


class NotVendorMember(PermissionDenied):
    code = "not-vendor-member"
    title = "Not acting for this vendor"


class RoleNotHeld(RuleViolated):
    """A user acts for a vendor only when their account holds the vendor role."""

    code = "role-not-held"
    title = "The user does not hold that role"


class SupplyItemTaken(Conflict):
    """The vendor already supplies the product, or already uses the vendor SKU."""

    code = "supply-item-exists"
    title = "The vendor already lists this product or SKU"


class OpenOrderExists(Conflict):
    """One open purchase order per product and location at a time."""

    code = "open-order-exists"
    title = "An open purchase order exists for this product and location"


class InvalidTransition(Conflict):
    code = "invalid-transition"
    title = "Not possible in the order's current status"


class OverDelivery(RuleViolated):
    code = "over-delivery"
    title = "More units than were ordered"


class ConcurrentVendorUpdate(Conflict):
    code = "concurrent-update"
    title = "The record was changed by someone else; retry"
