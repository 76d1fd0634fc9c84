"""``reserve report day``: a venue's day, its requests against the covers it seated and
against the offline optimum of the same requests."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Column, Table

from reserve.api.reports import DayReportOut
from reserve.cli.context import console, operator_database
from reserve.domain.errors import InvalidRequest
from reserve.services.report import TIME_LIMIT_SECONDS, DayReport, Tally, operator_day_report

app = typer.Typer(help="Reports of what the venue's tables and policy did.", no_args_is_help=True)

OUTCOME_NAMES = {
    "confirmed": "confirmed",
    "pending": "pending (not placed yet)",
    "held": "held",
    "full": "full",
    "paced": "paced",
    "declined": "declined (kept for others)",
    "not_offered": "not offered",
}


@app.command()
def day(
    restaurant: Annotated[str, typer.Option("--restaurant", help="The venue's slug.")],
    date: Annotated[str, typer.Option("--date", help="The service date, YYYY-MM-DD.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON, as the API sends it.")
    ] = False,
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", help="Seconds the solver may take for the optimum."),
    ] = TIME_LIMIT_SECONDS,
) -> None:
    """The day's requests by outcome, covers seated and turned away, seat waste, tables
    moved, walk-ins, and the most covers any allocator could have seated for the same
    requests (an integer program, solved with HiGHS)."""
    found = operator_day_report(operator_database(), restaurant, _date(date), time_limit=time_limit)
    if as_json:
        typer.echo(DayReportOut.of(found).model_dump_json(indent=2))
    else:
        _print(found)


def _date(text: str) -> dt.date:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidRequest(f"--date: {text!r} is not a date as YYYY-MM-DD", fields=("date",))


def _print(report: DayReport) -> None:
    covers = Table(
        Column("", no_wrap=True),
        Column("count", justify="right"),
        Column("covers", justify="right"),
        title=f"{report.restaurant} on {report.day:%A %Y-%m-%d}",
    )
    for outcome, tally in report.requests.items():
        _tally_row(covers, f"requests {OUTCOME_NAMES.get(outcome, outcome)}", tally)
    _tally_row(covers, "requests in all", report.requests_total, end_section=True)
    _tally_row(covers, "seated", report.seated)
    _tally_row(covers, "no-shows", report.no_shows)
    _tally_row(covers, "walk-ins", report.walk_ins, end_section=True)
    for outcome, tally in report.turned_away.items():
        _tally_row(covers, f"turned away {OUTCOME_NAMES[outcome]}", tally)
    _tally_row(covers, "turned away in all", report.turned_away_total)
    console.print(covers)

    waste, moved, best = report.seat_waste, report.tables_moved, report.optimum
    figures = Table(Column("", no_wrap=True), Column("", overflow="fold"), show_header=False)
    figures.add_row(
        "seat waste",
        f"{waste.wasted} of {waste.seats} seats ({_percent(waste.share)}) "
        f"over {waste.bookings} bookings at tables",
    )
    figures.add_row(
        "tables moved", f"{moved.total} (allocator {moved.allocator}, staff {moved.staff})"
    )
    figures.add_row(
        "optimum",
        f"{best.covers} covers of {best.covers_asked} asked in {best.requests} requests"
        + ("" if best.proven else f", at most {best.bound}"),
    )
    figures.add_row(
        "proven optimal",
        ("yes" if best.proven else "no")
        + f" ({best.status}, {best.seconds:.2f} s of {best.time_limit:g} s)",
    )
    share = _percent(best.share)
    if not best.proven:
        share = f"{_percent(best.share_of_bound)} to {share}"
    figures.add_row("venue booked", f"{best.venue_covers} covers, {share} of the optimum")
    console.print(figures)


def _tally_row(table: Table, name: str, tally: Tally, *, end_section: bool = False) -> None:
    table.add_row(name, str(tally.count), str(tally.covers), end_section=end_section)


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{100 * share:.1f}%"
