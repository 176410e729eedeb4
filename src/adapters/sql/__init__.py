"""SQLAlchemy 2 adapters: PostgreSQL (one schema per context) and embedded SQLite."""
