"""A deterministic fake payment gateway: the outcome depends on the token only.

| token                      | charge                                                          |
|----------------------------|-----------------------------------------------------------------|
| `tok_declined`             | declined, "card declined"                                       |
| `tok_insufficient_funds`   | declined, "insufficient funds"                                  |
| `tok_timeout_after_charge` | the first call per key charges, then times out                  |
|                            | (PaymentGatewayUnavailable); a retry answers the recorded charge |
| `tok_transient`            | the first call per key fails (PaymentGatewayUnavailable) without |
|                            | charging; the next succeeds                                     |
| any other `tok_…`          | succeeds, method "card"                                         |
| anything else              | declined, "invalid payment token"                               |

Like a real gateway it is idempotent per key: a repeat of a charge or a refund answers the
first outcome and moves no money. A refund never exceeds what is left of its charge. The
ledger (`charges`, `refunds`, `net_charged`, the totals) is what tests assert on. A lock
guards the ledger (no awaits inside), so concurrent requests — tasks or threads — see one
consistent history.

The ledger lives in the process, but several processes share the work (`petpro serve
--workers 2`, `petpro worker`, the CLI), so references are derived from the idempotency key
and carry the charged amount (`ch_<digest>_6600_JPY`): a process asked to refund a charge
another process took accepts it, up to that amount. (Only a real provider knows across
processes what is left of a charge; this fake checks it per process.)
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from petpro_core.shared.money import Money
from petpro_core.shared.payments import ChargeOutcome, PaymentGatewayUnavailable, RefundOutcome

DECLINES = {
    "tok_declined": "card declined",
    "tok_insufficient_funds": "insufficient funds",
}
TIMEOUT_AFTER_CHARGE = "tok_timeout_after_charge"
TRANSIENT = "tok_transient"


@dataclass(frozen=True, kw_only=True)
class Charge:
    reference: str
    idempotency_key: str
    token: str
    amount: Money
    description: str


@dataclass(frozen=True, kw_only=True)
class Refund:
    reference: str
    idempotency_key: str
    charge_reference: str
    amount: Money


class FakePaymentGateway:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.charges: list[Charge] = []  # money taken, in order
        self.refunds: list[Refund] = []  # money given back, in order
        self.declines: list[str] = []  # idempotency keys declined
        self.calls = {"charge": 0, "refund": 0}
        # Keyed outcomes: a repeat answers these.
        self._charge_outcomes: dict[str, ChargeOutcome] = {}
        self._refund_outcomes: dict[str, RefundOutcome] = {}
        self._adopted: dict[str, Charge] = {}  # charges other processes took (see module)
        self._failed_once: set[str] = set()
        self._timed_out_once: set[str] = set()
        # Simulated outages: while set, every call fails before touching the ledger.
        self.charges_unavailable = False
        self.refunds_unavailable = False

    async def charge(
        self, *, idempotency_key: str, token: str, amount: Money, description: str
    ) -> ChargeOutcome:
        with self._lock:
            self.calls["charge"] += 1
            if self.charges_unavailable:
                raise PaymentGatewayUnavailable("payment gateway unavailable (simulated outage)")
            if amount.amount <= 0:
                raise ValueError("a charge is positive")
            known = self._charge_outcomes.get(idempotency_key)
            if known is not None:
                return known
            if token == TRANSIENT and idempotency_key not in self._failed_once:
                self._failed_once.add(idempotency_key)
                raise PaymentGatewayUnavailable("payment gateway timed out (nothing charged)")
            outcome = self._decide(idempotency_key, token, amount, description)
            self._charge_outcomes[idempotency_key] = outcome
            if token == TIMEOUT_AFTER_CHARGE and idempotency_key not in self._timed_out_once:
                self._timed_out_once.add(idempotency_key)
                raise PaymentGatewayUnavailable("payment gateway timed out (after charging)")
            return outcome

    def _decide(
        self, idempotency_key: str, token: str, amount: Money, description: str
    ) -> ChargeOutcome:
        reason = DECLINES.get(token)
        if reason is None and not token.startswith("tok_"):
            reason = "invalid payment token"
        if reason is not None:
            self.declines.append(idempotency_key)
            return ChargeOutcome(succeeded=False, decline_reason=reason)
        reference = f"ch_{_digest(idempotency_key)}_{amount.amount}_{amount.currency}"
        self.charges.append(
            Charge(
                reference=reference,
                idempotency_key=idempotency_key,
                token=token,
                amount=amount,
                description=description,
            )
        )
        return ChargeOutcome(succeeded=True, reference=reference, method="card")

    async def refund(
        self, *, idempotency_key: str, charge_reference: str, amount: Money
    ) -> RefundOutcome:
        with self._lock:
            self.calls["refund"] += 1
            if self.refunds_unavailable:
                raise PaymentGatewayUnavailable("payment gateway unavailable (simulated outage)")
            known = self._refund_outcomes.get(idempotency_key)
            if known is not None:
                return known
            charge = self._charge(charge_reference)
            if amount.amount <= 0:
                raise ValueError("a refund is positive")
            if amount.amount > self._net(charge).amount:
                raise ValueError(
                    f"refund of {amount} exceeds what is left of charge {charge_reference}"
                )
            outcome = RefundOutcome(reference=f"re_{_digest(idempotency_key)}", amount=amount)
            self.refunds.append(
                Refund(
                    reference=outcome.reference,
                    idempotency_key=idempotency_key,
                    charge_reference=charge_reference,
                    amount=amount,
                )
            )
            self._refund_outcomes[idempotency_key] = outcome
            return outcome

    # -- the ledger ------------------------------------------------------------------------

    def _charge(self, reference: str) -> Charge:
        for charge in self.charges:
            if charge.reference == reference:
                return charge
        return self._charged_elsewhere(reference)

    def _charged_elsewhere(self, reference: str) -> Charge:
        """A charge another process took, known by its reference alone."""
        adopted = self._adopted.get(reference)
        if adopted is not None:
            return adopted
        prefix, _, rest = reference.partition("_")
        digest, _, money = rest.partition("_")
        amount, _, currency = money.partition("_")
        try:
            charged = Money.of(amount, currency)
        except (ValueError, InvalidOperation):
            raise ValueError(f"no charge {reference!r}") from None
        if prefix != "ch" or not digest or charged.amount <= 0:
            raise ValueError(f"no charge {reference!r}")
        adopted = Charge(
            reference=reference,
            idempotency_key="",
            token="",
            amount=charged,
            description="charged by another process",
        )
        self._adopted[reference] = adopted
        return adopted

    def _net(self, charge: Charge) -> Money:
        refunded = sum(
            (r.amount.amount for r in self.refunds if r.charge_reference == charge.reference),
            Decimal(0),
        )
        return Money(charge.amount.amount - refunded, charge.amount.currency)

    def net_charged(self, reference: str) -> Money:
        """What a charge (by its reference) still holds after its refunds."""
        with self._lock:
            return self._net(self._charge(reference))

    def charges_for(self, description: str) -> list[Charge]:
        """The charges whose description is `description` (e.g. one booking's)."""
        with self._lock:
            return [charge for charge in self.charges if charge.description == description]

    def refunds_of(self, reference: str) -> list[Refund]:
        with self._lock:
            return [r for r in self.refunds if r.charge_reference == reference]

    def total_charged(self) -> Decimal:
        with self._lock:
            return sum((charge.amount.amount for charge in self.charges), Decimal(0))

    def total_refunded(self) -> Decimal:
        with self._lock:
            return sum((refund.amount.amount for refund in self.refunds), Decimal(0))


def _digest(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
