"""``reserve prune``: retention (old confirmation results, expired holds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from reserve.cli.context import console, operator_database
from reserve.services import prune as retention

DEFAULT_DAYS = retention.RESULTS_RETENTION.days


def prune(
    retention_days: Annotated[
        int,
        typer.Option("--retention-days", min=0, help="Keep confirmation results this many days."),
    ] = DEFAULT_DAYS,
) -> None:
    """Delete confirmation (idempotency) results older than the retention and expired holds."""
    result = retention.prune(operator_database(), datetime.now(UTC), timedelta(days=retention_days))
    console.print(
        f"removed {result.results_deleted} confirmation results older than {retention_days} "
        f"days and {result.holds_deleted} expired holds",
        highlight=False,
    )


app = typer.Typer(help="Apply retention: old confirmation results, expired holds.")
app.command()(prune)
