"""The timeline grid: each table's day as cells, free or taken, on the venue's slots."""

from __future__ import annotations

from datetime import date, datetime, time
from uuid import UUID
from zoneinfo import ZoneInfo

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
    shown = grid(VENUE, MONDAY, [TableDay("T1", "main", 2, occupations)])
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
    assert grid(VENUE, sunday, [TableDay("T1", "main", 2, ())]) is None
    block = Occupation("block", UUID(int=2), at(10, day=6), at(11, day=6), None, None, None)
    shown = grid(VENUE, sunday, [TableDay("T1", "main", 2, (block,))])
    assert shown is not None
    assert [c.span for c in shown.zones[0].rows[0].cells] == [4]
