"""The examples run as documented and print what the README promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_auth_quickstart(tmp_path: Path) -> None:
    output = run_example("auth_quickstart.py", tmp_path)
    assert "registered ann@example.com" in output
    assert "petpro.pet.updated.v2" in output


def test_the_event_backbone_example(tmp_path: Path) -> None:
    output = run_example("event_backbone.py", tmp_path)
    assert "relay crashes: ['relay.after_publish']" in output
    assert "booking's cache: 'Rex IV' at version 4" in output
    assert "booking's inbox: 4 events, each handled once" in output


def test_the_booking_example(tmp_path: Path) -> None:
    output = run_example("book_an_appointment.py", tmp_path)
    milestones = [
        "Flea treatment for cats: on hand 10, reserved 0, available 10",
        "12 free slots: 09:00, 09:30, 10:00, 10:30",
        ": confirmed for Wed 04 Mar 09:00",
        "the gateway's ledger: 1 charge of 6600 JPY (ch_",
        "stock: on hand 10, reserved 1, available 9",
        "refused: slot-unavailable",
        "failed at Wed 04 Mar 10:00: payment-declined (card declined)",
        "the slot is still free: True",
        "with another card: confirmed for Wed 04 Mar 10:00",
        "now Thu 05 Mar 10:00; Wednesday 09:00 is free again: True",
        "cancelled by the owner: refund 3300 JPY of 6600 JPY",
        "charged 13200 JPY, refunded 3300 JPY",
        "stock: on hand 10, reserved 0, available 10",
        "Shibuya Animal Clinic, Wednesday 2026-03-04 (Asia/Tokyo)",
        "1 x petpro.booking.cancelled.v1",
        "1 x petpro.payment.refunded.v1",
    ]
    position = 0
    for milestone in milestones:  # each one, in this order
        found = output.find(milestone, position)
        assert found >= 0, f"{milestone!r} missing after position {position}:\n{output}"
        position = found + len(milestone)


def test_the_restock_example(tmp_path: Path) -> None:
    output = run_example("restock_flow.py", tmp_path)
    milestones = [
        "stock: on hand 6, reserved 1, available 5, on order 0, threshold 5, low True",
        "inventory published stock.low: available 5 + on order 0 <= threshold 5, reorder 20",
        "purchase order FLEA-CAT-S x 24 from Acme Pet Supply (ACME-FLEA), 60.00 EUR",
        "Cheapo Wholesale: 14 days: too slow",
        "the decision, as recorded: ordered:",
        "on hand 6, reserved 1, available 5, on order 24, threshold 5, low False",
        "shipped: 24 units with DHL, tracking JD014600003828",
        "partially_delivered: 10 of 24 delivered; stock.received 10; stock: on hand 16",
        "delivered: 24 of 24 delivered; stock.received 14; stock: on hand 30",
        "ledger receipts for the order: [10, 14]",
        "Acme Pet Supply | FLEA-CAT-S (ACME-FLEA) | on hand 30, reserved 1, available 29, "
        "threshold 5, needs_reorder False, open order None",
        "purchase orders: 1; stock: on hand 30, reserved 1, available 29, on order 0",
    ]
    position = 0
    for milestone in milestones:  # each one, in this order
        found = output.find(milestone, position)
        assert found >= 0, f"{milestone!r} missing after position {position}:\n{output}"
        position = found + len(milestone)
