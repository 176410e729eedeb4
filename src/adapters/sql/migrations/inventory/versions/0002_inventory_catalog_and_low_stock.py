"""inventory: categories, stock locations, reorder policy and the low-stock flag on stock
items, and incoming purchase orders

Revision ID: 0002_inventory_catalog_and_low_stock
Revises: 0001_inventory_initial
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0002_inventory_catalog_and_low_stock"
down_revision: str | None = "0001_inventory_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "inventory"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
