"""The root command group: usage errors as one line, like every other CLI error."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from cli.errors import EXIT_USAGE

# Typer may vendor its own click; its UsageError is always a base of the public BadParameter.
UsageError: type[Exception] = next(
    kind for kind in typer.BadParameter.__mro__ if kind.__name__ == "UsageError"
)


class OneLineErrorsGroup(TyperGroup):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except UsageError as exc:
            context = getattr(exc, "ctx", None)
            command = context.command_path if context is not None else "petpro"
            typer.echo(f"error: {exc.format_message()} (see `{command} --help`)", err=True)  # type: ignore[attr-defined]
            sys.exit(EXIT_USAGE)
        except typer.Abort:
            typer.echo("aborted", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)
