"""Messages the vendor context accepts. Queries are commands that change nothing; every
message carries the acting user (`Actor`), since what one may see depends on who asks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from uuid import UUID

from petpro_core.shared.actors import Actor
from petpro_core.shared.messagebus import Command
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import PageRequest
from petpro_core.vendor.domain.catalogue import CostInput

__all__ = [
    "UNSET",
    "AddSupplyItem",
    "AddVendorMember",
    "CancelPurchaseOrder",
    "ConfirmPurchaseOrder",
    "CostInput",
    "CreatePurchaseOrder",
    "CreateVendor",
    "DeliverPurchaseOrder",
    "GetCatalogueProduct",
    "GetPurchaseOrder",
    "GetVendor",
    "GetVendorInventoryStatus",
    "ListPurchaseOrders",
    "ListSupplyItems",
    "ListVendors",
    "RebuildInventoryStatus",
    "ShipPurchaseOrder",
    "Unset",
    "UpdateSupplyItem",
    "UpdateVendor",
]


class Unset(Enum):
    """Marks a field a partial update leaves alone (None means "clear it")."""

    UNSET = "unset"


UNSET = Unset.UNSET


def _given(command: object, names: tuple[str, ...]) -> Mapping[str, object]:
    return {name: getattr(command, name) for name in names if getattr(command, name) is not UNSET}


# -- vendors ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateVendor(Command):
    """Admins only."""

    actor: Actor
    name: str
    lead_time_days: int
    email: str | None = None
    phone: str | None = None
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class UpdateVendor(Command):
    """Partial; admins only. `active` False stops automatic orders from the vendor."""

    actor: Actor
    vendor_id: UUID
    name: str | Unset = UNSET
    email: str | Unset | None = UNSET
    phone: str | Unset | None = UNSET
    lead_time_days: int | Unset = UNSET
    active: bool | Unset = UNSET
    expected_version: int | None = None

    def changes(self) -> Mapping[str, object]:
        return _given(self, ("name", "email", "phone", "lead_time_days", "active"))


@dataclass(frozen=True, kw_only=True)
class AddVendorMember(Command):
    """Admins let a user act for a vendor; the user must hold the vendor role."""

    actor: Actor
    vendor_id: UUID
    user_id: UUID


@dataclass(frozen=True, kw_only=True)
class GetVendor(Command):
    actor: Actor
    vendor_id: UUID


@dataclass(frozen=True, kw_only=True)
class ListVendors(Command):
    """Admins and clinic staff see every vendor; a vendor's members see theirs."""

    actor: Actor
    page: PageRequest = field(default_factory=PageRequest)


# -- supply catalogue -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AddSupplyItem(Command):
    """Admins or the vendor's members. The product must be in the product catalogue."""

    actor: Actor
    vendor_id: UUID
    product_id: UUID
    vendor_sku: str
    unit_cost: Money | CostInput
    minimum_order: int = 1
    pack_size: int = 1


@dataclass(frozen=True, kw_only=True)
class UpdateSupplyItem(Command):
    actor: Actor
    vendor_id: UUID
    item_id: UUID
    vendor_sku: str | Unset = UNSET
    unit_cost: Money | CostInput | Unset = UNSET
    minimum_order: int | Unset = UNSET
    pack_size: int | Unset = UNSET
    active: bool | Unset = UNSET
    expected_version: int | None = None

    def changes(self) -> Mapping[str, object]:
        return _given(self, ("vendor_sku", "unit_cost", "minimum_order", "pack_size", "active"))


@dataclass(frozen=True, kw_only=True)
class ListSupplyItems(Command):
    actor: Actor
    vendor_id: UUID
    include_inactive: bool = False


@dataclass(frozen=True, kw_only=True)
class GetCatalogueProduct(Command):
    """A product as the vendor context knows it (from inventory's events)."""

    product_id: UUID


# -- purchase orders --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreatePurchaseOrder(Command):
    """A manual order (admins): `quantity` is rounded up to whole packs and the minimum
    order like an automatic one."""

    actor: Actor
    vendor_id: UUID
    product_id: UUID
    location_id: UUID
    quantity: int


@dataclass(frozen=True, kw_only=True)
class ConfirmPurchaseOrder(Command):
    """The vendor (or an admin) accepts the order, optionally promising another date."""

    actor: Actor
    purchase_order_id: UUID
    expected_on: date | None = None
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class ShipPurchaseOrder(Command):
    """A shipment of `quantity` units (None: every unit not shipped yet)."""

    actor: Actor
    purchase_order_id: UUID
    carrier: str
    tracking_number: str
    expected_delivery_on: date
    quantity: int | None = None
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class DeliverPurchaseOrder(Command):
    """`quantity` units arrived in this delivery (a part is fine; more than outstanding is
    refused). Repeating a `delivery_id` changes nothing. Admins, the vendor's members and
    clinic staff (the goods arrive at their clinic)."""

    actor: Actor
    purchase_order_id: UUID
    quantity: int
    delivery_id: UUID | None = None
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class CancelPurchaseOrder(Command):
    actor: Actor
    purchase_order_id: UUID
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class GetPurchaseOrder(Command):
    actor: Actor
    purchase_order_id: UUID


@dataclass(frozen=True, kw_only=True)
class ListPurchaseOrders(Command):
    """A vendor's members see only their vendor's orders, whatever the filter says."""

    actor: Actor
    vendor_id: UUID | None = None
    status: str | None = None
    product_id: UUID | None = None
    location_id: UUID | None = None
    page: PageRequest = field(default_factory=PageRequest)


# -- inventory status -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class GetVendorInventoryStatus(Command):
    """The stock of every product the vendor supplies, per location."""

    actor: Actor
    vendor_id: UUID


@dataclass(frozen=True, kw_only=True)
class RebuildInventoryStatus(Command):
    """Admins: clear the status view and fold the retained stock events into it again.
    Answers the number of rows rebuilt."""

    actor: Actor
