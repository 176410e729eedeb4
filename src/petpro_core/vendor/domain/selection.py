"""Choosing the vendor to reorder from.

Among the active vendors with an active supply item for the product, those whose lead
time fits the location's `needed_within_days` (None: any) are candidates; the cheapest
total cost for the quantity each would ship wins (ties: the shorter lead time, then the
name). When none can deliver in time, the fastest one is chosen (ties: cost, then name)
and the choice says so. No offer at all: no choice, and the reason why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from petpro_core.vendor.domain.catalogue import SupplyItem
from petpro_core.vendor.domain.vendors import Vendor


@dataclass(frozen=True, kw_only=True)
class Offer:
    vendor: Vendor
    item: SupplyItem


@dataclass(frozen=True, kw_only=True)
class VendorChoice:
    vendor: Vendor
    item: SupplyItem
    quantity: int
    note: str | None  # set when the choice is a fallback


@dataclass(frozen=True, kw_only=True)
class NoVendor:
    reason: str


def choose_vendor(
    offers: Sequence[Offer], reorder_quantity: int, needed_within_days: int | None
) -> VendorChoice | NoVendor:
    usable = [o for o in offers if o.vendor.active and o.item.active]
    if not usable:
        return NoVendor(reason="no active vendor supplies this product")

    def quantity(offer: Offer) -> int:
        return offer.item.order_quantity(reorder_quantity)

    def cost_key(offer: Offer) -> tuple[object, ...]:
        cost = offer.item.cost_of(quantity(offer))
        return (cost.currency, cost.amount, offer.vendor.lead_time_days, offer.vendor.name)

    in_time = [
        o
        for o in usable
        if needed_within_days is None or o.vendor.lead_time_days <= needed_within_days
    ]
    if in_time:
        best = min(in_time, key=cost_key)
        return VendorChoice(vendor=best.vendor, item=best.item, quantity=quantity(best), note=None)

    def speed_key(offer: Offer) -> tuple[object, ...]:
        cost = offer.item.cost_of(quantity(offer))
        return (offer.vendor.lead_time_days, cost.currency, cost.amount, offer.vendor.name)

    fastest = min(usable, key=speed_key)
    note = (
        f"no vendor can deliver within {needed_within_days} day(s); chose the fastest, "
        f"{fastest.vendor.name} ({fastest.vendor.lead_time_days} day(s))"
    )
    return VendorChoice(
        vendor=fastest.vendor, item=fastest.item, quantity=quantity(fastest), note=note
    )
