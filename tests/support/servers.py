"""PostgreSQL and Redis for the test suite: probes, and a throw-away database per session.

`PETPRO_TEST_DATABASE_URL` (default `postgresql://postgres@127.0.0.1:5432/test`) names a
server and a database to connect to as a superuser; the session creates its own database
`petpro_test_<hex>` there and drops it at the end, so concurrent runs never share tables.
`PETPRO_TEST_REDIS_URL` defaults to `redis://127.0.0.1:6379/0`.

An unreachable server skips the tests that need it, except under `CI=true`, where it fails
them: CI must always exercise the real adapters.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
CONNECT_TIMEOUT_SECONDS = 3


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def unavailable(message: str) -> None:
    """Skip, or fail under CI=true."""
    if in_ci():
        pytest.fail(f"{message} (CI=true: the real servers are required)", pytrace=False)
    pytest.skip(message)


def configured_database_url() -> str:
    return os.environ.get("PETPRO_TEST_DATABASE_URL") or DEFAULT_DATABASE_URL


def configured_redis_url() -> str:
    return os.environ.get("PETPRO_TEST_REDIS_URL") or DEFAULT_REDIS_URL


def libpq_url(url: str) -> str:
    """A URL psycopg accepts (no `+driver`), password kept."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def display(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def postgres_problem(url: str) -> str | None:
    """None when PostgreSQL answers at `url`, else why not."""
    import psycopg

    try:
        with psycopg.connect(libpq_url(url), connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure means "not reachable"
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    return None


def require_postgres(url: str | None = None) -> str:
    """The configured server URL; skips (or fails under CI) when it does not answer."""
    url = url or configured_database_url()
    problem = postgres_problem(url)
    if problem is not None:
        unavailable(f"PostgreSQL not reachable at {display(url)}: {problem}")
    return url


def redis_problem(url: str) -> str | None:
    import redis

    try:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=CONNECT_TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}"
    return None


def require_redis(url: str | None = None) -> str:
    """The configured Redis URL; skips (or fails under CI) when it does not answer."""
    url = url or configured_redis_url()
    problem = redis_problem(url)
    if problem is not None:
        unavailable(f"Redis not reachable at {display(url)}: {problem}")
    return url


@contextmanager
def fresh_postgres_database(server_url: str | None = None) -> Iterator[str]:
    """Create `petpro_test_<hex>` on the server, yield its URL, drop it (WITH FORCE) after."""
    import psycopg
    from psycopg import sql

    server_url = require_postgres(server_url)
    name = f"petpro_test_{secrets.token_hex(6)}"
    admin = libpq_url(server_url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(server_url, name)
    finally:
        with psycopg.connect(
            admin, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
        ) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def truncate_context_tables(url: str, schemas: tuple[str, ...]) -> None:
    """Empty every table of the given schemas except Alembic's version table, and restart
    their sequences.

    DELETE rather than TRUNCATE: on tables of a few rows it is about ten times faster (no new
    files per table), and this runs before every PostgreSQL test. Triggers (foreign keys, the
    ledger's refusal of deletes) are off for it under `session_replication_role = replica`."""
    import psycopg
    from psycopg import sql

    emptying = sql.SQL(
        """
        DO $$
        DECLARE item record;
        BEGIN
          SET LOCAL session_replication_role = replica;
          FOR item IN
            SELECT n.nspname, c.relname, c.relkind FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY({schemas}) AND c.relkind IN ('r', 'S')
              AND c.relname <> 'alembic_version'
          LOOP
            IF item.relkind = 'r' THEN
              EXECUTE format('DELETE FROM %I.%I', item.nspname, item.relname);
            ELSE
              EXECUTE format('ALTER SEQUENCE %I.%I RESTART', item.nspname, item.relname);
            END IF;
          END LOOP;
        END $$
        """
    ).format(schemas=sql.Literal(list(schemas)))
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(emptying)
