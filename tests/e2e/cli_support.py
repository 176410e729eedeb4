"""Running the `petpro` CLI in tests: Typer's runner with an isolated environment."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from typer.testing import CliRunner, Result

from cli.main import app

STRONG_PASSWORD = "correct horse battery staple"

# Cheap argon2id so the CLI tests stay fast; the defaults are tested elsewhere.
FAST_ENV = {"PETPRO_ARGON2_MEMORY_KIB": "1024", "PETPRO_ARGON2_TIME_COST": "1"}


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {"PETPRO_DATA_DIR": str(data_dir), **FAST_ENV, **extra}
    # An outer PETPRO_DATABASE_URL must not leak into tests that mean the embedded default.
    env.setdefault("PETPRO_DATABASE_URL", "")
    return env


def invoke(args: list[str], env: Mapping[str, str], input: str | None = None) -> Result:
    environment = {key: (value or None) for key, value in env.items()}
    return CliRunner().invoke(app, args, env=environment, input=input)
