"""The timing rules: which starts a venue offers, for how long, and when it takes bookings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reserve
from reserve.api.problems import problem_of
from reserve.domain.errors import OutsideServiceHours, TooFarAhead, TooLate
from reserve.domain.timing import (
    OfferedTime,
    check_booking_window,
    offered_time,
    offered_times,
    opens_on,
    service_for,
    walk_in_time,
)
from reserve.domain.venue import Closure, Service, ServicePeriod, TurnBand, Venue
from reserve.domain.venue_document import load_venue_toml

WHITE_HORSE = Path(reserve.__file__).parent / "venues" / "white-horse.toml"
MONDAY = date(2026, 3, 30)
SATURDAY = date(2026, 3, 28)
SPRING_FORWARD = date(2026, 3, 29)  # London: 01:00 GMT becomes 02:00 BST
FALL_BACK = date(2026, 10, 25)  # London: 02:00 BST becomes 01:00 GMT
LONDON = ZoneInfo("Europe/London")
EVERY_DAY = (1, 2, 3, 4, 5, 6, 7)


@cache
def white_horse() -> Venue:
    return load_venue_toml(WHITE_HORSE.read_text(encoding="utf-8"))


def venue_open(
    *hours: tuple[time, time | None],
    minutes: int = 60,
    closures: Sequence[Closure] = (),
    buffer_minutes: int = 0,
) -> Venue:
    """A venue open every day for ``hours``, one service, every party staying ``minutes``."""
    return Venue(
        slug="test",
        name="Test Kitchen",
        timezone="Europe/London",
        buffer_minutes=buffer_minutes,
        services=(Service("all", (TurnBand(20, minutes),)),),
        periods=tuple(ServicePeriod("all", EVERY_DAY, start, end) for start, end in hours),
        closures=tuple(closures),
    )


def clocks(offers: Sequence[OfferedTime]) -> list[str]:
    return [offer.local_time.strftime("%H:%M") for offer in offers]


def every(minutes: int, first: str, last: str) -> list[str]:
    """Wall-clock starts from ``first`` to ``last`` inclusive, ``minutes`` apart."""
    start, stop = (datetime.strptime(text, "%H:%M") for text in (first, last))
    count = int((stop - start).total_seconds()) // 60 // minutes + 1
    return [(start + timedelta(minutes=minutes * i)).strftime("%H:%M") for i in range(count)]


def elapsed(first: datetime, second: datetime) -> timedelta:
    """Real time between two aware instants (subtracting in one zone uses the wall clock)."""
    return second.astimezone(UTC) - first.astimezone(UTC)


# The White Horse ------------------------------------------------------------------------


def test_a_pair_can_start_every_quarter_hour_from_noon_to_nine_on_a_monday() -> None:
    offers = offered_times(white_horse(), MONDAY, 2)

    assert clocks(offers) == every(15, "12:00", "21:00")


def test_the_last_dinner_start_for_a_party_of_eight_is_half_past_eight() -> None:
    offers = offered_times(white_horse(), MONDAY, 8)

    assert clocks(offers)[-1] == "20:30"
    assert offers[-1].service == "dinner"
    assert offers[-1].turn_minutes == 90


def test_an_offer_carries_its_real_start_end_and_occupied_window() -> None:
    offer = offered_time(white_horse(), MONDAY, time(12), 2)

    assert offer.start_at == datetime(2026, 3, 30, 12, tzinfo=LONDON)
    assert offer.end_at == datetime(2026, 3, 30, 13, tzinfo=LONDON)
    assert offer.occupied_until == datetime(2026, 3, 30, 13, 5, tzinfo=LONDON)
    assert offer.start_at.tzinfo is LONDON


def test_lunch_turn_times_come_from_the_lunch_bands() -> None:
    venue = white_horse()

    assert offered_time(venue, MONDAY, time(12), 4).turn_minutes == 75
    assert offered_time(venue, MONDAY, time(12), 6).turn_minutes == 85
    assert offered_time(venue, MONDAY, time(12), 8).turn_minutes == 85
    assert offered_time(venue, MONDAY, time(17), 8).turn_minutes == 90


def test_a_party_above_the_last_band_uses_the_last_band() -> None:
    offer = offered_time(white_horse(), MONDAY, time(18), 12)

    assert (offer.service, offer.turn_minutes) == ("dinner", 90)


def test_a_late_lunch_is_offered_because_lunch_runs_on_into_drinks() -> None:
    offer = offered_time(white_horse(), MONDAY, time(14, 45), 4)

    assert (offer.service, offer.turn_minutes) == ("lunch", 75)
    assert offer.end_at == datetime(2026, 3, 30, 16, tzinfo=LONDON)


def test_the_white_horse_offers_nothing_on_a_saturday() -> None:
    venue = white_horse()

    assert offered_times(venue, SATURDAY, 2) == []
    with pytest.raises(OutsideServiceHours, match="not open on Saturdays"):
        offered_time(venue, SATURDAY, time(12), 2)


def test_nothing_is_offered_on_a_closure_date_and_the_refusal_gives_the_reason() -> None:
    venue = venue_open((time(12), time(22)), closures=[Closure(MONDAY, "private event")])

    assert offered_times(venue, MONDAY, 2) == []
    assert offered_times(venue, MONDAY + timedelta(days=7), 2) != []
    with pytest.raises(OutsideServiceHours, match=r"closed on Monday 2026-03-30 \(private event"):
        offered_time(venue, MONDAY, time(12), 2)


def test_a_start_off_the_slot_grid_is_refused() -> None:
    with pytest.raises(OutsideServiceHours, match="every 15 minutes from 12:00") as refused:
        offered_time(white_horse(), MONDAY, time(12, 7), 2)

    assert problem_of(refused.value) == ("outside-service-hours", 422)


def test_a_start_with_seconds_is_off_the_grid() -> None:
    with pytest.raises(OutsideServiceHours, match="not a bookable start"):
        offered_time(white_horse(), MONDAY, time(12, 0, 30), 2)


def test_a_start_outside_every_period_is_refused_with_the_hours() -> None:
    with pytest.raises(OutsideServiceHours, match=r"outside service hours .*17:00-22:00"):
        offered_time(white_horse(), MONDAY, time(22), 2)


def test_a_start_whose_booking_would_run_past_closing_is_refused() -> None:
    with pytest.raises(OutsideServiceHours, match="stays 90 minutes, past closing time at 22:00"):
        offered_time(white_horse(), MONDAY, time(20, 45), 8)


# Closing time ---------------------------------------------------------------------------


def test_a_gap_between_periods_closes_the_first_one() -> None:
    venue = venue_open((time(12), time(15)), (time(18), time(22)))

    offers = offered_times(venue, MONDAY, 2)

    assert clocks(offers) == every(15, "12:00", "14:00") + every(15, "18:00", "21:00")
    with pytest.raises(OutsideServiceHours, match="past closing time at 15:00"):
        offered_time(venue, MONDAY, time(14, 30), 2)


def test_periods_listed_out_of_order_still_chain() -> None:
    venue = venue_open((time(15), time(17)), (time(12), time(15)), minutes=120)

    assert clocks(offered_times(venue, MONDAY, 2)) == every(15, "12:00", "15:00")


def test_a_period_ending_at_midnight_does_not_run_on_into_the_next_morning() -> None:
    venue = venue_open((time(0), time(2)), (time(20), None))

    offers = offered_times(venue, MONDAY, 2)

    assert clocks(offers) == every(15, "00:00", "01:00") + every(15, "20:00", "23:00")
    assert offers[-1].end_at == datetime(2026, 3, 31, 0, tzinfo=LONDON)


# Daylight saving ------------------------------------------------------------------------


def test_the_hour_the_clocks_skip_is_not_offered() -> None:
    venue = venue_open((time(0), time(4)))

    offers = offered_times(venue, SPRING_FORWARD, 2)

    assert clocks(offers) == every(15, "00:00", "00:45") + every(15, "02:00", "03:00")
    with pytest.raises(OutsideServiceHours, match="clocks go forward"):
        offered_time(venue, SPRING_FORWARD, time(1, 30), 2)


def test_a_booking_across_the_spring_jump_lasts_its_turn_in_real_time() -> None:
    offer = offered_time(venue_open((time(0), time(4))), SPRING_FORWARD, time(0, 30), 2)

    assert offer.end_at.strftime("%H:%M %Z") == "02:30 BST"
    assert elapsed(offer.start_at, offer.end_at) == timedelta(minutes=60)


def test_an_hour_the_clocks_repeat_is_offered_once_as_its_first_occurrence() -> None:
    venue = venue_open((time(0), time(4)))

    offers = offered_times(venue, FALL_BACK, 2)
    one_am = offered_time(venue, FALL_BACK, time(1), 2)

    assert clocks(offers) == every(15, "00:00", "03:00")
    assert one_am == offers[4]
    assert one_am.start_at.fold == 0
    assert one_am.start_at.strftime("%H:%M %Z") == "01:00 BST"
    assert one_am.end_at.strftime("%H:%M %Z") == "01:00 GMT"
    assert elapsed(one_am.start_at, one_am.end_at) == timedelta(minutes=60)


def test_the_buffer_is_real_time_across_the_autumn_change() -> None:
    venue = venue_open((time(0), time(4)), buffer_minutes=30)

    offer = offered_time(venue, FALL_BACK, time(0, 45), 2)

    assert offer.end_at.strftime("%H:%M %Z") == "01:45 BST"
    assert offer.occupied_until.strftime("%H:%M %Z") == "01:15 GMT"
    assert elapsed(offer.end_at, offer.occupied_until) == timedelta(minutes=30)


def test_a_closing_time_the_clocks_skip_falls_when_they_jump() -> None:
    venue = venue_open((time(0), time(1, 30)))

    offers = offered_times(venue, SPRING_FORWARD, 2)

    assert clocks(offers) == ["00:00"]
    assert offers[0].end_at.strftime("%H:%M %Z") == "02:00 BST"


def test_an_ambiguous_closing_time_is_its_first_occurrence() -> None:
    venue = venue_open((time(0), time(1, 30)))

    assert clocks(offered_times(venue, FALL_BACK, 2)) == ["00:00", "00:15", "00:30"]


# The booking window ---------------------------------------------------------------------


def windowed(lead_time_minutes: int = 0, booking_horizon_days: int = 90) -> Venue:
    return Venue(
        slug="test",
        name="Test Kitchen",
        timezone="Europe/London",
        lead_time_minutes=lead_time_minutes,
        booking_horizon_days=booking_horizon_days,
    )


NOW = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # already 1 July in London


def test_a_start_in_the_past_is_too_late() -> None:
    with pytest.raises(TooLate, match="already passed"):
        check_booking_window(windowed(), NOW - timedelta(minutes=1), NOW)


def test_a_start_inside_the_lead_time_is_too_late() -> None:
    with pytest.raises(TooLate, match="up to 60 minutes before"):
        check_booking_window(windowed(lead_time_minutes=60), NOW + timedelta(minutes=59), NOW)


def test_a_start_at_the_lead_time_or_now_is_on_time() -> None:
    check_booking_window(windowed(lead_time_minutes=60), NOW + timedelta(minutes=60), NOW)
    check_booking_window(windowed(), NOW, NOW)


def test_the_horizon_counts_days_in_the_venues_zone() -> None:
    venue = windowed(booking_horizon_days=90)
    last_day = datetime(2026, 9, 29, 22, tzinfo=LONDON)  # 90 days after 1 July

    check_booking_window(venue, last_day, NOW)
    with pytest.raises(TooFarAhead, match="up to 90 days ahead"):
        check_booking_window(venue, last_day + timedelta(hours=3), NOW)


def test_the_booking_window_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        check_booking_window(windowed(), datetime(2026, 7, 1, 12), NOW)


# Helpers --------------------------------------------------------------------------------


def test_service_for_finds_a_service_by_name_or_raises_lookup_error() -> None:
    venue = white_horse()

    assert service_for(venue, "dinner").turn_minutes(8) == 90
    with pytest.raises(LookupError, match="brunch"):
        service_for(venue, "brunch")


def test_a_party_of_nobody_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        offered_times(white_horse(), MONDAY, 0)


# Property: offered_times is exactly the rules, and offered_time agrees ------------------

ZONES = (
    "UTC",
    "Europe/London",
    "America/New_York",
    "America/St_Johns",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
)


@cache
def change_days(zone_name: str) -> tuple[date, ...]:
    """The days of 2026 on which the zone's clocks change."""
    zone = ZoneInfo(zone_name)
    days: set[date] = set()
    for index in range(365):
        day = date(2026, 1, 1) + timedelta(days=index)
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        if midnight.utcoffset() != (midnight + timedelta(days=1)).utcoffset():
            days.update((day, day + timedelta(days=1)))  # a change at midnight is either
    return tuple(sorted(day for day in days if clock_changes(zone_name, day)))


@cache
def wall_clock(zone_name: str, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """Every real minute around ``day`` as (UTC instant, local wall reading), in order."""
    zone = ZoneInfo(zone_name)
    first = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=16)
    minutes = (first + timedelta(minutes=i) for i in range(56 * 60))
    return tuple((m, m.astimezone(zone).replace(tzinfo=None)) for m in minutes)


@cache
def first_showings(zone_name: str, day: date) -> dict[datetime, datetime]:
    """Each wall reading around ``day`` and the first real minute the clock shows it."""
    showings: dict[datetime, datetime] = {}
    for utc, reading in wall_clock(zone_name, day):
        showings.setdefault(reading, utc)
    return showings


@cache
def clock_changes(zone_name: str, day: date) -> tuple[int, ...]:
    """Minutes after ``day``'s midnight at which its wall clock jumps (either way)."""
    midnight = datetime(day.year, day.month, day.day)
    changes: set[int] = set()
    readings = wall_clock(zone_name, day)
    for (_, before), (_, after) in pairwise(readings):
        if after - before != timedelta(minutes=1):
            for reading in (before, after):
                minute = int((reading - midnight).total_seconds()) // 60
                if 0 <= minute <= 1440:
                    changes.add(minute)
    return tuple(sorted(changes))


def first_instant_at_or_after(zone_name: str, day: date, wall: datetime) -> datetime:
    return next(utc for utc, reading in wall_clock(zone_name, day) if reading >= wall)


@st.composite
def cases(draw: st.DrawFn, *, clocks_change: bool = False) -> tuple[Venue, date, int]:
    """A small venue, a day and a party; with ``clocks_change``, a day the clocks change
    and periods that open, close or run within two hours of the change."""
    zones = [zone for zone in ZONES if change_days(zone)] if clocks_change else ZONES
    timezone = draw(st.sampled_from(zones))
    if clocks_change:
        day = draw(st.sampled_from(change_days(timezone)))
    else:
        day = draw(st.dates(date(2026, 1, 1), date(2026, 12, 31)))
    grid = draw(st.sampled_from([5, 10, 15, 20, 30, 60]))
    venue = Venue(
        slug="generated",
        name="Generated",
        timezone=timezone,
        slot_interval_minutes=grid,
        buffer_minutes=draw(st.integers(0, 30)),
        services=(draw(services("early")), draw(services("late"))),
        periods=draw(periods(day, grid, clock_changes(timezone, day) if clocks_change else ())),
        closures=(Closure(day),) if draw(st.integers(1, 10)) == 7 else (),  # now and then
    )
    return venue, day, draw(st.integers(1, 10))


@st.composite
def services(draw: st.DrawFn, name: str) -> Service:
    sizes = sorted(draw(st.sets(st.integers(1, 8), min_size=1, max_size=3)))
    return Service(name, tuple(TurnBand(size, draw(st.integers(5, 300))) for size in sizes))


@st.composite
def periods(
    draw: st.DrawFn, day: date, grid: int, changes: Sequence[int]
) -> tuple[ServicePeriod, ...]:
    """One to three periods on the grid, never overlapping, end to end or with gaps."""
    last = 1440 // grid
    if changes:
        near = {
            max(0, min(last, change // grid + shift))
            for change in changes
            for shift in range(-120 // grid, 120 // grid + 1)
        }
        cut: st.SearchStrategy[int] = st.sampled_from(sorted(near))
    else:
        cut = st.integers(0, last)
    cuts = sorted(draw(st.lists(cut, min_size=2, max_size=4, unique=True)))
    drawn: list[ServicePeriod] = []
    for index, (start, end) in enumerate(pairwise(cuts)):
        if index and draw(st.booleans()):
            continue  # a gap between the periods either side
        weekdays = draw(st.sets(st.integers(1, 7), min_size=1))
        if bool(changes) or draw(st.booleans()):
            weekdays.add(day.isoweekday())
        service = draw(st.sampled_from(["early", "late"]))
        ends = None if end == last else clock_of(end * grid)
        drawn.append(ServicePeriod(service, tuple(sorted(weekdays)), clock_of(start * grid), ends))
    return tuple(drawn)


def clock_of(minute: int) -> time:
    return time(minute // 60, minute % 60)


def expected_offers(venue: Venue, day: date, party_size: int) -> dict[time, tuple[str, int]]:
    """The rules written out the slow, obvious way: every start offered, with service and turn."""
    if any(closure.day == day for closure in venue.closures):
        return {}
    spans = sorted(
        (span_minutes(p), p.service) for p in venue.periods if day.isoweekday() in p.weekdays
    )
    midnight = datetime(day.year, day.month, day.day)
    showings = first_showings(venue.timezone, day)
    expected: dict[time, tuple[str, int]] = {}
    for index, ((start, end), name) in enumerate(spans):
        closing = end
        for (next_start, next_end), _ in spans[index + 1 :]:
            if next_start == closing:
                closing = next_end
        closes_at = first_instant_at_or_after(
            venue.timezone, day, midnight + timedelta(minutes=closing)
        )
        turn = service_for(venue, name).turn_minutes(party_size)
        for minute in range(start, end, venue.slot_interval_minutes):
            starts_at = showings.get(midnight + timedelta(minutes=minute))
            if starts_at is not None and starts_at + timedelta(minutes=turn) <= closes_at:
                expected[clock_of(minute)] = (name, turn)
    return expected


def span_minutes(period: ServicePeriod) -> tuple[int, int]:
    end = 1440 if period.end is None else period.end.hour * 60 + period.end.minute
    return period.start.hour * 60 + period.start.minute, end


@settings(database=None, deadline=None)
@given(cases())
def test_offered_times_are_exactly_the_starts_the_rules_allow(
    case: tuple[Venue, date, int],
) -> None:
    assert_offers_follow_the_rules(*case)


@settings(database=None, deadline=None, max_examples=400)
@given(cases(clocks_change=True))
def test_offered_times_follow_the_rules_on_days_the_clocks_change(
    case: tuple[Venue, date, int],
) -> None:
    assert_offers_follow_the_rules(*case)


def assert_offers_follow_the_rules(venue: Venue, day: date, party_size: int) -> None:
    zone = ZoneInfo(venue.timezone)

    offers = offered_times(venue, day, party_size)
    expected = expected_offers(venue, day, party_size)

    assert [offer.local_time for offer in offers] == sorted(expected)
    for offer in offers:
        assert (offer.service, offer.turn_minutes) == expected[offer.local_time]
        assert offer.start_at.tzinfo is zone
        assert offer.start_at.replace(tzinfo=None) == datetime.combine(day, offer.local_time)
        assert elapsed(offer.start_at, offer.end_at) == timedelta(minutes=offer.turn_minutes)
        buffer = timedelta(minutes=venue.buffer_minutes)
        assert elapsed(offer.end_at, offer.occupied_until) == buffer


@settings(database=None, deadline=None)
@given(cases() | cases(clocks_change=True))
def test_offered_time_accepts_exactly_the_offered_times(case: tuple[Venue, date, int]) -> None:
    venue, day, party_size = case
    offers = {offer.local_time: offer for offer in offered_times(venue, day, party_size)}

    for minute in range(0, 1440, venue.slot_interval_minutes):
        start = clock_of(minute)
        if start in offers:
            assert offered_time(venue, day, start, party_size) == offers[start]
        else:
            with pytest.raises(OutsideServiceHours):
                offered_time(venue, day, start, party_size)


def test_the_calendars_open_days_are_the_days_with_offered_starts() -> None:
    venue = white_horse()
    closed = Closure(date(2026, 12, 25), "Christmas Day")
    venue = replace(venue, closures=(closed,))
    for offset in range(60):
        day = date(2026, 12, 1) + timedelta(days=offset)
        assert opens_on(venue, day) == bool(offered_times(venue, day, 1)), day
    assert not opens_on(venue, date(2026, 12, 25))  # a Friday, closed for the day


# A walk-in's window ---------------------------------------------------------------------


def walked_in(venue: Venue, wall: datetime, party_size: int = 2) -> tuple[date, OfferedTime]:
    """The walk-in window of a party arriving when the venue's clock shows ``wall``."""
    return walk_in_time(venue, wall.replace(tzinfo=LONDON), party_size)


def test_a_walk_in_stays_its_turn_time_from_the_moment_it_arrives() -> None:
    day, window = walked_in(white_horse(), datetime(2026, 3, 30, 19, 7, 30), 4)

    assert day == MONDAY
    assert window.local_time == time(19, 7)
    assert window.start_at == datetime(2026, 3, 30, 19, 7, 30, tzinfo=LONDON)
    assert elapsed(window.start_at, window.end_at) == timedelta(minutes=75)  # dinner, a four
    assert elapsed(window.end_at, window.occupied_until) == timedelta(minutes=5)
    assert window.service == "dinner"


def test_a_walk_in_takes_the_turn_time_of_the_period_running_now() -> None:
    _, window = walked_in(white_horse(), datetime(2026, 3, 30, 16, 0), 8)

    assert window.service == "drinks"
    assert elapsed(window.start_at, window.end_at) == timedelta(minutes=85)


def test_a_walk_in_is_cut_at_closing_time_across_following_periods() -> None:
    venue = venue_open((time(12), time(15)), (time(15), time(16)), minutes=120)

    _, window = walked_in(venue, datetime(2026, 3, 30, 14, 30))

    assert window.end_at == datetime(2026, 3, 30, 16, 0, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("wall", "reason"),
    [
        (datetime(2026, 3, 30, 11, 59), "not open now"),  # before opening
        (datetime(2026, 3, 30, 22, 0), "not open now"),  # at closing time
        (datetime(2026, 3, 28, 19, 0), "not open now"),  # a Saturday
        (datetime(2026, 3, 30, 21, 31), "closes at 22:00, less than 30 minutes"),
    ],
)
def test_no_walk_in_when_the_venue_is_not_open_or_closes_too_soon(
    wall: datetime, reason: str
) -> None:
    with pytest.raises(OutsideServiceHours, match=reason):
        walked_in(white_horse(), wall)


def test_a_walk_in_half_an_hour_before_closing_is_seated_until_closing() -> None:
    _, window = walked_in(white_horse(), datetime(2026, 3, 30, 21, 30))

    assert window.end_at == datetime(2026, 3, 30, 22, 0, tzinfo=LONDON)


def test_no_walk_in_on_a_closed_day() -> None:
    venue = replace(white_horse(), closures=(Closure(MONDAY, "staff party"),))

    with pytest.raises(OutsideServiceHours, match=r"closed today.*staff party"):
        walked_in(venue, datetime(2026, 3, 30, 19, 0))


def test_a_walk_in_counts_real_minutes_when_the_clocks_go_back() -> None:
    venue = venue_open((time(0), None), minutes=120)
    arrival = datetime(2026, 10, 25, 0, 30, tzinfo=LONDON)  # BST

    _, window = walk_in_time(venue, arrival, 2)

    assert window.end_at.astimezone(UTC) == arrival.astimezone(UTC) + timedelta(hours=2)
    assert window.end_at.strftime("%H:%M") == "01:30"  # the clocks went back at 02:00


def test_a_walk_in_needs_an_aware_moment() -> None:
    with pytest.raises(ValueError, match="aware"):
        walk_in_time(white_horse(), datetime(2026, 3, 30, 19, 0), 2)
