"""`petpro notifications …`: the operator looks at the delivery log, runs the dispatcher or
the reminder sweep once (the worker and `petpro serve` run both on their own), sees which
adapter each channel uses, and sends a test e-mail to check the SMTP settings."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from cli.errors import EXIT_UNAVAILABLE, EXIT_USAGE, fail, guarded
from cli.session import run
from petpro_core.auth.commands import FindUserByEmail
from petpro_core.auth.domain.roles import OPERATOR
from petpro_core.auth.domain.users import User
from petpro_core.notification.channels import Channel, DeliveryFailed, OutgoingMessage
from petpro_core.notification.commands import (
    DispatchDueDeliveries,
    ListDeliveries,
    SendDueReminders,
)
from petpro_core.notification.domain.deliveries import Delivery, DeliveryStatus
from petpro_core.shared.actors import OPERATOR_ACTOR
from petpro_core.shared.ids import new_id
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.pagination import Page, PageRequest
from runtimes.containers import ApplicationContainer, build_container
from runtimes.notification_channels import ChannelSet

T = TypeVar("T")

notifications_app = typer.Typer(
    no_args_is_help=True,
    help="The notification delivery log, the dispatcher and reminders, channel checks.",
)

console = Console()

_STATUS_STYLE = {
    DeliveryStatus.PENDING: "cyan",
    DeliveryStatus.SENDING: "blue",
    DeliveryStatus.SENT: "green",
    DeliveryStatus.FAILED: "red",
    DeliveryStatus.SKIPPED: "dim",
}


def _on_bus(work: Callable[[MessageBus], Awaitable[T]]) -> T:
    async def main(container: ApplicationContainer) -> T:
        return await work(container.bus())

    return run(main)


def _with_channels(work: Callable[[ChannelSet], Awaitable[T]]) -> T:
    """Run `work` on the configured channels (no database needed), then close them."""
    channel_set = build_container().notification.channels()

    async def main() -> T:
        try:
            return await work(channel_set)
        finally:
            await channel_set.aclose()

    return asyncio.run(main())


async def _recipient_id(bus: MessageBus, raw: str) -> UUID:
    """A user id, or the e-mail of a user."""
    text = raw.strip()
    if "@" in text:
        user: User = await bus.execute(FindUserByEmail(actor=OPERATOR, email=text))
        return user.id
    try:
        return UUID(text)
    except ValueError:
        fail(f"--recipient must be a user id or an e-mail, got {raw!r}", EXIT_USAGE)


@notifications_app.command("deliveries")
@guarded
def deliveries(
    status: Annotated[
        DeliveryStatus | None, typer.Option(help="Only deliveries in this status.")
    ] = None,
    channel: Annotated[Channel | None, typer.Option(help="Only this channel.")] = None,
    recipient: Annotated[
        str | None, typer.Option(help="Only to this user (id or e-mail).", show_default=False)
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="Only this kind, e.g. booking.confirmed.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """The delivery log, newest first: every message on every channel, its status,
    attempts and last error."""

    async def fetch(bus: MessageBus) -> Page[Delivery]:
        recipient_id = None if recipient is None else await _recipient_id(bus, recipient)
        page: Page[Delivery] = await bus.execute(
            ListDeliveries(
                actor=OPERATOR_ACTOR,
                status=None if status is None else status.value,
                channel=None if channel is None else channel.value,
                recipient_id=recipient_id,
                kind=kind,
                page=PageRequest(limit=limit, offset=offset),
            )
        )
        return page

    page = _on_bus(fetch)
    first, last = (offset + 1, offset + len(page.items)) if page.items else (0, 0)
    table = Table(title=f"Deliveries {first} to {last} of {page.total}")
    for column in ("created", "kind", "channel", "to", "lang", "status", "tries", "last error"):
        table.add_column(column, overflow="fold", no_wrap=column in ("created", "status"))
    for delivery in page.items:
        table.add_row(
            delivery.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            delivery.kind,
            delivery.channel.value,
            delivery.address or delivery.recipient_name,
            delivery.language,
            f"[{_STATUS_STYLE[delivery.status]}]{delivery.status.value}[/]",
            str(delivery.attempts),
            delivery.last_error or "",
        )
    console.print(table)


@notifications_app.command("dispatch")
@guarded
def dispatch(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 100,
) -> None:
    """Send the due e-mail, SMS and push deliveries now (one pass), retries included."""
    handled: int = _on_bus(lambda bus: bus.execute(DispatchDueDeliveries(limit=limit)))
    typer.echo(f"dispatched {handled} deliveries")


@notifications_app.command("reminders")
@guarded
def reminders(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 100,
) -> None:
    """Turn the appointment reminders now due (24 h before) into messages (one pass); the
    dispatcher sends their e-mail, SMS and push."""
    handled: int = _on_bus(lambda bus: bus.execute(SendDueReminders(limit=limit)))
    typer.echo(f"sent {handled} reminders")


@notifications_app.command("channels")
@guarded
def channels() -> None:
    """Which adapter each external channel uses (from the PETPRO_SMTP_* and webhook
    settings); "log" means messages are logged, not sent."""

    async def describe(channel_set: ChannelSet) -> dict[str, str]:
        return channel_set.describe()

    for name, adapter in _with_channels(describe).items():
        typer.echo(f"{name}: {adapter}")


@notifications_app.command("send-test")
@guarded
def send_test(
    to: Annotated[str, typer.Argument(help="The e-mail address to send to.", show_default=False)],
) -> None:
    """Send one test e-mail through the configured e-mail channel (not recorded in the
    delivery log): checks the SMTP settings."""
    address = to.strip()
    local, _, domain = address.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in address):
        fail(f"{to!r} is not an e-mail address", EXIT_USAGE)
    message = OutgoingMessage(
        delivery_id=new_id(),
        channel=Channel.EMAIL,
        to=address,
        recipient_name=address,
        language="en",
        subject="PetPro test e-mail",
        body="This is a test message from `petpro notifications send-test`: "
        "notification e-mail reaches you.",
        kind="test",
    )

    async def send(channel_set: ChannelSet) -> str:
        try:
            await channel_set[Channel.EMAIL].send(message)
        except DeliveryFailed as failure:
            retry = "" if failure.permanent else " (temporary; try again)"
            fail(f"the e-mail was not accepted: {failure.reason}{retry}", EXIT_UNAVAILABLE)
        return channel_set.describe()[Channel.EMAIL.value]

    adapter = _with_channels(send)
    typer.echo(f"sent a test e-mail to {address} via {adapter}")
