"""What a person watches: a live progress bar per concurrency level while requests run, and
the summary at the end: the table of levels and what it concludes, the outcomes a clean run
has none of, the seat-waste anomalies, and the pictures (``chart``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from types import TracebackType

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
)
from rich.table import Table
from rich.text import Text

from reserve.loadtest.chart import WIDTH, latency_chart, seats_chart
from reserve.loadtest.compare import clients
from reserve.loadtest.engine import LevelResult, Result
from reserve.loadtest.log import Outcome, Record
from reserve.loadtest.metrics import NOTABLE, LevelMetrics
from reserve.loadtest.waste import is_anomaly

# The anomalies listed per level, the most avoidable first (the JSON has them all).
ANOMALIES_LISTED = 8


class LiveProgress:
    """One bar per level: requests done of the level's total, the slot being filled, and a
    running tally of outcomes and seat-waste anomalies, in 80 columns while nothing is left
    pending (the summary has the times)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.fields[clients]:>10}"),
            BarColumn(bar_width=8),
            MofNCompleteColumn(),
            TextColumn("{task.fields[slot]}"),
            TextColumn("{task.fields[tally]}"),
            console=console,
        )
        self._task: TaskID | None = None
        self._tally: Counter[Outcome] = Counter()
        self._anomalies = 0

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
        self._anomalies = 0
        self._task = self._progress.add_task(
            "", total=total, completed=done, clients=clients(concurrency), slot="", tally=""
        )

    def advance(self, record: Record) -> None:
        assert self._task is not None
        self._tally[record.outcome] += 1
        self._anomalies += is_anomaly(record)
        self._progress.update(
            self._task,
            advance=1,
            slot=record.slot,
            tally=tally(self._tally, self._anomalies),
        )

    def checked(self, anomalies: int) -> None:
        """The level's anomalies counted again with the tables still free after it."""
        assert self._task is not None
        self._anomalies = anomalies
        self._progress.update(self._task, tally=tally(self._tally, anomalies))


def tally(counts: Counter[Outcome], anomalies: int = 0) -> str:
    """The running counts: booked, refused, pending ones when there are any, errors, and the
    seat-waste anomalies (half-empty tables until the level is checked)."""
    booked = counts[Outcome.CONFIRMED_INLINE] + counts[Outcome.CONFIRMED_POLL]
    refused = counts[Outcome.REJECTED_NO_AVAILABILITY] + counts[Outcome.REJECTED_NOT_OFFERED]
    text = f"booked {booked} refused {refused}"
    if counts[Outcome.PENDING_TIMEOUT]:
        text += f" [yellow]pending {counts[Outcome.PENDING_TIMEOUT]}[/yellow]"
    errors = counts[Outcome.ERROR]
    text += f" [red]errors {errors}[/red]" if errors else " errors 0"
    return text + f" anomalies {anomalies}"


class LogLine(Text):
    """A line of the log, printed whole however narrow the summary: the terminal wraps it,
    and a copy of it is exact."""


def print_summary(console: Console, title: str, result: Result) -> None:
    """The summary, in at most ``WIDTH`` columns however wide the console."""
    width = min(console.width, WIDTH)
    for part in summary(title, result, width):
        if isinstance(part, LogLine):
            console.print(part, soft_wrap=True, highlight=False)
        else:
            console.print(part, width=width, highlight=False)


def summary(title: str, result: Result, width: int = WIDTH) -> list[RenderableType]:
    """Everything the summary shows, in order."""
    levels = result.levels
    metrics = [level.metrics for level in levels]
    parts: list[RenderableType] = [
        Text(title, style="bold"),
        summary_table(levels),
        *(Text(sentence) for sentence in result.conclusion()),
        "",
        *outcome_states(levels),
        "",
        *anomalies(levels),
        "",
        seats_chart(metrics, width),
        "",
        latency_chart(metrics, width),
    ]
    return parts


def summary_table(levels: Sequence[LevelResult]) -> Table:
    """One column per level, one row per figure; the figures a clean run has none of are
    coloured when it has some."""
    table = Table(show_header=True, header_style="bold")
    table.add_column("")
    for level in levels:
        table.add_column(clients(level.metrics.concurrency), justify="right")
    rows: list[tuple[str, list[str]]] = [
        ("requests", [str(m.requests) for m in _metrics(levels)]),
        ("wall s", [f"{m.wall_seconds:.2f}" for m in _metrics(levels)]),
        ("requests/s", [f"{m.requests_per_second:.0f}" for m in _metrics(levels)]),
        ("confirmed at once", _counts(levels, Outcome.CONFIRMED_INLINE, "")),
        ("answered pending, confirmed", _counts(levels, Outcome.CONFIRMED_POLL, "yellow")),
        ("still pending at timeout", _counts(levels, Outcome.PENDING_TIMEOUT, "bold yellow")),
        ("refused: no table (409)", _counts(levels, Outcome.REJECTED_NO_AVAILABILITY, "")),
        ("refused: not offered (422)", _counts(levels, Outcome.REJECTED_NOT_OFFERED, "")),
        ("errors", _counts(levels, Outcome.ERROR, "bold red")),
        ("covers", [str(m.covers_booked) for m in _metrics(levels)]),
        (
            "seat waste (per booking)",
            [f"{m.seat_waste} ({_figure(m.seat_waste_per_booking, 2)})" for m in _metrics(levels)],
        ),
        (
            "waste anomalies",
            [_coloured(len(level.anomalies.found), "yellow") for level in levels],
        ),
        ("tables per booking", [_figure(m.tables_per_booking, 2) for m in _metrics(levels)]),
        (
            "submit p50 / p99 ms",
            [f"{_figure(m.submit.p50, 1)} / {_figure(m.submit.p99, 1)}" for m in _metrics(levels)],
        ),
        ("total p99 ms", [_figure(m.total.p99, 1) for m in _metrics(levels)]),
        ("day-lock wait/req ms (share)", [_lock(level) for level in levels]),
        (
            "integrity",
            [
                "(earlier run)" if level.integrity is None else level.integrity.verdict()
                for level in levels
            ],
        ),
    ]
    for name, cells in rows:
        table.add_row(name, *cells)
    return table


def outcome_states(levels: Sequence[LevelResult]) -> list[RenderableType]:
    """The requests answered pending, left pending or ended in error: counted per level and
    the first of each listed with its line in the log; one green line when there are none."""
    counts = {o: [(lv.metrics, lv.metrics.states[o].count) for lv in levels] for o in NOTABLE}
    if not any(count for per_level in counts.values() for _, count in per_level):
        return [Text("Outcomes: none answered pending, none left pending, no errors.", "green")]
    parts: list[RenderableType] = []
    for outcome in NOTABLE:
        found = [(metrics, count) for metrics, count in counts[outcome] if count]
        if not found:
            continue
        where = ", ".join(f"{count} at {clients(m.concurrency)}" for m, count in found)
        parts.append(Text(f"{_STATES[outcome][0]}: {where}", _STATES[outcome][1]))
        for metrics, _ in found:
            for logged in metrics.states[outcome].first:
                record = logged.record
                line = "?" if logged.line is None else str(logged.line)
                parts.append(
                    Text(f"  log line {line}: {_told(record)}", no_wrap=False, overflow="fold")
                )
                parts.append(LogLine("    " + record.to_line().strip(), "dim"))
    return parts


def anomalies(levels: Sequence[LevelResult]) -> list[RenderableType]:
    """The seat-waste anomalies per level, the most avoidable first."""
    counts = ", ".join(
        f"{len(level.anomalies.found)} at {clients(level.metrics.concurrency)}" for level in levels
    )
    found = [anomaly for level in levels for anomaly in level.anomalies.found]
    parts: list[RenderableType] = [
        Text(
            "Seat-waste anomalies (bookings with half their seats or more empty, or with a "
            f"better fit still free after the level): {counts}.",
            "yellow" if found else "green",
        )
    ]
    unmade = {level.anomalies.fit_check for level in levels if level.anomalies.fit_check}
    parts.extend(Text(f"The better-fit comparison was {note}.") for note in sorted(unmade))
    if not found:
        return parts
    better = sum(anomaly.better_fit_free for anomaly in found)
    smallest = sum(anomaly.smallest_fit for anomaly in found)
    checked = "" if unmade else f"{better or 'None'} had a better fit free; "
    parts.append(
        Text(
            f"{checked}{smallest} of the {len(found)} sat at the smallest table of the floor "
            "that fits the party."
        )
    )
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("clients", "slot", "party", "tables", "empty", "why"):
        table.add_column(column, justify="right" if column in ("clients", "party") else "left")
    more = 0
    for level in levels:
        found = level.anomalies.found
        more += max(len(found) - ANOMALIES_LISTED, 0)
        for anomaly in found[:ANOMALIES_LISTED]:
            table.add_row(
                str(level.metrics.concurrency),
                anomaly.slot,
                str(anomaly.party_size),
                "+".join(anomaly.tables),
                f"{anomaly.waste} of {anomaly.seats}",
                anomaly.why,
            )
    parts.append(table)
    if more:
        parts.append(
            Text(
                f"The first {ANOMALIES_LISTED} of each level; {more} more are in the metrics "
                "JSON (seat_waste_anomalies)."
            )
        )
    return parts


_STATES = {
    Outcome.CONFIRMED_POLL: ("Answered pending (202), confirmed while polling", "yellow"),
    Outcome.PENDING_TIMEOUT: ("Still pending at the poll timeout", "bold yellow"),
    Outcome.ERROR: ("Ended in error", "bold red"),
}


def _told(record: Record) -> str:
    """A request's outcome in a few words."""
    said = [f"{clients(record.concurrency)}, {record.slot} #{record.request}"]
    said.append(f"party of {record.party_size}")
    if record.http_status is not None:
        said.append(f"HTTP {record.http_status}")
    if record.problem:
        said.append(record.problem)
    if record.poll_ms is not None:
        said.append(f"polled {record.poll_ms / 1000:.1f} s")
    if record.detail:
        said.append(record.detail)
    return ", ".join(said)


def _metrics(levels: Sequence[LevelResult]) -> list[LevelMetrics]:
    return [level.metrics for level in levels]


def _counts(levels: Sequence[LevelResult], outcome: Outcome, style: str) -> list[str]:
    return [_coloured(level.metrics.outcomes[outcome], style) for level in levels]


def _coloured(count: int, style: str) -> str:
    return f"[{style}]{count}[/{style}]" if count and style else str(count)


def _lock(level: LevelResult) -> str:
    lock, metrics = level.lock_wait, level.metrics
    if lock.seconds is None or not metrics.requests:
        return "not known"
    share = lock.share_of(metrics.submit_total_ms)
    each = lock.seconds * 1000 / metrics.requests
    return f"{each:.1f} ({share:.0%})" if share is not None else f"{each:.1f}"


def _figure(value: float | None, places: int) -> str:
    return "-" if value is None else f"{value:.{places}f}"
