"""Pending bookings: accepted when tables cannot be chosen now, seated later by the
background allocator, or left for staff when the party needs their approval."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import uuid4

import pytest

from reserve.db.database import Connection, Database
from reserve.db.venues import save_venue
from reserve.domain.access import Principal, Role
from reserve.domain.booking import Guest, Status
from reserve.domain.errors import SelectorTimeout
from reserve.domain.pooling import Placement, Refused
from reserve.services import seating
from reserve.services.authorisation import Caller
from reserve.services.booking import BookingRequest, book
from reserve.services.changes import get_booking, set_status
from reserve.services.context import Context
from reserve.services.pending import retry_pending
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

MONDAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
GUEST = Caller()


class SlowFirstSearch:
    """A table search that runs past the selector timeout (with fail_hard) the first time."""

    def __init__(self) -> None:
        self.searches = 0
        self.place = seating.place

    def __call__(self, *args: Any, **kwargs: Any) -> Placement | Refused:
        self.searches += 1
        if self.searches == 1:
            raise SelectorTimeout("the table search took longer than 200 ms")
        return self.place(*args, **kwargs)


@pytest.fixture
def search(monkeypatch: pytest.MonkeyPatch) -> SlowFirstSearch:
    slow = SlowFirstSearch()
    monkeypatch.setattr(seating, "place", slow)
    return slow


@pytest.fixture
def context(database_url: str, admin: Connection, search: SlowFirstSearch) -> Iterator[Context]:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    database = Database(database_url, min_size=1, max_size=2)
    database.open()
    try:
        yield Context(database, VenueStates(), "test-secret", clock=lambda: NOW)
    finally:
        database.close()


def request(party_size: int) -> BookingRequest:
    return BookingRequest(party_size, MONDAY, time(19, 0), Guest("Ada", "ada@example.com"))


def staff_of(admin: Connection) -> Caller:
    row = admin.execute("SELECT id FROM restaurants WHERE slug = 'white-horse'").fetchone()
    assert row is not None
    return Caller(Principal(uuid4(), Role.STAFF, row["id"]))


def test_a_search_past_the_selector_timeout_is_accepted_as_pending(context: Context) -> None:
    booking = book(context, "white-horse", request(4), "k1", GUEST).booking
    assert booking.status is Status.PENDING
    assert booking.pending_reason == "allocation"
    assert booking.tables == ()


def test_the_background_allocator_seats_a_booking_left_pending_for_want_of_time(
    context: Context, admin: Connection
) -> None:
    pending = book(context, "white-horse", request(4), "k1", GUEST).booking
    assert retry_pending(context) == 1
    seated = get_booking(context, pending.id, staff_of(admin))
    assert seated.status is Status.CONFIRMED
    assert len(seated.tables) == 1
    history = admin.execute(
        "SELECT from_status, to_status, actor FROM booking_status_history ORDER BY id"
    ).fetchall()
    assert history == [
        {"from_status": None, "to_status": "pending", "actor": "guest"},
        {"from_status": "pending", "to_status": "confirmed", "actor": "system:allocator"},
    ]
    assert retry_pending(context) == 0


def test_a_party_waiting_for_staff_approval_is_not_seated_by_the_background_allocator(
    context: Context, admin: Connection, search: SlowFirstSearch
) -> None:
    search.searches = 1  # no slow search here
    booking = book(context, "white-horse", request(14), "k2", GUEST).booking
    assert booking.status is Status.PENDING
    assert booking.pending_reason == "approval"
    assert retry_pending(context) == 0
    approved = set_status(context, booking.id, Status.CONFIRMED, staff_of(admin))
    assert approved.status is Status.CONFIRMED
    assert approved.tables


def test_the_background_allocator_gives_up_shortly_before_the_start(
    admin: Connection, context: Context
) -> None:
    pending = book(context, "white-horse", request(4), "k1", GUEST).booking
    late = replace(context, clock=lambda: datetime(2026, 12, 7, 18, 50, tzinfo=UTC))
    assert retry_pending(late) == 0
    still = get_booking(context, pending.id, staff_of(admin))
    assert still.status is Status.PENDING
