"""The timeline grid: each table's day as cells, free or taken, on the venue's slots; the
slot of the current time, the covers starting in each slot, and the tables free now."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from uuid import UUID
from zoneinfo import ZoneInfo

from reserve.domain.booking import Booking, Guest, Source, Status
from reserve.domain.venue import ServicePeriod, Venue, Zone
from reserve.services.floor import Occupation, TableDay
from reserve.web.timeline import grid

LONDON = ZoneInfo("Europe/London")
MONDAY = date(2026, 12, 7)
VENUE = Venue(
    slug="v",
    name="V",
    timezone="Europe/London",
    zones=(Zone("main", "Main room"),),
    periods=(ServicePeriod("dinner", (1, 2, 3, 4, 5), time(18), time(22)),),
)


def at(hour: int, minute: int = 0, day: int = 7) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=LONDON)


def taken(start: datetime, end: datetime, kind: str = "booking") -> Occupation:
    return Occupation(kind, UUID(int=1), start, end, 2, "confirmed", "Ada")


def row_of(*occupations: Occupation) -> list[tuple[int, str | None]]:
    shown = grid(VENUE, MONDAY, [TableDay("T1", "main", 2, occupations)], [], at(12))
    assert shown is not None
    assert shown.width == 16  # 18:00 to 22:00 in quarters
    (zone,) = shown.zones
    assert zone.name == "Main room"
    return [
        (c.span, None if c.occupation is None else c.occupation.kind) for c in zone.rows[0].cells
    ]


def test_a_booking_spans_its_slots_between_free_ones() -> None:
    assert row_of(taken(at(19), at(20, 35))) == [(4, None), (7, "booking"), (5, None)]


def test_back_to_back_windows_never_overlap_once_rounded() -> None:
    cells = row_of(taken(at(19), at(19, 20)), taken(at(19, 20), at(20)))
    assert cells == [(4, None), (2, "booking"), (2, "booking"), (8, None)]


def test_windows_outside_the_day_shown_are_clipped_or_left_out() -> None:
    early = taken(at(12), at(13), kind="block")
    late = taken(at(21, 30), at(0, 30, day=8))
    assert row_of(early, late) == [(14, None), (2, "booking")]


def test_a_day_without_service_shows_what_is_on_the_floor_or_nothing() -> None:
    sunday = date(2026, 12, 6)
    assert grid(VENUE, sunday, [TableDay("T1", "main", 2, ())], [], at(12)) is None
    block = Occupation("block", UUID(int=2), at(10, day=6), at(11, day=6), None, None, None)
    shown = grid(VENUE, sunday, [TableDay("T1", "main", 2, (block,))], [], at(12))
    assert shown is not None
    assert [c.span for c in shown.zones[0].rows[0].cells] == [4]


def booking(start: datetime, party_size: int, status: Status = Status.CONFIRMED) -> Booking:
    return Booking(
        id=UUID(int=party_size),
        reference="R",
        restaurant="v",
        status=status,
        party_size=party_size,
        day=MONDAY,
        local_time=start.time(),
        start_at=start,
        end_at=start,
        tables=(),
        zone=None,
        guest=Guest("Ada", "ada@example.com", None),
        notes="",
        source=Source.WEB,
        created_at=start,
        updated_at=start,
    )


def test_the_footer_counts_the_covers_starting_in_each_slot_cancelled_ones_aside() -> None:
    pacing = dataclasses.replace(VENUE, max_covers_per_slot=6)
    bookings = [
        booking(at(18), 2),
        booking(at(18, 10), 3),  # in the 18:00 slot too
        booking(at(19), 4),
        booking(at(19), 5, Status.CANCELLED),
        booking(at(21, 45), 7, Status.SEATED),
    ]
    shown = grid(pacing, MONDAY, [TableDay("T1", "main", 2, ())], bookings, at(12))
    assert shown is not None
    assert shown.covers == (5, 0, 0, 0, 4) + (0,) * 10 + (7,)
    assert shown.pacing == 6


def test_the_current_slot_and_the_tables_free_now_only_on_the_day_shown() -> None:
    tables = [
        TableDay("T1", "main", 2, (taken(at(19), at(20, 35)),)),
        TableDay("T2", "main", 2, (taken(at(20, 35), at(22)),)),
        TableDay("T3", "main", 4, ()),
    ]
    during = grid(VENUE, MONDAY, tables, [], at(19, 50))
    assert during is not None
    assert (during.now, during.free_now, during.tables) == (7, 2, 3)
    # Outside the service shown (the afternoon, another day) nothing is marked.
    for now in (at(12), at(19, 50, day=8)):
        other = grid(VENUE, MONDAY, tables, [], now)
        assert other is not None
        assert (other.now, other.free_now) == (None, None)


def test_a_free_gap_is_split_at_the_current_slot_so_its_line_runs_through() -> None:
    early = TableDay("T1", "main", 2, (taken(at(18), at(18, 30)),))
    across = TableDay("T2", "main", 2, (taken(at(19, 30), at(20, 30)),))
    shown = grid(VENUE, MONDAY, [early, across], [], at(19, 50))
    assert shown is not None
    first, second = (
        [(c.span, c.occupation is None) for c in row.cells] for row in shown.zones[0].rows
    )
    assert first == [(2, False), (5, True), (9, True)]
    assert second == [(6, True), (4, False), (6, True)]  # a party sits across the line
