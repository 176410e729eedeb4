"""The inventory context's domain: products, stock items and their ledger, reservations."""
