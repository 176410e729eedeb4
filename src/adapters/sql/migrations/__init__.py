"""Alembic migrations, one script directory per bounded context (`migrations/<context>/`).

Run them through `adapters.sql.migrate`; each context keeps its `alembic_version` table
in its own schema.
"""
