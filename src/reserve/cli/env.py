"""``reserve env check``: validate configuration and reachability."""

from __future__ import annotations

import typer

from reserve.cli.context import console
from reserve.services.environment import check_environment

app = typer.Typer(help="Check the environment.", no_args_is_help=True)


@app.command()
def check() -> None:
    """Check settings, flags, the secret, the database and its schema; exit 1 on any failure."""
    checks = check_environment()
    for item in checks:
        mark = "[green]✓[/green]" if item.ok else "[red]✗[/red]"
        console.print(f"{mark} {item.line}", highlight=False, soft_wrap=True)
    if not all(item.ok for item in checks):
        raise typer.Exit(1)


@app.callback()
def env() -> None:
    """Check the environment."""
