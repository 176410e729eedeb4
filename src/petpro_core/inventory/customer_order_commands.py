"""Messages of the shop's customer orders (inventory context). Queries are commands that
change nothing. See `customer_orders.py` for the handlers and `domain/customer_orders.py`
for the life cycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from petpro_core.inventory.domain.customer_orders import CustomerOrderStatus, RequestedLine
from petpro_core.shared.actors import Actor
from petpro_core.shared.messagebus import Command
from petpro_core.shared.pagination import PageRequest

__all__ = [
    "AdvancePendingCustomerOrders",
    "CancelCustomerOrder",
    "ExpireUncollectedOrders",
    "FulfilCustomerOrder",
    "GetCustomerOrder",
    "ListCustomerOrders",
    "PlaceCustomerOrder",
    "RequestedLine",
]


@dataclass(frozen=True, kw_only=True)
class PlaceCustomerOrder(Command):
    """Reserve every line at the location and charge the customer. The caller chooses the
    order id, so a retry finds the same order (and answers it as it stands now).

    Answers the order placed (paid, reserved) or pending_payment (the gateway did not
    answer; recovery retries with the same idempotency key). Raises OutOfStock (409),
    PaymentDeclined (402) for a failed order, InvalidInput for bad lines or products."""

    actor: Actor
    customer_order_id: UUID
    location_id: UUID
    lines: tuple[RequestedLine, ...]
    payment_token: str


@dataclass(frozen=True, kw_only=True)
class GetCustomerOrder(Command):
    """The customer's own order; the location's staff and admins see every order."""

    actor: Actor
    customer_order_id: UUID


@dataclass(frozen=True, kw_only=True)
class ListCustomerOrders(Command):
    """The actor's own orders (newest first), or with `location_id` every order at that
    location (staff and admins). Answers a Page."""

    actor: Actor
    location_id: UUID | None = None
    status: CustomerOrderStatus | None = None
    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True, kw_only=True)
class FulfilCustomerOrder(Command):
    """The customer collected the goods (staff or admin): the reserved units leave as a
    sale. Fulfilling a fulfilled order answers it unchanged."""

    actor: Actor
    customer_order_id: UUID


@dataclass(frozen=True, kw_only=True)
class CancelCustomerOrder(Command):
    """By the customer before pick-up, or by staff/admin: release and refund the whole
    amount. Cancelling a cancelled order answers it unchanged."""

    actor: Actor
    customer_order_id: UUID
    reason: str = "cancelled"


@dataclass(frozen=True, kw_only=True)
class AdvancePendingCustomerOrders(Command):
    """Recovery: retry the unresolved charges (same idempotency key) and owed refunds due by
    `now`; give up pending orders past their payment deadline. Answers how many it
    advanced."""

    now: datetime
    limit: int = 100


@dataclass(frozen=True, kw_only=True)
class ExpireUncollectedOrders(Command):
    """Cancel (by "system", full refund) placed orders whose pick-up deadline is at or
    before `now`. Answers how many."""

    now: datetime
    limit: int = 100
