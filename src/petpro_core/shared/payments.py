"""Taking payments: the PaymentGateway port, shared by every context that charges a customer
(the booking saga, the shop's customer orders). Idempotency keys make every call safe to
repeat; each context derives its keys from its own aggregate (`booking:<id>:charge`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from petpro_core.shared.money import Money

__all__ = ["ChargeOutcome", "PaymentGateway", "PaymentGatewayUnavailable", "RefundOutcome"]


@dataclass(frozen=True, kw_only=True)
class ChargeOutcome:
    succeeded: bool
    reference: str | None = None  # the gateway's charge id, when it succeeded
    method: str | None = None  # the payment method kind (contracts.booking.PAYMENT_METHOD_KINDS)
    decline_reason: str | None = None  # e.g. "card declined", "insufficient funds"


@dataclass(frozen=True, kw_only=True)
class RefundOutcome:
    reference: str  # the gateway's refund id
    amount: Money


class PaymentGatewayUnavailable(Exception):
    """A transient failure (timeout, 5xx): the call may or may not have happened, so retry
    it with the same idempotency key."""


class PaymentGateway(Protocol):
    async def charge(
        self, *, idempotency_key: str, token: str, amount: Money, description: str
    ) -> ChargeOutcome:
        """Charge once per idempotency key: a repeat answers the first outcome."""
        ...

    async def refund(
        self, *, idempotency_key: str, charge_reference: str, amount: Money
    ) -> RefundOutcome:
        """Refund once per idempotency key."""
        ...
