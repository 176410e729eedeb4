"""`petpro events`: the event catalog, and the committed JSON Schemas of every event version."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from adapters.codec.schemas import (
    all_event_schemas,
    breaking_changes,
    contract_problems,
    write_schemas,
)
from cli.errors import EXIT_INVALID, guarded
from petpro_core.contracts.catalog import CATALOG

events_app = typer.Typer(
    no_args_is_help=True, help="The event catalog and its schema registry (schemas/events/)."
)

console = Console()

DirectoryOption = Annotated[
    Path, typer.Option("--dir", help="The schema registry: files go in <dir>/events/.")
]


@events_app.command("list")
@guarded
def events_list() -> None:
    """Show every event: its versions, publisher, subscribers and purpose."""
    table = Table(title=f"Event catalog ({len(CATALOG)} events)")
    table.add_column("event", no_wrap=True)
    table.add_column("versions", no_wrap=True)
    table.add_column("publisher", no_wrap=True)
    table.add_column("subscribers")
    table.add_column("purpose")
    for item in CATALOG:
        table.add_row(
            item.name,
            ", ".join(f"v{version.VERSION}" for version in item.versions),
            item.publisher,
            ", ".join(item.subscribers),
            item.purpose,
        )
    console.print(table)


@events_app.command("schema")
@guarded
def events_schema(
    directory: DirectoryOption = Path("schemas"),
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite committed schemas even if incompatible.")
    ] = False,
) -> None:
    """Write the JSON Schema of every event version (to commit with the code)."""
    # Regenerating would make a breaking change look compatible: refuse unless told to.
    breaking = [] if force else breaking_changes(directory)
    if breaking:
        _report(
            [*breaking, "a breaking change needs a new event version (or use --force)"],
            EXIT_INVALID,
        )
    written = write_schemas(directory)
    typer.echo(f"wrote {len(written)} event schemas to {directory / 'events'}")


@events_app.command("check")
@guarded
def events_check(directory: DirectoryOption = Path("schemas")) -> None:
    """Check the committed schemas against the code and the consumers' expectations."""
    problems = contract_problems(directory)
    if problems:
        _report(problems, EXIT_INVALID)
    typer.echo(f"{len(all_event_schemas())} event schemas compatible")


def _report(problems: list[str], code: int) -> NoReturn:
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    raise typer.Exit(code)
