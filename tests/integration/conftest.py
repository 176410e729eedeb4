"""Fixtures of the tests that run `petpro worker` processes on PostgreSQL and Redis."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import redis

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Api, ApiFactory
from tests.support.servers import configured_redis_url, require_redis

make_api = e2e.make_api  # the e2e tier's app factory (a fixture), reused here


@pytest.fixture
def redis_url() -> str:
    return require_redis(configured_redis_url())


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A throw-away stream prefix; its keys are deleted afterwards (never FLUSHALL)."""
    name = f"petpro-test-{secrets.token_hex(6)}"
    yield name
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{name}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def split_api(make_api: ApiFactory, clean_postgres_url: str, redis_url: str, prefix: str) -> Api:
    """The HTTP app on PostgreSQL with Redis Streams: it runs no workers of its own (the
    `petpro worker` processes are the others)."""
    api = make_api(database_url=clean_postgres_url, redis_url=redis_url, stream_prefix=prefix)
    assert not api.settings.runs_inprocess_workers
    return api
