"""Inventory context: products, stock ledger, reservations, customer orders.

Built by its own issue; the package exists so the architecture contracts cover it."""
