"""The fake gateway's promises: idempotent per key, refunds bounded by the charge, and a
charge taken by one process refundable by another (its reference carries the amount)."""

from __future__ import annotations

import pytest

from adapters.payments.fake_gateway import FakePaymentGateway
from petpro_core.shared.money import Money
from petpro_core.shared.payments import PaymentGatewayUnavailable

YEN = Money.of("6600", "JPY")


async def test_a_repeated_charge_moves_no_money_and_a_timeout_is_charged_once() -> None:
    gateway = FakePaymentGateway()
    first = await gateway.charge(idempotency_key="k", token="tok_visa", amount=YEN, description="d")
    again = await gateway.charge(idempotency_key="k", token="tok_visa", amount=YEN, description="d")
    assert first == again and first.succeeded and len(gateway.charges) == 1
    with pytest.raises(PaymentGatewayUnavailable):
        await gateway.charge(
            idempotency_key="t", token="tok_timeout_after_charge", amount=YEN, description="d"
        )
    retried = await gateway.charge(
        idempotency_key="t", token="tok_timeout_after_charge", amount=YEN, description="d"
    )
    assert retried.succeeded and len(gateway.charges) == 2


async def test_another_process_refunds_a_charge_up_to_its_amount() -> None:
    charging, refunding = FakePaymentGateway(), FakePaymentGateway()
    charge = await charging.charge(
        idempotency_key="booking:1:charge", token="tok_visa", amount=YEN, description="d"
    )
    assert charge.reference is not None
    half = Money.of("3300", "JPY")
    await refunding.refund(idempotency_key="r1", charge_reference=charge.reference, amount=half)
    await refunding.refund(idempotency_key="r2", charge_reference=charge.reference, amount=half)
    with pytest.raises(ValueError, match="exceeds"):
        await refunding.refund(
            idempotency_key="r3", charge_reference=charge.reference, amount=Money.of("1", "JPY")
        )
    with pytest.raises(ValueError, match="no charge"):
        await refunding.refund(idempotency_key="r4", charge_reference="ch_bogus", amount=half)
    assert refunding.total_refunded() == YEN.amount and refunding.total_charged() == 0
