"""`petpro worker`, `petpro outbox …`, `petpro consumers …`, `petpro dlq …`: run and
operate the event backbone."""

from __future__ import annotations

import asyncio
import gc
import json
import re
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from adapters.messaging.types import DeadLetter, GroupLag
from cli.errors import EXIT_USAGE, fail, guarded
from runtimes.backbone import EventBackbone
from runtimes.containers import ApplicationContainer, build_container
from runtimes.observability.logging import configure_logging
from runtimes.schema import prepare_schema
from runtimes.sweepers import application_sweepers, run_sweepers

T = TypeVar("T")

outbox_app = typer.Typer(no_args_is_help=True, help="Inspect and replay the outboxes.")
consumers_app = typer.Typer(no_args_is_help=True, help="Inspect the consumer groups.")
dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters: list and redrive.")

console = Console()

ContextOption = Annotated[
    list[str] | None,
    typer.Option("--context", "-c", help="Only this context (repeatable). Default: all."),
]
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _with_backbone(work: Callable[[EventBackbone], Awaitable[T]], *, migrate: bool = True) -> T:
    container = build_container()
    if migrate:
        prepare_schema(container.settings(), container.databases())
    return _run_closing(container, work)


def _run_closing(
    container: ApplicationContainer, work: Callable[[EventBackbone], Awaitable[T]]
) -> T:
    """Run `work` on the container's backbone, then close the backbone and the databases."""
    backbone = container.backbone()

    async def main() -> T:
        try:
            return await work(backbone)
        finally:
            await backbone.close()
            await container.notification.channels().aclose()
            await container.databases().dispose()

    return asyncio.run(main())


def worker(context: ContextOption = None) -> None:
    """Run the outbox relays, event consumers and periodic jobs (booking saga recovery,
    reservation expiry) until SIGTERM or Ctrl-C (the batch in flight finishes first).
    Needs PETPRO_REDIS_URL: workers share Redis Streams."""
    container = build_container()
    settings = container.settings()
    backbone = container.backbone()
    backbone.require_shared_broker()
    backbone.check_contexts(context or [])
    configure_logging(settings.log_level, settings.log_format)
    prepare_schema(settings, container.databases())

    # Everything built so far lives as long as the process: move it out of the collector's
    # way, or its full collections pause the worker for ~100 ms every few seconds.
    gc.collect()
    gc.freeze()

    async def run_until_signalled(backbone: EventBackbone) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        sweepers = application_sweepers(container, context or ())
        await asyncio.gather(backbone.run(stop, context or None), run_sweepers(sweepers, stop))

    _run_closing(container, run_until_signalled)


@outbox_app.command("status")
@guarded
def outbox_status() -> None:
    """Pending rows and the age of the oldest, per context."""

    statuses = _with_backbone(lambda backbone: backbone.outbox_status())
    now = datetime.now(UTC)
    table = Table(title="Outboxes")
    for column in ("context", "pending", "oldest pending", "published (kept)"):
        table.add_column(column)
    for status in statuses:
        age = (
            f"{(now - status.oldest_pending_at).total_seconds():.1f} s"
            if status.oldest_pending_at
            else "—"
        )
        table.add_row(status.context, str(status.pending), age, str(status.published))
    console.print(table)


@outbox_app.command("replay")
@guarded
def outbox_replay(
    since: Annotated[
        str,
        typer.Option(help="ISO 8601 instant (2026-11-25T10:00:00Z) or an age: 30m, 2h, 7d."),
    ],
    context: ContextOption = None,
) -> None:
    """Re-publish every event published since then (consumers skip what they already
    handled). Only rows still within retention can be replayed."""
    instant = parse_since(since)

    async def replay(backbone: EventBackbone) -> list[tuple[str, int]]:
        contexts = context or list(backbone.publishing_contexts)
        backbone.check_contexts(contexts)
        return [(c, await backbone.outbox(c).requeue(instant)) for c in contexts]

    for name, count in _with_backbone(replay):
        typer.echo(f"{name}: {count} events queued for re-publishing since {instant.isoformat()}")


@consumers_app.command("status")
@guarded
def consumers_status() -> None:
    """Per consumer group and stream: delivered but unacknowledged (pending), not yet
    delivered (lag)."""

    async def lag(backbone: EventBackbone) -> list[GroupLag]:
        backbone.require_shared_broker()
        return await backbone.consumer_lag()

    table = Table(title="Consumer groups")
    for column in ("group", "stream", "pending", "lag"):
        table.add_column(column)
    for row in _with_backbone(lag, migrate=False):
        table.add_row(
            row.group, row.stream, str(row.pending), "?" if row.lag is None else str(row.lag)
        )
    console.print(table)


@dlq_app.command("list")
@guarded
def dlq_list(
    group: Annotated[
        str | None, typer.Option(help="Consumer group (context). Default: all.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
) -> None:
    """Messages a consumer group gave up on, with the last error."""

    async def fetch(backbone: EventBackbone) -> list[DeadLetter]:
        backbone.require_shared_broker()
        groups = [group] if group else list(backbone.consuming_contexts)
        backbone.check_contexts(groups)
        letters: list[DeadLetter] = []
        for name in groups:
            letters.extend(await backbone.broker().dead_letters(name, count=limit))
        return letters

    letters = _with_backbone(fetch, migrate=False)
    table = Table(title=f"Dead letters ({len(letters)})")
    for column in ("id", "group", "type", "deliveries", "dead at", "error"):
        table.add_column(column, overflow="fold")
    for letter in letters:
        table.add_row(
            letter.dead_letter_id,
            letter.group,
            _event_type(letter.body),
            str(letter.deliveries),
            letter.dead_at.strftime("%Y-%m-%d %H:%M:%S"),
            letter.error,
        )
    console.print(table)


@dlq_app.command("redrive")
@guarded
def dlq_redrive(
    group: Annotated[str, typer.Option(help="Consumer group (context).")],
    ids: Annotated[
        list[str] | None, typer.Argument(help="Dead-letter ids (from dlq list).")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Redrive every dead letter of the group.")
    ] = False,
) -> None:
    """Give dead letters back to their group as new messages (after fixing the cause)."""
    if bool(ids) == all_:
        fail("name dead-letter ids or pass --all (not both)", EXIT_USAGE)

    async def redrive(backbone: EventBackbone) -> int:
        backbone.require_shared_broker()
        backbone.check_contexts([group])
        return await backbone.broker().redrive(group, None if all_ else ids)

    moved = _with_backbone(redrive, migrate=False)
    typer.echo(f"{group}: {moved} dead letters redriven")


def parse_since(value: str) -> datetime:
    """An ISO 8601 instant (naive means UTC) or an age before now such as 30m, 2h, 7d."""
    text = value.strip()
    duration = _DURATION.match(text)
    if duration:
        amount, unit = int(duration.group(1)), _UNITS[duration.group(2)]
        return datetime.now(UTC) - timedelta(**{unit: amount})
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--since {value!r}: use an ISO 8601 instant or an age like 30m, 2h, 7d", EXIT_USAGE)
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _event_type(body: bytes) -> str:
    try:
        return str(json.loads(body).get("type", "?"))
    except (ValueError, AttributeError):
        return "(not JSON)"
