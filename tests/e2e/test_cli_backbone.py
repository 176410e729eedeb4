"""`petpro outbox`, `consumers`, `dlq` and `worker` from the command line."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from redis.asyncio import Redis

from adapters.messaging.types import Delivery, OutboxRecord
from adapters.redis_streams.broker import RedisStreamsBroker
from cli.errors import EXIT_CONFIG, EXIT_USAGE
from tests.e2e.cli_support import cli_env, invoke
from tests.support.brokers import delete_keys
from tests.support.servers import configured_redis_url, require_redis


def test_outbox_status_lists_each_publishing_context(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data")
    result = invoke(["outbox", "status"], env)
    assert result.exit_code == 0, result.output
    assert "auth" in result.output and "booking" in result.output


def test_outbox_replay_requeues_from_an_instant_or_an_age(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data")
    for since in ("2h", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00"):
        result = invoke(["outbox", "replay", "--since", since, "--context", "auth"], env)
        assert result.exit_code == 0, result.output
        assert "auth: 0 events queued" in result.output


@pytest.mark.parametrize("since", ["yesterday", "2h30", "-1h", ""])
def test_outbox_replay_refuses_an_unreadable_instant(tmp_path: Path, since: str) -> None:
    result = invoke(["outbox", "replay", "--since", since], cli_env(tmp_path / "data"))
    assert result.exit_code == EXIT_USAGE
    assert "--since" in result.output and "Traceback" not in result.output


def test_outbox_replay_refuses_an_unknown_context(tmp_path: Path) -> None:
    result = invoke(["outbox", "replay", "--since", "1h", "-c", "kennel"], cli_env(tmp_path / "d"))
    assert result.exit_code == EXIT_CONFIG
    assert "kennel" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["worker"],
        ["dlq", "list"],
        ["consumers", "status"],
        ["dlq", "redrive", "--group", "booking", "--all"],
    ],
)
def test_commands_that_need_the_shared_bus_explain_without_redis(
    tmp_path: Path, args: list[str]
) -> None:
    result = invoke(args, cli_env(tmp_path / "data"))
    assert result.exit_code == EXIT_CONFIG, result.output
    assert "PETPRO_REDIS_URL" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.fixture
def redis_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    url = require_redis(configured_redis_url())
    prefix = f"petpro-test-{secrets.token_hex(6)}"
    env = cli_env(tmp_path / "data", PETPRO_REDIS_URL=url, PETPRO_STREAM_PREFIX=prefix)
    yield {**env, "COLUMNS": "250"}, prefix  # wide enough that rich does not wrap cells

    async def clean() -> None:
        client = Redis.from_url(url)
        await delete_keys(client, prefix)
        await client.aclose()

    asyncio.run(clean())


async def _dead_letter_one(url: str, prefix: str) -> None:
    broker = RedisStreamsBroker.from_url(url, prefix=prefix)
    try:
        await broker.ensure_groups("booking", ["pet.created"])
        body = b'{"specversion": "1.0", "type": "petpro.pet.created.v2", "id": "x"}'
        record = OutboxRecord(uuid4(), 1, "pet.created", "petpro.pet.created.v2", body)
        await broker.publish([record])
        [delivery] = await broker.read("booking", "c1", ["pet.created"], count=10, block_ms=0)
        assert isinstance(delivery, Delivery)
        await broker.dead_letter("booking", delivery, "ValueError: cannot digest")
    finally:
        await broker.close()


@pytest.mark.redis
def test_dead_letters_are_listed_and_redriven(redis_env: tuple[dict[str, str], str]) -> None:
    env, prefix = redis_env
    asyncio.run(_dead_letter_one(env["PETPRO_REDIS_URL"], prefix))

    listed = invoke(["dlq", "list", "--group", "booking"], env)
    assert listed.exit_code == 0, listed.output
    assert "petpro.pet.created.v2" in listed.output and "cannot digest" in listed.output

    assert invoke(["dlq", "redrive", "--group", "booking"], env).exit_code == EXIT_USAGE
    redriven = invoke(["dlq", "redrive", "--group", "booking", "--all"], env)
    assert redriven.exit_code == 0, redriven.output
    assert "booking: 1 dead letters redriven" in redriven.output
    assert "Dead letters (0)" in invoke(["dlq", "list"], env).output


@pytest.mark.redis
def test_consumer_groups_show_pending_and_lag(redis_env: tuple[dict[str, str], str]) -> None:
    env, prefix = redis_env
    asyncio.run(_dead_letter_one(env["PETPRO_REDIS_URL"], prefix))
    result = invoke(["consumers", "status"], env)
    assert result.exit_code == 0, result.output
    assert "booking" in result.output and f"{prefix}:events:pet.created" in result.output


@pytest.mark.redis
def test_worker_refuses_an_unknown_context(redis_env: tuple[dict[str, str], str]) -> None:
    env, _ = redis_env
    result = invoke(["worker", "--context", "kennel"], env)
    assert result.exit_code == EXIT_CONFIG
    assert "kennel" in result.output
