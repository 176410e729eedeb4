"""Engine variants of the product for the HTTP benchmarks (`--engine-variant`): loaded by the
`petpro serve` processes the benchmark starts (this directory goes first on their
PYTHONPATH), it replaces how `SqlDatabase` builds its PostgreSQL engine, so the effect of a
change can be measured before the adapter makes it. `BENCH_ENGINE_VARIANT` lists them:

- `pool`: a pool of `BENCH_POOL_SIZE` (default 20) connections without overflow, instead of
  SQLAlchemy's 5 + 10 overflow (overflow connections are closed on return: under load a
  server opens and closes PostgreSQL connections all the time);
- `noping`: no `pool_pre_ping` (one round trip less per checkout, that is per transaction);
- `asyncpg`: SQLAlchemy's asyncpg dialect instead of psycopg 3.

Nothing here is used by the product itself.
"""

from __future__ import annotations

import os
import sys
from typing import Any

_VARIANT = {name for name in os.environ.get("BENCH_ENGINE_VARIANT", "").split(",") if name}


def _install() -> None:
    from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

    from adapters.sql import database

    original = database.SqlDatabase._create_async_engine

    def create(self: Any) -> AsyncEngine:
        if self.dialect_name != "postgresql":
            return original(self)
        options: dict[str, Any] = {"pool_pre_ping": "noping" not in _VARIANT}
        if "pool" in _VARIANT:
            options.update(pool_size=int(os.environ.get("BENCH_POOL_SIZE", "20")), max_overflow=0)
        url = self.async_url
        if "asyncpg" in _VARIANT:
            url = url.set(drivername="postgresql+asyncpg")
        return create_async_engine(url, **options)

    database.SqlDatabase._create_async_engine = create  # type: ignore[method-assign]


if _VARIANT:
    try:
        _install()
    except ImportError as exc:  # a process without the app (uvicorn's supervisor)
        print(f"engine variant not installed here: {exc}", file=sys.stderr)
