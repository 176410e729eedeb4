"""Vendor context: vendors, supply catalogue, purchase orders and shipments.

Built by its own issue; the package exists so the architecture contracts cover it."""
