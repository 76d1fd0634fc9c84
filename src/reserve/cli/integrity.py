"""``reserve integrity``: the integrity report; exit 1 on any violation."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Column, Table

from reserve.cli.context import console, load_settings, operator_database
from reserve.services.integrity import check_integrity
from reserve.services.integrity_report import IntegrityReport

SHOWN = 3  # details printed per check; --json has them all


def integrity(
    restaurant: Annotated[
        str | None, typer.Option("--restaurant", help="Check this venue only (its slug).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole report as JSON.")
    ] = False,
) -> None:
    """Check every allocation, booking and hold against the booking rules; exit 1 on any
    violation."""
    settings = load_settings()
    # A hold expired within the server's purge interval is waiting for it, not a fault.
    grace = timedelta(seconds=settings.prune_seconds)
    report = check_integrity(operator_database(settings), restaurant, hold_grace=grace)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        _print(report)
    if not report.ok:
        raise typer.Exit(1)


def _print(report: IntegrityReport) -> None:
    table = Table(
        Column("check", no_wrap=True),
        Column("result", no_wrap=True),
        Column("count", justify="right"),
        "details",
    )
    for check in report.checks:
        details = [escape(f"{v.restaurant}: {v.summary}") for v in check.violations[:SHOWN]]
        if len(check.violations) > SHOWN:
            details.append(f"... and {len(check.violations) - SHOWN} more (--json for all)")
        table.add_row(
            check.name,
            "[green]ok[/green]" if check.ok else "[red]FAIL[/red]",
            str(len(check.violations)),
            "\n".join(details) or escape(check.description),
        )
    console.print(table)
    scope = ", ".join(report.restaurants) or "no restaurants"
    if report.ok:
        console.print(f"[green]✓[/green] no violations ({scope})", highlight=False)
    else:
        noun = "violation" if report.violations == 1 else "violations"
        console.print(f"[red]✗[/red] {report.violations} {noun} ({scope})", highlight=False)


app = typer.Typer(help="Check the database against the booking rules.")
app.command()(integrity)
