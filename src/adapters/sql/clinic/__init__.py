"""SQL adapters of the clinic context: tables (schema `clinic`), repositories, unit of work."""
