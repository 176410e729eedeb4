"""SQL adapters of the inventory context: tables (schema `inventory`), repositories, unit of
work."""
