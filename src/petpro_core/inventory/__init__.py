"""Inventory context: products, stock per location, its ledger, and reservations.

So far: the product catalogue (create), stock per product and location with a ledger of
movements (receipt, adjustment, reservation, release, sale), and all-or-nothing
reservations with an expiry, used by the booking saga. Categories, customer orders, low
stock and vendor restock come with the inventory issue."""
