"""The root command group: usage errors as one line, like every other CLI error."""

from __future__ import annotations

import sys
from typing import Any

import click
from typer.core import TyperGroup

from cli.errors import EXIT_USAGE


class OneLineErrorsGroup(TyperGroup):
    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "petpro"
            click.echo(f"error: {exc.format_message()} (see `{command} --help`)", err=True)
            sys.exit(EXIT_USAGE)
        except click.Abort:
            click.echo("aborted", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)
