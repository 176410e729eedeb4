"""The CLI against PostgreSQL: no implicit migrations, a clear refusal while behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.errors import EXIT_UNAVAILABLE
from tests.e2e.cli_support import STRONG_PASSWORD, cli_env, invoke
from tests.support.servers import fresh_postgres_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A database of its own, never migrated: what an operator has before `db upgrade`."""
    with fresh_postgres_database() as url:
        yield url


def test_serve_refuses_while_the_schema_is_behind_then_db_upgrade_fixes_it(
    empty_postgres_url: str, tmp_path: Path
) -> None:
    env = cli_env(tmp_path, PETPRO_DATABASE_URL=empty_postgres_url)

    refused = invoke(["serve", "--port", "1"], env)  # never reaches the server
    assert refused.exit_code == EXIT_UNAVAILABLE
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "petpro db upgrade" in lines[0], refused.stderr

    behind = invoke(["db", "current"], env)
    assert behind.exit_code == 0 and "behind" in behind.stdout

    upgraded = invoke(["db", "upgrade"], env)
    assert upgraded.exit_code == 0, upgraded.output
    assert "up to date" in upgraded.stdout
    assert "up to date" in invoke(["db", "current"], env).stdout


def test_admin_commands_on_postgres(clean_postgres_url: str, tmp_path: Path) -> None:
    env = cli_env(tmp_path, PETPRO_DATABASE_URL=clean_postgres_url)
    created = invoke(
        ["users", "create-admin", "--email", "root@example.com", "--password-stdin"],
        env,
        input=STRONG_PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output
    granted = invoke(["users", "grant", "root@example.com", "vendor"], env)
    assert granted.stdout.strip() == "root@example.com: admin, pet_owner, vendor"
    listed = invoke(["users", "list"], env)
    assert "root@example.com" in listed.stdout and "1 to 1 of 1" in listed.stdout
