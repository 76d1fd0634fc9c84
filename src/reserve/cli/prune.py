"""``reserve prune``: retention (old confirmation results, expired holds, old demand records)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from reserve.cli.context import console, load_settings, operator_database
from reserve.services import prune as retention

DEFAULT_DAYS = retention.RESULTS_RETENTION.days


def prune(
    retention_days: Annotated[
        int,
        typer.Option("--retention-days", min=0, help="Keep confirmation results this many days."),
    ] = DEFAULT_DAYS,
) -> None:
    """Delete confirmation (idempotency) results older than the retention, expired holds, and
    demand records older than RESERVE_DEMAND_RETENTION_DAYS."""
    settings = load_settings()
    demand_days = settings.demand_retention_days
    result = retention.prune(
        operator_database(settings),
        datetime.now(UTC),
        timedelta(days=retention_days),
        timedelta(days=demand_days),
    )
    console.print(
        f"removed {result.results_deleted} confirmation results older than {retention_days} "
        f"days, {result.holds_deleted} expired holds and {result.demand_deleted} demand "
        f"records older than {demand_days} days",
        highlight=False,
    )


app = typer.Typer(help="Apply retention: old confirmation results, expired holds, old demand.")
app.command()(prune)
