"""``reserve flags``: flag defaults and per-venue overrides."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Column, Table

from reserve.cli.context import console, operator_database
from reserve.config import FlagValue
from reserve.services.flags import flag_states, set_override, unset_override

app = typer.Typer(help="Show and change feature flags.", no_args_is_help=True)

Restaurant = Annotated[str, typer.Option("--restaurant", help="The venue's slug.")]


def shown(value: FlagValue) -> str:
    if value is None:
        return "none"
    return value if isinstance(value, str) else json.dumps(value)


@app.command("list")
def list_(
    restaurant: Annotated[
        str | None, typer.Option("--restaurant", help="Show this venue's overrides too.")
    ] = None,
) -> None:
    """Every flag with its default (from the environment) and, for a venue, its value there."""
    states = flag_states(operator_database(), restaurant)
    table = Table(
        Column("flag", no_wrap=True),
        Column("default", no_wrap=True),
        Column("environment variable", no_wrap=True),
        Column("override", no_wrap=True),
        Column("value", no_wrap=True),
        "meaning",
    )
    for state in states:
        table.add_row(
            state.name,
            shown(state.default),
            state.env,
            shown(state.override) if state.overridden else "",
            shown(state.value),
            state.help,
        )
    console.print(table)


@app.command("set")
def set_(
    name: Annotated[str, typer.Argument(help="The flag, e.g. allocator.max_tables.")],
    value: Annotated[str, typer.Argument(help="Its value for this venue.")],
    restaurant: Restaurant,
) -> None:
    """Override a flag for one venue."""
    stored = set_override(operator_database(), restaurant, name, value)
    console.print(f"{name} = {shown(stored)} for {restaurant}", highlight=False)


@app.command()
def unset(
    name: Annotated[str, typer.Argument(help="The flag.")],
    restaurant: Restaurant,
) -> None:
    """Remove a venue's override: the default applies again."""
    removed = unset_override(operator_database(), restaurant, name)
    state = "removed" if removed else "had no override"
    console.print(f"{name} for {restaurant}: {state}", highlight=False)
