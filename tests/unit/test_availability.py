"""Availability says true exactly when booking that start would succeed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import reserve
from reserve.domain.allocator import Admission, Expected, Occupancy, Outlook, Policy, allocate
from reserve.domain.availability import availability, day_occupancy, request_for
from reserve.domain.floor import Floor
from reserve.domain.timing import offered_time, offered_times
from reserve.domain.venue import Venue
from reserve.domain.venue_document import load_venue_toml

MONDAY = date(2026, 12, 7)
LONG_AGO = datetime(2026, 11, 1, tzinfo=UTC)


def white_horse() -> Venue:
    path = Path(reserve.__file__).parent / "venues" / "white-horse.toml"
    return load_venue_toml(path.read_text(encoding="utf-8"))


VENUE = white_horse()
FLOOR = Floor(VENUE)


def book_everything(party_size: int, at: time) -> list[tuple[str, datetime, datetime]]:
    """Windows that fill every table from ``at``, as a party of ``party_size`` would."""
    offered = offered_time(VENUE, MONDAY, at, party_size)
    return [(table.label, offered.start_at, offered.occupied_until) for table in VENUE.tables]


def test_every_offered_start_of_an_empty_day_is_available() -> None:
    occupancy = day_occupancy(FLOOR, [])
    slots = availability(VENUE, FLOOR, occupancy, MONDAY, 2, policy=Policy(), now=LONG_AGO)
    assert [slot.offered.local_time for slot in slots] == [
        offered.local_time for offered in offered_times(VENUE, MONDAY, 2)
    ]
    assert all(slot.available for slot in slots)


def test_a_full_house_is_not_available_around_its_bookings() -> None:
    occupancy = day_occupancy(FLOOR, book_everything(2, time(19, 0)))
    slots = {
        slot.offered.local_time: slot.available
        for slot in availability(VENUE, FLOOR, occupancy, MONDAY, 2, policy=Policy(), now=LONG_AGO)
    }
    assert slots[time(19, 0)] is False
    assert slots[time(18, 0)] is False  # would run into the 19:00 bookings
    assert slots[time(17, 45)] is True  # 60 minutes + 5 of buffer ends at 18:50
    assert slots[time(20, 0)] is False  # the 19:00 tables are cleared only at 20:05
    assert slots[time(20, 15)] is True


def test_starts_inside_the_lead_time_or_past_are_not_available() -> None:
    occupancy = day_occupancy(FLOOR, [])
    now = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    slots = availability(VENUE, FLOOR, occupancy, MONDAY, 2, policy=Policy(), now=now)
    assert all(slot.available == (slot.offered.start_at >= now) for slot in slots)


def test_a_day_beyond_the_horizon_is_not_available() -> None:
    occupancy = day_occupancy(FLOOR, [])
    too_early = datetime(2026, 1, 2, tzinfo=UTC)
    slots = availability(VENUE, FLOOR, occupancy, MONDAY, 2, policy=Policy(), now=too_early)
    assert slots
    assert not any(slot.available for slot in slots)


def test_a_closed_day_offers_nothing() -> None:
    saturday = MONDAY + timedelta(days=5)
    occupancy = day_occupancy(FLOOR, [])
    assert availability(VENUE, FLOOR, occupancy, saturday, 2, policy=Policy(), now=LONG_AGO) == []


bookings = st.lists(
    st.tuples(
        st.integers(1, 12),
        st.sampled_from([time(12 + q // 4, 15 * (q % 4)) for q in range(36)]),
    ),
    max_size=60,
)


def busy_outlook(covers: float) -> Outlook:
    """``covers`` covers still expected at each quarter hour from noon, staying 90 minutes."""
    starts = [datetime(2026, 12, 7, 12 + q // 4, 15 * (q % 4), tzinfo=UTC) for q in range(36)]
    return Outlook(
        tuple(Expected(1, at.timestamp(), at.timestamp() + 5400.0, covers) for at in starts)
    )


outlooks = st.none() | st.builds(
    lambda covers, remaining: busy_outlook(covers * remaining),
    st.floats(0, 200),
    st.floats(0, 1),
)


@settings(max_examples=60, deadline=None)
@given(bookings, st.integers(1, 14), outlooks)
def test_availability_is_true_exactly_when_allocation_succeeds(
    history: list[tuple[int, time]], party_size: int, outlook: Outlook | None
) -> None:
    occupancy: Occupancy = day_occupancy(FLOOR, [])
    windows: list[tuple[str, datetime, datetime]] = []
    policy = Policy(admission=Admission.PROTECTION)
    for size, at in history:  # a busy day, booked one by one
        offers = {offer.local_time: offer for offer in offered_times(VENUE, MONDAY, size)}
        if at not in offers:
            continue
        plan = allocate(FLOOR, occupancy, request_for(offers[at], size), policy)
        if plan is not None:
            offer = offers[at]
            windows += [(label, offer.start_at, offer.occupied_until) for label in plan.tables]
            occupancy = day_occupancy(FLOOR, windows)
    slots = availability(
        VENUE, FLOOR, occupancy, MONDAY, party_size, policy=policy, now=LONG_AGO, outlook=outlook
    )
    for slot in slots:
        request = request_for(slot.offered, party_size)
        plan = allocate(FLOOR, occupancy, request, policy, outlook=outlook)
        assert slot.available == (plan is not None)


def test_availability_declines_what_allocation_declines_before_a_crowded_peak() -> None:
    busy_day = busy_outlook(200.0)
    occupancy = day_occupancy(FLOOR, [])
    policy = Policy(admission=Admission.PROTECTION)
    # A party of one at a two-top leaves half of it empty: protected while the day is young.
    slots = availability(
        VENUE, FLOOR, occupancy, MONDAY, 1, policy=policy, now=LONG_AGO, outlook=busy_day
    )
    assert slots
    assert not any(slot.available for slot in slots)
    for slot in slots:
        assert (
            allocate(FLOOR, occupancy, request_for(slot.offered, 1), policy, outlook=busy_day)
            is None
        )
    no_outlook = availability(VENUE, FLOOR, occupancy, MONDAY, 1, policy=policy, now=LONG_AGO)
    assert all(slot.available for slot in no_outlook)
