"""``reserve db``: migrations up and down, reset, seed and the schema check."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from reserve.cli.context import console, load_settings, operator_database
from reserve.config import Environment
from reserve.db import migrations
from reserve.db.schema import check_schema
from reserve.db.urls import database_url
from reserve.domain.errors import ConfigurationError
from reserve.services.venues import DEMO_VENUE, import_venue_file

app = typer.Typer(help="Migrate, reset, seed and check the database.", no_args_is_help=True)


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply the migrations up to REVISION (the latest by default); with
    RESERVE_APP_PASSWORD set, give the application role that password."""
    settings = load_settings()
    url = database_url(settings)
    migrations.upgrade(url, revision)
    console.print(f"migrated to {revision}")
    if settings.app_password is not None:
        migrations.set_app_password(url, settings.app_password.get_secret_value())
        console.print("reserve_app's password set from RESERVE_APP_PASSWORD")


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' undoes them all.")],
) -> None:
    """Undo the migrations down to REVISION."""
    migrations.downgrade(database_url(load_settings()), revision)
    console.print(f"downgraded to {revision}")


@app.command()
def reset(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Allow it with RESERVE_ENV=production.")
    ] = False,
) -> None:
    """Drop every table and migrate again from nothing: all data is lost."""
    settings = load_settings()
    if settings.env is Environment.PRODUCTION and not force:
        raise ConfigurationError("refusing to reset a production database without --force")
    if not yes:
        if not sys.stdin.isatty():
            raise ConfigurationError("reset deletes every row; pass --yes to confirm")
        typer.confirm("Delete every table and row of this database?", abort=True)
    migrations.reset(database_url(settings))
    console.print("database reset and migrated")


@app.command()
def seed() -> None:
    """Load the demo venue, the White Horse (again, if it is there already)."""
    venue, saved = import_venue_file(operator_database(), DEMO_VENUE)
    verb = "created" if saved.created else "updated"
    console.print(f"{verb} {venue.slug}: {len(venue.zones)} zones, {len(venue.tables)} tables")


@app.command()
def check() -> None:
    """Compare the live schema with what the migrations produce; name every difference."""
    problems = check_schema(database_url(load_settings()))
    if problems:
        for line in problems:
            console.print(f"[red]✗[/red] {line}", highlight=False)
        raise typer.Exit(1)
    console.print(f"[green]✓[/green] schema matches the migrations ({migrations.head_revision()})")
