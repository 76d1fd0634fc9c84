"""The booking lifecycle against the clock: a party is seated from the venue's margin
before its start, a no-show only after its start and the grace; nothing else waits."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from uuid import uuid4

import pytest

from reserve.api.problems import problem_of
from reserve.domain.booking import Booking, Guest, Source, Status, check_transition_time
from reserve.domain.errors import InvalidTransition, TooEarly
from reserve.domain.venue import Venue

START = datetime(2026, 12, 7, 19, 30, tzinfo=UTC)
VENUE = Venue(slug="test", name="Test Kitchen", timezone="Europe/London")


def booking(start: datetime = START) -> Booking:
    return Booking(
        id=uuid4(),
        reference="ABCD2345",
        restaurant="test",
        status=Status.CONFIRMED,
        party_size=2,
        day=start.date(),
        local_time=time(start.hour, start.minute),
        start_at=start,
        end_at=start + timedelta(hours=1),
        tables=("T1",),
        zone=None,
        guest=Guest("Ada", "ada@example.com"),
        notes="",
        source=Source.WEB,
        created_at=start - timedelta(days=6),
        updated_at=start - timedelta(days=6),
    )


def minutes(delta: int) -> datetime:
    return START + timedelta(minutes=delta)


def test_a_party_is_seated_from_the_venues_margin_before_its_start() -> None:
    check_transition_time(booking(), Status.SEATED, minutes(-30), VENUE)
    check_transition_time(booking(), Status.SEATED, minutes(90), VENUE)  # late, but there

    with pytest.raises(TooEarly, match=r"Ada can be seated from 19:00 \(30 minutes before"):
        check_transition_time(booking(), Status.SEATED, minutes(-31), VENUE)


def test_a_no_show_is_marked_only_after_the_start_and_the_grace() -> None:
    check_transition_time(booking(), Status.NO_SHOW, minutes(15), VENUE)

    with pytest.raises(TooEarly, match=r"no-show from 19:45 \(15 minutes after its start"):
        check_transition_time(booking(), Status.NO_SHOW, minutes(14), VENUE)


def test_the_venues_own_margins_decide() -> None:
    strict = Venue(
        slug="t", name="T", timezone="UTC", seat_early_minutes=0, no_show_grace_minutes=60
    )

    check_transition_time(booking(), Status.SEATED, minutes(0), strict)
    check_transition_time(booking(), Status.NO_SHOW, minutes(60), strict)
    with pytest.raises(TooEarly):
        check_transition_time(booking(), Status.SEATED, minutes(-1), strict)
    with pytest.raises(TooEarly):
        check_transition_time(booking(), Status.NO_SHOW, minutes(59), strict)


@pytest.mark.parametrize(
    "wanted", [Status.CANCELLED, Status.CONFIRMED, Status.COMPLETED, Status.PENDING]
)
def test_other_changes_keep_no_hours(wanted: Status) -> None:
    check_transition_time(booking(), wanted, minutes(-10_000), VENUE)


def test_a_change_days_ahead_names_the_day_in_the_venues_zone() -> None:
    with pytest.raises(TooEarly, match="from 19:00 on 2026-12-07"):
        check_transition_time(
            booking(), Status.SEATED, datetime(2026, 12, 1, 10, tzinfo=UTC), VENUE
        )


def test_too_early_is_a_transition_refused_as_its_own_problem() -> None:
    assert issubclass(TooEarly, InvalidTransition)
    assert problem_of(TooEarly("x")) == ("too-early", 409)
