"""Pooled tables and booking limits over HTTP: a booking moves an unseated party to other
tables to get in, never a seated, pinned or soon-starting one; the move is in the moved
booking's history; with a learned outlook the venue declines a party while a table is free,
and availability says so exactly when booking would."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from conftest import made, move_to_status
from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.domain.venue import Table, Venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, KeyFor, ManualClock

MONDAY = "2026-12-07"
SLUG = "little-horse"


def little_horse() -> Venue:
    """The demo venue's hours on three tables that combine with nothing: two two-tops and a
    six-top."""
    demo = read_venue_file(DEMO_VENUE)
    zone = demo.zones[0].key
    tables = tuple(
        Table(label, zone, capacity, 1, capacity, combinable=False)
        for label, capacity in (("BIG", 6), ("SMALL-1", 2), ("SMALL-2", 2))
    )
    return dataclasses.replace(demo, slug=SLUG, name="Little Horse", tables=tables, adjacency=())


@pytest.fixture
def little(admin: Connection) -> VenueSaved:
    return save_venue(admin, little_horse())


@pytest.fixture
def little_staff(little: VenueSaved, key_for: KeyFor) -> dict[str, str]:
    return key_for(SLUG)


def history(api: TestClient, staff: dict[str, str], booking: dict[str, Any]) -> list[Any]:
    response = api.get(f"/v1/bookings/{booking['id']}/history", headers=staff)
    assert response.status_code == 200, response.text
    entries: list[Any] = response.json()["entries"]
    return entries


def tables_of(api: TestClient, staff: dict[str, str], booking: dict[str, Any]) -> list[str]:
    response = api.get(f"/v1/bookings/{booking['id']}", headers=staff)
    assert response.status_code == 200, response.text
    tables: list[str] = response.json()["tables"]
    return tables


def a_two_at_the_big_table(
    book: Book, api: TestClient, staff: dict[str, str], admin: Connection, venue: VenueSaved
) -> dict[str, Any]:
    """A party of two at the six-top at 19:00, the two-tops free, on a venue whose history
    expects sixes at 19:00: booked on a two-top, moved to the six-top by staff, unpinned."""
    record_history(admin, venue, party_size=6, per_day=2)
    two = made(book(2, "19:00", slug=SLUG))
    assert two["tables"] == ["SMALL-1"]
    moved = api.put(f"/v1/bookings/{two['id']}/tables", json={"tables": ["BIG"]}, headers=staff)
    assert moved.status_code == 200, moved.text
    unpinned = api.post(f"/v1/bookings/{two['id']}/tables/unpin", headers=staff)
    assert unpinned.status_code == 200, unpinned.text
    at_seven(api, 6)  # asks for the day's limits
    settled(api)
    return two


def test_a_large_party_gets_in_by_moving_a_small_one_and_the_move_is_in_its_history(
    api: TestClient, little_staff: dict[str, str], book: Book, admin: Connection, little: VenueSaved
) -> None:
    at_big = a_two_at_the_big_table(book, api, little_staff, admin, little)
    assert at_seven(api, 6)

    six = made(book(6, "19:00", slug=SLUG))

    assert six["tables"] == ["BIG"]
    assert tables_of(api, little_staff, at_big) == ["SMALL-1"]
    move = history(api, little_staff, at_big)[-1]
    assert (move["kind"], move["from_tables"], move["to_tables"], move["actor"]) == (
        "tables",
        ["BIG"],
        ["SMALL-1"],
        "allocator",
    )


def test_pinned_tables_stay_where_the_host_put_them(
    api: TestClient, little_staff: dict[str, str], book: Book, admin: Connection, little: VenueSaved
) -> None:
    at_big = a_two_at_the_big_table(book, api, little_staff, admin, little)
    pinned = api.put(
        f"/v1/bookings/{at_big['id']}/tables", json={"tables": ["BIG"]}, headers=little_staff
    )
    assert pinned.status_code == 200, pinned.text
    settled(api)

    assert not at_seven(api, 6)
    assert book(6, "19:00", slug=SLUG).status_code == 409
    assert tables_of(api, little_staff, at_big) == ["BIG"]


def test_a_booking_starting_soon_keeps_its_tables(
    api: TestClient,
    little_staff: dict[str, str],
    book: Book,
    clock: ManualClock,
    admin: Connection,
    little: VenueSaved,
) -> None:
    at_big = a_two_at_the_big_table(book, api, little_staff, admin, little)
    clock.now = clock.now.replace(month=12, day=7, hour=18, minute=30)  # 19:00 is within 60

    assert book(6, "19:00", slug=SLUG, headers=little_staff).status_code == 409
    assert tables_of(api, little_staff, at_big) == ["BIG"]


def test_a_seated_party_is_never_moved(
    api: TestClient,
    little_staff: dict[str, str],
    book: Book,
    clock: ManualClock,
    admin: Connection,
    little: VenueSaved,
) -> None:
    at_big = a_two_at_the_big_table(book, api, little_staff, admin, little)
    off = api.put(
        f"/v1/restaurants/{SLUG}/flags",
        json={"allocator.pooling_freeze_minutes": 0},
        headers=little_staff,
    )
    assert off.status_code == 200, off.text
    clock.now = clock.now.replace(month=12, day=7, hour=18, minute=55)
    move_to_status(api, little_staff, at_big, "seated")

    assert book(6, "19:00", slug=SLUG, headers=little_staff).status_code == 409
    assert tables_of(api, little_staff, at_big) == ["BIG"]


def test_with_pooling_off_the_large_party_is_refused(
    api: TestClient, little_staff: dict[str, str], book: Book, admin: Connection, little: VenueSaved
) -> None:
    at_big = a_two_at_the_big_table(book, api, little_staff, admin, little)
    off = api.put(
        f"/v1/restaurants/{SLUG}/flags", json={"allocator.pooling": False}, headers=little_staff
    )
    assert off.status_code == 200, off.text
    at_seven(api, 6)
    settled(api)

    assert book(6, "19:00", slug=SLUG).status_code == 409
    assert tables_of(api, little_staff, at_big) == ["BIG"]


def test_without_history_nothing_moves(
    api: TestClient, little_staff: dict[str, str], book: Book
) -> None:
    two = made(book(2, "19:00", slug=SLUG))
    moved = api.put(
        f"/v1/bookings/{two['id']}/tables", json={"tables": ["BIG"]}, headers=little_staff
    )
    assert moved.status_code == 200, moved.text
    unpinned = api.post(f"/v1/bookings/{two['id']}/tables/unpin", headers=little_staff)
    assert unpinned.status_code == 200, unpinned.text
    at_seven(api, 6)
    settled(api)

    assert not at_seven(api, 6)
    assert book(6, "19:00", slug=SLUG).status_code == 409
    assert tables_of(api, little_staff, two) == ["BIG"]


# --- booking limits ----------------------------------------------------------------------


def record_history(admin: Connection, venue: VenueSaved, party_size: int, per_day: int) -> None:
    """``per_day`` requests of ``party_size`` at 19:00 on each of the three Mondays before
    the test's today (2026-12-01), as the venue would have recorded them."""
    for weeks in (1, 2, 3):
        day = date(2026, 12, 7) - timedelta(weeks=weeks + 1)
        admin.execute(
            "INSERT INTO demand_requests (restaurant_id, received_at, service_date, weekday,"
            " local_time, party_size, kind, source, outcome)"
            " SELECT %s, %s::date - 3, %s, 0, '19:00', %s, 'booking', 'web', 'confirmed'"
            " FROM generate_series(1, %s)",
            (venue.restaurant_id, day, day, party_size, per_day),
        )


def last_outcome(admin: Connection, venue: VenueSaved) -> str:
    row = admin.execute(
        "SELECT outcome FROM demand_requests WHERE restaurant_id = %s AND service_date = %s"
        " ORDER BY id DESC LIMIT 1",
        (venue.restaurant_id, MONDAY),
    ).fetchone()
    assert row is not None
    return str(row["outcome"])


def at_seven(api: TestClient, party_size: int) -> bool:
    response = api.get(
        f"/v1/restaurants/{SLUG}/availability", params={"date": MONDAY, "party_size": party_size}
    )
    assert response.status_code == 200, response.text
    [slot] = [s for s in response.json()["slots"] if s["time"] == "19:00"]
    available: bool = slot["available"]
    return available


def settled(api: TestClient) -> None:
    """Wait for the booking limits of what has committed (a live venue's requests come
    minutes apart)."""
    assert api.app.state.context.limits.settle(30)  # type: ignore[attr-defined]


def test_with_sixes_expected_at_seven_a_two_is_declined_at_the_free_six_top_and_availability_agrees(
    api: TestClient, admin: Connection, little: VenueSaved, book: Book
) -> None:
    record_history(admin, little, party_size=6, per_day=4)
    outcomes = []
    for _ in range(3):
        at_seven(api, 2)  # the first read asks for the day's limits
        settled(api)
        available = at_seven(api, 2)
        response = book(2, "19:00", slug=SLUG)
        assert response.status_code == (201 if available else 409), response.text
        outcomes.append(last_outcome(admin, little))
        settled(api)

    assert outcomes == ["confirmed", "confirmed", "declined"]  # BIG stays free for a six
    settled(api)
    assert at_seven(api, 6)
    assert made(book(6, "19:00", slug=SLUG))["tables"] == ["BIG"]


def test_without_history_nothing_is_declined_while_a_table_is_free(
    api: TestClient, admin: Connection, little: VenueSaved, book: Book
) -> None:
    outcomes = []
    for _ in range(4):
        settled(api)
        available = at_seven(api, 2)
        response = book(2, "19:00", slug=SLUG)
        assert response.status_code == (201 if available else 409), response.text
        outcomes.append(last_outcome(admin, little))

    assert outcomes == ["confirmed", "confirmed", "confirmed", "full"]
