"""What a person watches: a live progress bar per concurrency level while requests run, and
the summary table at the end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from reserve.loadtest.log import Outcome, Record
from reserve.loadtest.metrics import LevelMetrics


class LiveProgress:
    """One bar per level: requests done of the level's total, the slot being filled, and a
    running tally of outcomes."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]concurrency {task.fields[concurrency]:>4}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("slot {task.fields[slot]}"),
            TextColumn("{task.fields[tally]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self._task: TaskID | None = None
        self._tally: Counter[Outcome] = Counter()

    def __enter__(self) -> LiveProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._progress.stop()

    def level(self, concurrency: int, total: int, done: int) -> None:
        """A level starts: ``total`` requests, ``done`` of them logged by an earlier run. The
        bars appear with the first level, after anything that stops a run before it starts."""
        if self._task is None:
            self._progress.start()
        self._tally = Counter()
        self._task = self._progress.add_task(
            "", total=total, completed=done, concurrency=concurrency, slot="", tally=""
        )

    def advance(self, record: Record) -> None:
        assert self._task is not None
        self._tally[record.outcome] += 1
        self._progress.update(self._task, advance=1, slot=record.slot, tally=tally(self._tally))


def tally(counts: Counter[Outcome]) -> str:
    booked = counts[Outcome.CONFIRMED_INLINE] + counts[Outcome.CONFIRMED_POLL]
    refused = counts[Outcome.REJECTED_NO_AVAILABILITY] + counts[Outcome.REJECTED_NOT_OFFERED]
    text = f"booked {booked} · refused {refused}"
    if counts[Outcome.PENDING_TIMEOUT]:
        text += f" · pending {counts[Outcome.PENDING_TIMEOUT]}"
    return text + f" · errors {counts[Outcome.ERROR]}"


def summary_table(title: str, levels: Sequence[LevelMetrics], integrity: Sequence[str]) -> Table:
    """One row per level; ``integrity`` is each level's integrity verdict as shown."""
    table = Table(title=title)
    for column in (
        "concurrency",
        "requests",
        "wall s",
        "req/s",
        "inline",
        "polled",
        "pending",
        "no table",
        "not offered",
        "errors",
        "covers",
        "seat waste",
        "tables/bkg",
        "submit p50 ms",
        "submit p99 ms",
        "total p99 ms",
        "integrity",
    ):
        table.add_column(column, justify="left" if column == "integrity" else "right")
    for level, verdict in zip(levels, integrity, strict=True):
        outcomes = level.outcomes
        table.add_row(
            str(level.concurrency),
            str(level.requests),
            f"{level.wall_seconds:.2f}",
            f"{level.requests_per_second:.0f}",
            str(outcomes[Outcome.CONFIRMED_INLINE]),
            str(outcomes[Outcome.CONFIRMED_POLL]),
            str(outcomes[Outcome.PENDING_TIMEOUT]),
            str(outcomes[Outcome.REJECTED_NO_AVAILABILITY]),
            str(outcomes[Outcome.REJECTED_NOT_OFFERED]),
            f"[red]{level.errors}[/red]" if level.errors else "0",
            str(level.covers_booked),
            _number(level.seat_waste, level.seat_waste_per_booking),
            _figure(level.tables_per_booking, 2),
            _figure(level.submit.p50, 1),
            _figure(level.submit.p99, 1),
            _figure(level.total.p99, 1),
            verdict,
        )
    return table


def _number(total: int, each: float | None) -> str:
    return f"{total} ({_figure(each, 2)}/bkg)"


def _figure(value: float | None, places: int) -> str:
    return "-" if value is None else f"{value:.{places}f}"
