"""The host stand's timeline as a table: a row per table, grouped by zone, a column per
slot of the service day, and each booking, hold or block a cell spanning its slots.

A real table (not positioned boxes) reads in order to a screen reader, needs no inline
style (the pages' CSP allows none), and scrolls sideways on a narrow screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from reserve.domain.venue import Venue
from reserve.services.floor import Occupation, TableDay

DAY_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class Bar:
    """What takes a table for ``span`` slots."""

    span: int
    occupation: Occupation | None  # None: free


@dataclass(frozen=True, slots=True)
class Row:
    table: TableDay
    cells: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class Zone:
    name: str
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Grid:
    columns: tuple[time, ...]  # the start of each slot
    zones: tuple[Zone, ...]

    @property
    def width(self) -> int:
        return len(self.columns)


def _minute(moment: datetime, day: date) -> int:
    """Minutes from the start of ``day`` to ``moment`` on the wall clock (the next day's
    times count on, past 24:00)."""
    return (moment.date() - day).days * DAY_MINUTES + moment.hour * 60 + moment.minute


def hours(venue: Venue, day: date, tables: list[TableDay]) -> tuple[int, int] | None:
    """The service day in minutes, from the first opening to the last closing; on a day
    without service, what is on the floor that day; None when there is neither."""
    periods = [p for p in venue.periods if day.isoweekday() in p.weekdays]
    if periods:
        first = min(p.start.hour * 60 + p.start.minute for p in periods)
        last = max(
            DAY_MINUTES if p.end is None else p.end.hour * 60 + p.end.minute for p in periods
        )
        return first, last
    taken = [o for table in tables for o in table.occupations]
    if not taken:
        return None
    return (
        min(_minute(o.start_at, day) for o in taken),
        max(_minute(o.end_at, day) for o in taken),
    )


def grid(venue: Venue, day: date, tables: list[TableDay]) -> Grid | None:
    span = hours(venue, day, tables)
    if span is None:
        return None
    step = venue.slot_interval_minutes
    first = span[0] - span[0] % step
    width = max(1, math.ceil((span[1] - first) / step))
    midnight = datetime(day.year, day.month, day.day)
    columns = tuple((midnight + timedelta(minutes=first + n * step)).time() for n in range(width))
    names = {zone.key: zone.name for zone in venue.zones}
    zones: dict[str, list[Row]] = {}
    for table in tables:
        zones.setdefault(table.zone, []).append(Row(table, _cells(table, day, first, step, width)))
    return Grid(
        columns, tuple(Zone(names.get(key, key), tuple(rows)) for key, rows in zones.items())
    )


def _cells(table: TableDay, day: date, first: int, step: int, width: int) -> tuple[Bar, ...]:
    """The row's cells left to right: free gaps and occupations, each at least one slot,
    never overlapping once rounded to slots, clipped to the day shown."""
    cells: list[Bar] = []
    column = 0
    for occupation in sorted(table.occupations, key=lambda o: o.start_at):
        if _minute(occupation.end_at, day) <= first:
            continue  # over before the day shown begins
        start = max(column, (_minute(occupation.start_at, day) - first) // step)
        end = min(
            width, max(start + 1, math.ceil((_minute(occupation.end_at, day) - first) / step))
        )
        if start >= width or end <= column:
            continue
        if start > column:
            cells.append(Bar(start - column, None))
        cells.append(Bar(end - start, occupation))
        column = end
    if column < width:
        cells.append(Bar(width - column, None))
    return tuple(cells)
