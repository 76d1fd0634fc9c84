"""``reserve keys``: staff and admin API keys, stored hashed and shown once."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Column, Table

from reserve.cli.context import console, load_settings, operator_database
from reserve.domain.access import Role
from reserve.services.keys import create_key, list_keys, revoke_key

app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


@app.command()
def create(
    role: Annotated[Role, typer.Option(help="staff (one restaurant) or admin (all).")],
    restaurant: Annotated[
        str | None, typer.Option(help="The restaurant a staff key belongs to (its slug).")
    ] = None,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
) -> None:
    """Make a key. The key itself is printed once, alone on the last line."""
    settings = load_settings()
    key, plain = create_key(
        operator_database(settings),
        settings.secret_key.get_secret_value(),
        role=role,
        restaurant=restaurant,
        name=name,
    )
    scope = key.restaurant or "every restaurant"
    typer.echo(f"created {key.role} key {key.prefix}… ({key.name}) for {scope}")
    typer.echo(plain)


@app.command("list")
def list_() -> None:
    """Every key: its shown prefix, role, restaurant and when it was last used."""
    keys = list_keys(operator_database())
    table = Table(
        Column("prefix", no_wrap=True),
        Column("id", no_wrap=True),
        "role",
        "restaurant",
        "name",
        "created",
        "last used",
        "revoked",
    )
    for key in keys:
        table.add_row(
            key.prefix,
            str(key.id),
            key.role,
            key.restaurant or "(all)",
            key.name,
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
        )
    console.print(table)


@app.command()
def revoke(
    key: Annotated[str, typer.Argument(help="The key's shown prefix or its id.")],
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    revoked = revoke_key(operator_database(), key)
    console.print(f"revoked {revoked.prefix}… ({revoked.name})", highlight=False)
