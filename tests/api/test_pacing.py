"""Pacing: a venue may cap the covers that start in one slot, and availability agrees."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest

from reserve.db.database import Connection
from reserve.db.venues import save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, ProblemCheck

MONDAY = "2026-12-07"
AVAILABILITY = "/v1/restaurants/paced/availability"


@pytest.fixture
def paced(admin: Connection) -> None:
    venue = dataclasses.replace(read_venue_file(DEMO_VENUE), slug="paced", max_covers_per_slot=6)
    save_venue(admin, venue)


def available_at(api: TestClient, party_size: int, at: str) -> bool:
    slots = api.get(AVAILABILITY, params={"date": MONDAY, "party_size": party_size}).json()
    return next(slot["available"] for slot in slots["slots"] if slot["time"] == at)


def test_a_slot_takes_no_more_covers_than_the_venue_paces(
    api: TestClient, paced: None, book: Book, problem: ProblemCheck
) -> None:
    assert book(4, slug="paced").status_code == 201
    assert not available_at(api, 4, "19:00")
    assert available_at(api, 2, "19:00")
    assert available_at(api, 4, "19:15")
    problem(book(4, slug="paced"), 409, "no-availability")
    assert book(2, slug="paced").status_code == 201
    assert not available_at(api, 1, "19:00")


def test_a_live_hold_counts_against_the_pace_and_a_cancelled_booking_does_not(
    api: TestClient, paced: None, book: Book
) -> None:
    hold = {"party_size": 4, "date": MONDAY, "time": "19:00"}
    assert api.post("/v1/restaurants/paced/holds", json=hold).status_code == 201
    assert not available_at(api, 4, "19:00")
    made = book(2, slug="paced").json()
    api.post(f"/v1/bookings/{made['id']}/cancel", headers={"X-Manage-Token": made["manage_token"]})
    assert available_at(api, 2, "19:00")
