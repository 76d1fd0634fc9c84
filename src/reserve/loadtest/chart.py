"""The summary's pictures, drawn in text so that they fit a terminal of ``width`` columns
(80 by default) and paste into a document: the floor at each slot's time, level beside
level, and how long submitting took, level beside level. The figures are in the metrics
JSON (``seats_by_slot``, ``submit_distribution_ms``) for anyone who wants to plot them."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.text import Text

from reserve.loadtest.compare import clients
from reserve.loadtest.metrics import Bucket, LevelMetrics

WIDTH = 80
GUESTS, EMPTY, FREE = "█", "▒", "·"
SHARE = "■"
SLOT_WIDTH = 5
GAP = 2
SMALLEST_BAR = 4


def seats_chart(levels: Sequence[LevelMetrics], width: int = WIDTH) -> Group:
    """Per slot, one bar per level: the guests at tables at that time, the seats their tables
    leave empty, and the seats free, out of the floor's; then guests+empty in figures."""
    seats = max((level.floor_seats for level in levels), default=0)
    figures = [[f"{row.covers}+{row.empty}" for row in level.seats_at] for level in levels]
    numbers = max((len(text) for column in figures for text in column), default=0)
    bar = _bar_width(width - SLOT_WIDTH, len(levels), numbers + 1)
    if bar < SMALLEST_BAR:  # too many levels for figures beside the bars
        numbers, bar = 0, _bar_width(width - SLOT_WIDTH, len(levels), 0)
    cell = bar + (numbers + 1 if numbers else 0)
    lines = [
        Text.assemble(
            f"Seats at each slot, of the floor's {seats}: ",
            (GUESTS, "green"),
            " guests ",
            (EMPTY, "yellow"),
            " empty at their tables ",
            (FREE, "dim"),
            " free",
        ),
        _header("slot", SLOT_WIDTH, [clients(level.concurrency) for level in levels], cell),
    ]
    slots = [row.slot for row in levels[0].seats_at] if levels else []
    for index, slot in enumerate(slots):
        line = Text(slot.ljust(SLOT_WIDTH), no_wrap=True)
        for level, column in zip(levels, figures, strict=True):
            row = level.seats_at[index]
            line.append(" " * GAP)
            line.append_text(_stacked(row.covers, row.empty, seats, bar))
            if numbers:
                line.append(" " + column[index].rjust(numbers))
        lines.append(line)
    return Group(*lines)


def latency_chart(levels: Sequence[LevelMetrics], width: int = WIDTH) -> Group:
    """Per bucket of submit time, one bar per level: its share of the level's requests, and
    how many they were."""
    buckets = [level.submit_distribution for level in levels]
    used = [i for i in range(len(buckets[0]) if buckets else 0) if any(b[i].count for b in buckets)]
    label_width = max((len(_bucket_name(buckets[0][i])) for i in used), default=0)
    numbers = max((len(str(b[i].count)) for b in buckets for i in used), default=0)
    bar = max(_bar_width(width - label_width, len(levels), numbers + 1), 1)
    cell = bar + numbers + 1
    lines = [
        Text("Submit time, ms: the share of each level's requests answered in it"),
        _header("ms", label_width, [clients(level.concurrency) for level in levels], cell),
    ]
    if not used:
        return Group(*lines)
    for i in range(used[0], used[-1] + 1):
        line = Text(_bucket_name(buckets[0][i]).rjust(label_width), no_wrap=True)
        for level in buckets:
            total = sum(bucket.count for bucket in level) or 1
            count = level[i].count
            filled = round(count / total * bar) or (1 if count else 0)
            line.append(" " * GAP)
            line.append(SHARE * filled, "cyan")
            line.append(" " * (bar - filled))
            line.append(" " + str(count).rjust(numbers), "dim" if not count else "")
        lines.append(line)
    return Group(*lines)


def _bar_width(room: int, levels: int, beside: int) -> int:
    """The widest bar that fits ``levels`` cells, each a gap, a bar and ``beside`` more."""
    if levels == 0:
        return 0
    return (room - levels * (GAP + beside)) // levels


def _header(first: str, first_width: int, names: Sequence[str], cell: int) -> Text:
    line = Text(first.ljust(first_width)[:first_width], style="bold", no_wrap=True)
    for name in names:
        line.append(" " * GAP)
        line.append(name[:cell].ljust(cell))
    line.rstrip()
    return line


def _stacked(covers: int, empty: int, seats: int, width: int) -> Text:
    """A bar of ``width`` for ``seats``: guests, then empty seats at their tables, then free
    (rounded on the running total, so the parts always fill the bar exactly)."""
    if seats <= 0:
        return Text(FREE * width, "dim")
    guests = min(round(covers / seats * width), width)
    taken = min(round((covers + empty) / seats * width), width)
    return Text.assemble(
        (GUESTS * guests, "green"),
        (EMPTY * (taken - guests), "yellow"),
        (FREE * (width - taken), "dim"),
    )


def _bucket_name(bucket: Bucket) -> str:
    low = f"{bucket.from_ms:g}"
    if bucket.to_ms is None:
        return f"≥{low}"
    return f"<{bucket.to_ms:g}" if bucket.from_ms == 0 else f"{low}-{bucket.to_ms:g}"
