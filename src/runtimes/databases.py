"""One SqlDatabase per distinct URL, created on first use: nothing connects at import time."""

from __future__ import annotations

from adapters.sql.database import CONTEXT_SCHEMAS, PoolSettings, SqlDatabase
from runtimes.settings import Settings, StorageKind


class Databases:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pool = PoolSettings(
            size=settings.database_pool_size,
            overflow=settings.database_pool_overflow,
            pre_ping=settings.database_pool_pre_ping,
        )
        self._by_url: dict[str, SqlDatabase] = {}

    def for_context(self, context: str) -> SqlDatabase:
        if self._settings.storage_for(context) is StorageKind.MEMORY:
            raise LookupError(f"the {context} context runs in memory; it has no database")
        url = self._settings.database_url_for(context)
        if url not in self._by_url:
            self._by_url[url] = SqlDatabase(url, pool=self._pool)
        return self._by_url[url]

    def sql_contexts(self) -> list[str]:
        return [
            c for c in CONTEXT_SCHEMAS if self._settings.storage_for(c) is not StorageKind.MEMORY
        ]

    async def ping(self) -> None:
        """Raise if any context's database cannot answer."""
        for context in self.sql_contexts():
            await self.for_context(context).ping()

    async def dispose(self) -> None:
        for database in self._by_url.values():
            await database.dispose()
        self._by_url.clear()
