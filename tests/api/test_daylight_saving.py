"""A venue open through the night on the days London's clocks change: wall times in
requests, real instants in answers."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.domain.venue import Service, ServicePeriod, Table, TurnBand, Venue, Zone

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, ProblemCheck


SPRING_FORWARD = "2026-03-29"  # 01:00 GMT becomes 02:00 BST
FALL_BACK = "2026-10-25"  # 02:00 BST becomes 01:00 GMT

NIGHT_OWL = Venue(
    slug="dst",
    name="The Night Owl",
    timezone="Europe/London",
    booking_horizon_days=365,
    zones=(Zone("bar", "Bar"),),
    tables=(Table("T-1", "bar", capacity=2, min_party=1, max_party=2),),
    services=(Service("late", (TurnBand(2, 60),)),),
    periods=(ServicePeriod("late", (1, 2, 3, 4, 5, 6, 7), time(0, 0), time(4, 0)),),
)


@pytest.fixture
def night_owl(admin: Connection, clock: Any) -> VenueSaved:
    """One table, open 00:00-04:00 every night, seen from the first of March."""
    clock.now = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    return save_venue(admin, NIGHT_OWL)


def book_at(book: Book, date: str, time: str) -> httpx.Response:
    return book(2, time, date, slug="dst")


def test_a_booking_before_the_clocks_go_forward_lasts_one_real_hour(
    night_owl: VenueSaved, book: Book
) -> None:
    response = book_at(book, SPRING_FORWARD, "00:30")

    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["start_at"] == "2026-03-29T00:30:00+00:00"
    assert booking["end_at"] == "2026-03-29T02:30:00+01:00"


def test_a_time_the_clocks_skip_is_not_offered(
    api: TestClient, night_owl: VenueSaved, book: Book, problem: ProblemCheck
) -> None:
    problem(book_at(book, SPRING_FORWARD, "01:15"), 422, "outside-service-hours")

    response = api.get(
        "/v1/restaurants/dst/availability", params={"date": SPRING_FORWARD, "party_size": 2}
    )
    slots = response.json()["slots"]
    assert [slot["time"] for slot in slots] == [
        *("00:00", "00:15", "00:30", "00:45"),
        *("02:00", "02:15", "02:30", "02:45", "03:00"),
    ]
    assert slots[4]["start_at"] == "2026-03-29T02:00:00+01:00"


def test_the_table_is_taken_for_the_real_hour_across_the_jump(
    night_owl: VenueSaved, book: Book, problem: ProblemCheck
) -> None:
    assert book_at(book, SPRING_FORWARD, "00:30").status_code == 201

    # 02:00 BST is only half an hour after 00:30 GMT.
    problem(book_at(book, SPRING_FORWARD, "02:00"), 409, "no-availability")
    assert book_at(book, SPRING_FORWARD, "02:30").status_code == 201


def test_a_time_the_clocks_show_twice_is_its_first_occurrence(
    night_owl: VenueSaved, book: Book
) -> None:
    response = book_at(book, FALL_BACK, "01:00")

    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["start_at"] == "2026-10-25T01:00:00+01:00"
    assert booking["end_at"] == "2026-10-25T01:00:00+00:00"  # an hour later, the clocks back
