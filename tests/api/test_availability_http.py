"""GET /v1/restaurants/{slug}/availability: the offered start times of a date, and whether
booking each would succeed now."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from reserve.db.venues import VenueSaved

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, ProblemCheck


MONDAY = "2026-12-07"
SATURDAY = "2026-12-05"
URL = "/v1/restaurants/white-horse/availability"


def slots_of(api: TestClient, party_size: int, date: str = MONDAY) -> list[dict[str, Any]]:
    response = api.get(URL, params={"date": date, "party_size": party_size})
    assert response.status_code == 200, response.text
    slots: list[dict[str, Any]] = response.json()["slots"]
    return slots


def test_availability_lists_every_start_of_the_day_with_the_venues_offset(
    api: TestClient, white_horse: VenueSaved
) -> None:
    response = api.get(URL, params={"date": MONDAY, "party_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"date", "party_size", "slots"}
    assert (body["date"], body["party_size"]) == (MONDAY, 2)
    assert all(set(slot) == {"time", "start_at", "available"} for slot in body["slots"])
    times = [slot["time"] for slot in body["slots"]]
    # Every quarter hour from noon until the last start whose hour ends by 22:00.
    assert times[0] == "12:00"
    assert times[-1] == "21:00"
    assert len(times) == 37
    assert body["slots"][0]["start_at"] == "2026-12-07T12:00:00+00:00"
    assert all(slot["available"] for slot in body["slots"])


def test_a_larger_party_is_offered_no_start_it_could_not_finish_by_closing(
    api: TestClient, white_horse: VenueSaved
) -> None:
    times = [slot["time"] for slot in slots_of(api, 8)]

    # A dinner party of 8 stays 90 minutes.
    assert times[-1] == "20:30"


def test_summer_starts_carry_british_summer_time(
    api: TestClient, white_horse: VenueSaved, clock: Any
) -> None:
    clock.now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    slots = slots_of(api, 2, date="2026-06-08")

    assert slots[0]["start_at"] == "2026-06-08T12:00:00+01:00"


def test_a_closed_day_offers_no_slots(api: TestClient, white_horse: VenueSaved) -> None:
    assert slots_of(api, 2, date=SATURDAY) == []


def test_a_party_too_large_for_the_floor_is_refused(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    response = api.get(URL, params={"date": MONDAY, "party_size": 29})

    body = problem(response, 422, "party-too-large")
    assert "28" in body["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date": MONDAY, "party_size": "two"}, "query.party_size"),
        ({"date": MONDAY, "party_size": 0}, "query.party_size"),
        ({"date": "2026-13-45", "party_size": 2}, "query.date"),
        ({"party_size": 2}, "query.date"),
    ],
)
def test_a_malformed_query_is_a_validation_problem_naming_the_field(
    api: TestClient,
    white_horse: VenueSaved,
    problem: ProblemCheck,
    params: dict[str, Any],
    field: str,
) -> None:
    body = problem(api.get(URL, params=params), 422, "validation-error")

    assert field in [error["field"] for error in body["errors"]]


def test_an_unknown_restaurant_has_no_availability_to_show(
    api: TestClient, problem: ProblemCheck
) -> None:
    response = api.get(
        "/v1/restaurants/nowhere/availability", params={"date": MONDAY, "party_size": 2}
    )

    problem(response, 404, "not-found")


def test_on_a_busy_day_every_slot_is_available_exactly_when_booking_it_succeeds(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book
) -> None:
    chance = random.Random(20261207)
    grid = [slot["time"] for slot in slots_of(api, 2)]
    for _ in range(140):
        book(chance.randint(2, 10), chance.choice(grid), headers=staff)

    seen = set()
    for party_size in (2, 4, 8, 12):
        for at in [slot["time"] for slot in slots_of(api, party_size)]:
            # Read again before each booking: a booking that moved pooled tables to get in,
            # then was cancelled, leaves the others where it moved them.
            slot = next(slot for slot in slots_of(api, party_size) if slot["time"] == at)
            response = book(party_size, slot["time"])
            assert response.status_code == (201 if slot["available"] else 409), (
                party_size,
                slot,
                response.text,
            )
            seen.add(slot["available"])
            if response.status_code == 201:  # put the day back as it was
                booking = response.json()
                cancelled = api.post(
                    f"/v1/bookings/{booking['id']}/cancel",
                    headers={"X-Manage-Token": booking["manage_token"]},
                )
                assert cancelled.status_code == 200

    assert seen == {True, False}, "the day should be busy enough to refuse some slots"
