"""SQL adapters of the auth context: tables (schema `auth`), repositories, unit of work."""
