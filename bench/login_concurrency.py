"""Logins at the real argon2id cost (OWASP: 19 MiB, t=2) on the embedded default (SQLite):
concurrent against sequential.

Prints two ratios measured in the same run:
- speed-up: time for N logins one after another / time for the same N at once. Above 1
  means hashing runs in parallel worker threads (argon2 releases the GIL).
- loop stall: the longest the event loop went unserved while the logins ran, as a share of
  one login. Near 0 means hashing never blocks other requests; near 1 means it does.

Run:  .venv/bin/python bench/login_concurrency.py [N]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from adapters.security.passwords import Argon2Parameters, Argon2PasswordHasher
from adapters.sql import migrate
from adapters.sql.auth.unit_of_work import SqlAuthUnitOfWork
from adapters.sql.database import SqlDatabase, sqlite_url_in
from petpro_core.auth.commands import Login, RegisterUser
from tests.support.auth import STRONG_PASSWORD, auth_harness


async def measure(n: int, data_dir: Path) -> None:
    database = SqlDatabase(sqlite_url_in(data_dir))
    await asyncio.to_thread(migrate.upgrade, database, "auth")
    harness = auth_harness(
        lambda: SqlAuthUnitOfWork(database), hasher=Argon2PasswordHasher(Argon2Parameters())
    )
    emails = [f"user{i}@example.com" for i in range(n)]
    for email in emails:
        await harness.bus.execute(
            RegisterUser(email=email, display_name="Bench", password=STRONG_PASSWORD)
        )

    def login(email: str) -> Login:
        return Login(email=email, password=STRONG_PASSWORD, client_address=email)

    started = time.perf_counter()
    for email in emails:
        await harness.bus.execute(login(email))
    sequential = time.perf_counter() - started

    stall = 0.0
    running = True

    async def watch_the_loop() -> None:
        nonlocal stall
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            stall = max(stall, now - last - 0.001)
            last = now

    watcher = asyncio.ensure_future(watch_the_loop())
    started = time.perf_counter()
    await asyncio.gather(*(harness.bus.execute(login(email)) for email in emails))
    concurrent = time.perf_counter() - started
    running = False
    await watcher

    one_login = sequential / n
    print(f"{n} logins: sequential {sequential:.3f} s, concurrent {concurrent:.3f} s")
    print(f"speed-up (sequential / concurrent): {sequential / concurrent:.2f}x")
    print(f"loop stall (longest stall / one login): {stall / one_login:.2f}")
    await database.dispose()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 16, Path(directory)))
