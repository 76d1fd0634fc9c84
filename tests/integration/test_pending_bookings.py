"""Pending bookings: accepted when tables cannot be chosen now, seated later by the
background allocator, or left for staff when the party needs their approval."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from uuid import UUID, uuid4

import pytest

from reserve.db.database import Connection, Database
from reserve.db.venues import save_venue
from reserve.domain.allocator import Plan
from reserve.domain.booking import Status
from reserve.domain.errors import SelectorTimeout
from reserve.domain.timing import OfferedTime
from reserve.services.bookings import BookingRequest, BookingService, Caller, Guest
from reserve.services.keys import Principal, Role
from reserve.services.venue_state import VenueState, VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

MONDAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
GUEST = Caller()


class SlowFirstSearch(BookingService):
    """A table search that runs past the selector timeout (with fail_hard) the first time."""

    searches = 0

    def _allocate(
        self,
        conn: Connection,
        state: VenueState,
        offered: OfferedTime,
        party_size: int,
        zone: str | None,
    ) -> Plan:
        SlowFirstSearch.searches += 1
        if SlowFirstSearch.searches == 1:
            raise SelectorTimeout("the table search took longer than 200 ms")
        return super()._allocate(conn, state, offered, party_size, zone)


@pytest.fixture
def service(database_url: str, admin: Connection) -> Iterator[SlowFirstSearch]:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    SlowFirstSearch.searches = 0
    database = Database(database_url, min_size=1, max_size=2)
    database.open()
    try:
        yield SlowFirstSearch(database, VenueStates(), "test-secret", clock=lambda: NOW)
    finally:
        database.close()


def request(party_size: int) -> BookingRequest:
    return BookingRequest(party_size, MONDAY, time(19, 0), Guest("Ada", "ada@example.com"))


def staff_of(admin: Connection) -> Caller:
    row = admin.execute("SELECT id FROM restaurants WHERE slug = 'white-horse'").fetchone()
    assert row is not None
    return Caller(Principal(uuid4(), Role.STAFF, row["id"]))


def test_a_search_past_the_selector_timeout_is_accepted_as_pending(
    service: SlowFirstSearch,
) -> None:
    outcome = service.book("white-horse", request(4), "k1", GUEST)
    assert outcome.status == 202
    assert outcome.body["status"] == Status.PENDING
    assert outcome.body["pending_reason"] == "allocation"
    assert outcome.body["tables"] == []


def test_the_background_allocator_seats_a_booking_left_pending_for_want_of_time(
    service: SlowFirstSearch, admin: Connection
) -> None:
    pending = service.book("white-horse", request(4), "k1", GUEST)
    assert service.retry_pending() == 1
    seated = service.get(UUID(pending.body["id"]), staff_of(admin))
    assert seated["status"] == Status.CONFIRMED
    assert len(seated["tables"]) == 1
    history = admin.execute(
        "SELECT from_status, to_status FROM booking_status_history ORDER BY id"
    ).fetchall()
    assert history == [
        {"from_status": None, "to_status": "pending"},
        {"from_status": "pending", "to_status": "confirmed"},
    ]
    assert service.retry_pending() == 0


def test_a_party_waiting_for_staff_approval_is_not_seated_by_the_background_allocator(
    service: SlowFirstSearch, admin: Connection
) -> None:
    SlowFirstSearch.searches = 1  # no slow search here
    outcome = service.book("white-horse", request(14), "k2", GUEST)
    assert outcome.status == 202
    assert outcome.body["pending_reason"] == "approval"
    assert service.retry_pending() == 0
    approved = service.set_status(UUID(outcome.body["id"]), Status.CONFIRMED, staff_of(admin))
    assert approved["status"] == Status.CONFIRMED
    assert approved["tables"]


def test_the_background_allocator_gives_up_shortly_before_the_start(
    admin: Connection, service: SlowFirstSearch
) -> None:
    pending = service.book("white-horse", request(4), "k1", GUEST)
    late = SlowFirstSearch(
        service.database,
        service.states,
        service.secret,
        clock=lambda: datetime(2026, 12, 7, 18, 50, tzinfo=UTC),
    )
    assert late.retry_pending() == 0
    still = service.get(UUID(pending.body["id"]), staff_of(admin))
    assert still["status"] == Status.PENDING
