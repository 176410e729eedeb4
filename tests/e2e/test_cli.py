"""The admin CLI through Typer's runner: happy paths, and every error as one line + exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.errors import (
    EXIT_CONFIG,
    EXIT_CONFLICT,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
)
from tests.e2e.cli_support import STRONG_PASSWORD, cli_env, invoke


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "data")


def create_admin(env: dict[str, str], email: str = "root@example.com"):  # type: ignore[no-untyped-def]
    return invoke(
        ["users", "create-admin", "--email", email, "--password-stdin"],
        env,
        input=STRONG_PASSWORD + "\n",
    )


def test_create_admin_from_stdin_then_list_shows_it(env: dict[str, str]) -> None:
    created = create_admin(env)
    assert created.exit_code == 0, created.output
    assert "created admin root@example.com" in created.stdout

    listed = invoke(["users", "list"], env)
    assert listed.exit_code == 0, listed.output
    assert "root@example.com" in listed.stdout
    assert "admin" in listed.stdout
    assert "1 to 1 of 1" in listed.stdout


def test_create_admin_with_hidden_prompt_asks_twice(env: dict[str, str]) -> None:
    result = invoke(
        ["users", "create-admin", "--email", "prompted@example.com"],
        env,
        input=f"{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert STRONG_PASSWORD not in result.stdout  # hidden input is not echoed


def test_the_admin_can_log_in_over_http_afterwards(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert create_admin(env).exit_code == 0
    for key, value in env.items():
        monkeypatch.setenv(key, value) if value else monkeypatch.delenv(key, raising=False)
    from litestar.testing import TestClient

    from runtimes.http.app import create_app

    with TestClient(app=create_app()) as client:
        login = client.post(
            "/auth/login", json={"email": "root@example.com", "password": STRONG_PASSWORD}
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        users = client.get("/users", headers={"Authorization": f"Bearer {token}"})
        assert users.status_code == 200
        assert users.json()["total"] == 1


def test_grant_and_revoke_roles(env: dict[str, str]) -> None:
    assert create_admin(env).exit_code == 0
    granted = invoke(["users", "grant", "root@example.com", "vet", "clinic_staff"], env)
    assert granted.exit_code == 0, granted.output
    assert granted.stdout.strip() == "root@example.com: admin, clinic_staff, pet_owner, vet"

    revoked = invoke(["users", "revoke", "ROOT@example.com", "vet"], env)
    assert revoked.exit_code == 0, revoked.output
    assert revoked.stdout.strip() == "root@example.com: admin, clinic_staff, pet_owner"


def test_weak_password_is_one_line_and_invalid_exit(env: dict[str, str]) -> None:
    result = invoke(
        ["users", "create-admin", "--email", "root@example.com", "--password-stdin"],
        env,
        input="password1234\n",
    )
    assert result.exit_code == EXIT_INVALID
    assert "password" in one_line_error(result)


def test_duplicate_admin_is_a_conflict(env: dict[str, str]) -> None:
    assert create_admin(env).exit_code == 0
    again = create_admin(env, "Root@Example.com")
    assert again.exit_code == EXIT_CONFLICT
    assert "already registered" in one_line_error(again)


def test_grant_to_unknown_user_is_not_found(env: dict[str, str]) -> None:
    result = invoke(["users", "grant", "nobody@example.com", "vet"], env)
    assert result.exit_code == EXIT_NOT_FOUND
    assert "nobody@example.com" in one_line_error(result)


def test_unknown_role_is_a_usage_error(env: dict[str, str]) -> None:
    assert create_admin(env).exit_code == 0
    result = invoke(["users", "grant", "root@example.com", "wizard"], env)
    assert result.exit_code == EXIT_USAGE
    assert "wizard" in one_line_error(result)


def test_last_admin_cannot_lose_admin(env: dict[str, str]) -> None:
    assert create_admin(env).exit_code == 0
    result = invoke(["users", "revoke", "root@example.com", "admin"], env)
    assert result.exit_code == EXIT_INVALID
    assert "last admin" in one_line_error(result)


def test_missing_argument_is_one_line_usage_error(env: dict[str, str]) -> None:
    result = invoke(["users", "grant"], env)
    assert result.exit_code == EXIT_USAGE
    assert "--help" in one_line_error(result)


def test_bad_option_value_is_one_line_usage_error(env: dict[str, str]) -> None:
    result = invoke(["users", "list", "--limit", "0"], env)
    assert result.exit_code == EXIT_USAGE
    one_line_error(result)


def test_unsupported_database_url_is_a_configuration_error(tmp_path: Path) -> None:
    result = invoke(["db", "current"], cli_env(tmp_path, PETPRO_DATABASE_URL="mysql://db/petpro"))
    assert result.exit_code == EXIT_CONFIG
    assert "PETPRO_DATABASE_URL" in one_line_error(result)


def test_unreachable_database_is_unavailable(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2"
    result = invoke(["db", "current"], cli_env(tmp_path, PETPRO_DATABASE_URL=url))
    assert result.exit_code == EXIT_UNAVAILABLE
    assert "database unavailable" in one_line_error(result)


def test_db_current_then_upgrade_on_sqlite(env: dict[str, str], tmp_path: Path) -> None:
    before = invoke(["db", "current"], env)
    assert before.exit_code == 0, before.output
    assert "behind" in before.stdout

    upgraded = invoke(["db", "upgrade"], env)
    assert upgraded.exit_code == 0, upgraded.output
    assert "up to date" in upgraded.stdout
    assert (tmp_path / "data" / "auth.db").exists()

    again = invoke(["db", "upgrade"], env)  # idempotent
    assert again.exit_code == 0
    assert "up to date" in invoke(["db", "current"], env).stdout


def test_help_lists_the_commands(env: dict[str, str]) -> None:
    result = invoke(["--help"], env)
    assert result.exit_code == 0
    for command in ("serve", "db", "users"):
        assert command in result.stdout
