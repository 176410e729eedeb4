"""`petpro`: serve the API, manage the database schema, administer users."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from cli.app_group import OneLineErrorsGroup
from cli.backbone import consumers_app, dlq_app, outbox_app, worker
from cli.bookings import bookings_app
from cli.clinics import clinics_app
from cli.errors import EXIT_USAGE, fail, guarded
from cli.events import events_app
from cli.finance import finance_app
from cli.inventory import inventory_app
from cli.notifications import notifications_app
from cli.orders import orders_app
from cli.session import run
from cli.vendors import vendors_app
from petpro_core.auth.commands import ChangeRoles, CreateUser, FindUserByEmail, ListUsers
from petpro_core.auth.domain.roles import OPERATOR, Role
from petpro_core.auth.domain.users import User
from petpro_core.shared.pagination import Page, PageRequest
from runtimes.containers import ApplicationContainer, build_container
from runtimes.keys import load_signing_key
from runtimes.schema import SchemaStatus, prepare_schema, schema_status, upgrade_all
from runtimes.settings import StorageKind

app = typer.Typer(
    name="petpro",
    cls=OneLineErrorsGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="PetPro: the pet-care platform backend. Configure with PETPRO_* environment variables.",
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema migrations (Alembic).")
users_app = typer.Typer(no_args_is_help=True, help="Administer users and roles.")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(outbox_app, name="outbox")
app.add_typer(consumers_app, name="consumers")
app.add_typer(dlq_app, name="dlq")
app.command()(guarded(worker))
app.add_typer(events_app, name="events")
app.add_typer(clinics_app, name="clinics")
app.add_typer(bookings_app, name="bookings")
app.add_typer(inventory_app, name="inventory")
app.add_typer(vendors_app, name="vendors")
app.add_typer(orders_app, name="orders")
app.add_typer(notifications_app, name="notifications")
app.add_typer(finance_app, name="finance")

console = Console()

EmailArgument = Annotated[str, typer.Argument(help="The user's e-mail.")]
RolesArgument = Annotated[
    list[str], typer.Argument(help=f"Roles: {', '.join(role.value for role in Role)}.")
]


@app.command()
@guarded
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="HTTP worker processes.")] = 1,
) -> None:
    """Start the HTTP API. On the embedded default it applies migrations first."""
    container = build_container()
    settings = container.settings()
    load_signing_key(settings)  # fail fast on a bad key; generate it once, before workers start
    databases = container.databases()
    if settings.storage_for("auth") is not StorageKind.MEMORY:
        prepare_schema(settings, databases)
    kind = settings.storage_for("auth")
    storage = {
        StorageKind.MEMORY: "memory://",
        StorageKind.SQLITE: f"SQLite in {settings.data_dir.resolve()}",
    }.get(kind) or databases.for_context("auth").url_for_display
    typer.echo(f"PetPro API on http://{host}:{port} (docs at /schema; storage: {storage})")
    uvicorn.run(
        "runtimes.http.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


@db_app.command("upgrade")
@guarded
def db_upgrade() -> None:
    """Apply every pending migration of every context."""
    container = build_container()
    _print_schema(upgrade_all(container.databases()))


@db_app.command("current")
@guarded
def db_current() -> None:
    """Show each context's schema revision and whether it is up to date."""
    container = build_container()
    _print_schema(schema_status(container.databases()))


@users_app.command("create-admin")
@guarded
def users_create_admin(
    email: Annotated[str, typer.Option(help="The administrator's e-mail.")],
    display_name: Annotated[str, typer.Option(help="Name shown in the app.")] = "Administrator",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user with the admin role (password from a hidden prompt or stdin)."""
    if password_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def create(container: ApplicationContainer) -> User:
        command = CreateUser(
            actor=OPERATOR,
            email=email,
            display_name=display_name,
            password=password,
            roles=frozenset({Role.ADMIN, Role.PET_OWNER}),
        )
        result: User = await container.bus().execute(command)
        return result

    user = run(create)
    typer.echo(f"created admin {user.email} ({user.id})")


@users_app.command("list")
@guarded
def users_list(
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """List users as a table."""

    async def fetch(container: ApplicationContainer) -> Page[User]:
        page: Page[User] = await container.bus().execute(
            ListUsers(actor=OPERATOR, page=PageRequest(limit=limit, offset=offset))
        )
        return page

    page = run(fetch)
    first, last = (offset + 1, offset + len(page.items)) if page.items else (0, 0)
    table = Table(title=f"Users {first} to {last} of {page.total}")
    table.add_column("email", no_wrap=True)
    table.add_column("display name")
    table.add_column("roles", no_wrap=True)
    table.add_column("created", no_wrap=True)
    table.add_column("id", overflow="fold")
    for user in page.items:
        table.add_row(
            user.email,
            user.display_name,
            ", ".join(sorted(role.value for role in user.roles)),
            user.created_at.strftime("%Y-%m-%d"),
            str(user.id),
        )
    console.print(table)


@users_app.command("grant")
@guarded
def users_grant(email: EmailArgument, roles: RolesArgument) -> None:
    """Grant roles to a user."""
    _change_roles(email, grant=_parse_roles(roles))


@users_app.command("revoke")
@guarded
def users_revoke(email: EmailArgument, roles: RolesArgument) -> None:
    """Revoke roles from a user."""
    _change_roles(email, revoke=_parse_roles(roles))


def _change_roles(
    email: str, *, grant: frozenset[Role] = frozenset(), revoke: frozenset[Role] = frozenset()
) -> None:
    async def change(container: ApplicationContainer) -> User:
        bus = container.bus()
        user: User = await bus.execute(FindUserByEmail(actor=OPERATOR, email=email))
        changed: User = await bus.execute(
            ChangeRoles(actor=OPERATOR, user_id=user.id, grant=grant, revoke=revoke)
        )
        return changed

    user = run(change)
    typer.echo(f"{user.email}: {', '.join(sorted(role.value for role in user.roles))}")


def _parse_roles(raw: list[str]) -> frozenset[Role]:
    roles = set()
    for value in raw:
        try:
            roles.add(Role(value))
        except ValueError:
            allowed = ", ".join(role.value for role in Role)
            fail(f"unknown role {value!r}; choose from: {allowed}", EXIT_USAGE)
    return frozenset(roles)


def _print_schema(statuses: list[SchemaStatus]) -> None:
    if not statuses:
        typer.echo("no SQL-backed contexts (storage is memory://)")
        return
    table = Table(title="Database schema")
    for column in ("context", "current", "head", "status"):
        table.add_column(column)
    for status in statuses:
        state = "[green]up to date[/]" if status.up_to_date else "[yellow]behind[/]"
        table.add_row(status.context, status.current or "—", status.head, state)
    console.print(table)
