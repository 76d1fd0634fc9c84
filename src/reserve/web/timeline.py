"""The host stand's timeline as a table: a row per table, grouped by zone, a column per
slot of the service day, and each booking, hold or block a cell spanning its slots; the
slot of the current time marked, and a footer of the covers starting in each slot.

A real table (not positioned boxes) reads in order to a screen reader, needs no inline
style (the pages' CSP allows none), and scrolls sideways on a narrow screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from reserve.domain.booking import Booking, Status
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
    covers: tuple[int, ...]  # the covers of the bookings starting in each slot
    pacing: int | None  # the most covers the venue lets start in a slot
    now: int | None  # the slot of the current time, when the day shown has it
    free_now: int | None  # the tables nothing occupies at this moment, then

    @property
    def width(self) -> int:
        return len(self.columns)

    @property
    def tables(self) -> int:
        return sum(len(zone.rows) for zone in self.zones)


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


# Bookings whose covers count against the venue's pacing.
_PACED = (Status.PENDING, Status.CONFIRMED, Status.SEATED, Status.COMPLETED)


def grid(
    venue: Venue,
    day: date,
    tables: list[TableDay],
    bookings: Sequence[Booking],
    now: datetime,
) -> Grid | None:
    """The day's grid, or None when the venue neither opens nor has anything on its floor
    that day. ``now`` is in the venue's zone."""
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
    column = (_minute(now, day) - first) // step
    shown = 0 <= column < width
    for table in tables:
        cells = _cells(table, day, first, step, width, column if shown else None)
        zones.setdefault(table.zone, []).append(Row(table, cells))
    covers = [0] * width
    for booking in bookings:
        starts = (_minute(booking.start_at, day) - first) // step
        if booking.status in _PACED and 0 <= starts < width:
            covers[starts] += booking.party_size
    return Grid(
        columns,
        tuple(Zone(names.get(key, key), tuple(rows)) for key, rows in zones.items()),
        tuple(covers),
        venue.max_covers_per_slot,
        column if shown else None,
        sum(1 for table in tables if not _taken_at(table, now)) if shown else None,
    )


def _taken_at(table: TableDay, moment: datetime) -> bool:
    return any(o.start_at <= moment < o.end_at for o in table.occupations)


def _cells(
    table: TableDay, day: date, first: int, step: int, width: int, now: int | None
) -> tuple[Bar, ...]:
    """The row's cells left to right: free gaps and occupations, each at least one slot,
    never overlapping once rounded to slots, clipped to the day shown. A free gap across
    the slot of the current time is split there, so the line drawn at it runs on."""
    cells: list[Bar] = []

    def free(start: int, end: int) -> None:
        if now is not None and start < now < end:
            cells.extend((Bar(now - start, None), Bar(end - now, None)))
        else:
            cells.append(Bar(end - start, None))

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
            free(column, start)
        cells.append(Bar(end - start, occupation))
        column = end
    if column < width:
        free(column, width)
    return tuple(cells)
