"""Holds: tables kept for a party until ``expires_at``, released, confirmed by a booking, or
left to expire (and then blocking nobody)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import uuid4

import httpx
import pytest

from reserve.db.venues import VenueSaved

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, ProblemCheck


MONDAY = "2026-12-07"
HOLDS = "/v1/restaurants/white-horse/holds"
LAST_TABLE = "MD-01"  # a two-top, the only table left by ``only_one_table_free``


def place_hold(
    api: TestClient, party_size: int = 2, time: str = "19:00", date: str = MONDAY
) -> httpx.Response:
    return api.post(HOLDS, json={"party_size": party_size, "date": date, "time": time})


def available_at(api: TestClient, time: str, party_size: int = 2) -> bool:
    response = api.get(
        "/v1/restaurants/white-horse/availability",
        params={"date": MONDAY, "party_size": party_size},
    )
    assert response.status_code == 200, response.text
    return next(slot["available"] for slot in response.json()["slots"] if slot["time"] == time)


def block(api: TestClient, staff: dict[str, str], tables: list[str]) -> None:
    response = api.post(
        "/v1/restaurants/white-horse/blocks",
        json={"tables": tables, "date": MONDAY, "start": "12:00", "end": "22:00"},
        headers=staff,
    )
    assert response.status_code == 201, response.text


def all_tables(api: TestClient) -> list[str]:
    return [table["label"] for table in api.get("/v1/restaurants/white-horse").json()["tables"]]


@pytest.fixture
def only_one_table_free(api: TestClient, white_horse: VenueSaved, staff: dict[str, str]) -> str:
    """Every table but one two-top blocked for the whole of Monday."""
    block(api, staff, [label for label in all_tables(api) if label != LAST_TABLE])
    return LAST_TABLE


def test_a_hold_shows_its_tables_window_and_expiry(
    api: TestClient, white_horse: VenueSaved
) -> None:
    response = place_hold(api, party_size=4, time="19:00")

    assert response.status_code == 201, response.text
    hold = response.json()
    assert set(hold) == {"id", "tables", "start_at", "end_at", "expires_at", "extensions_left"}
    assert hold["tables"]
    assert hold["start_at"] == "2026-12-07T19:00:00+00:00"
    assert hold["end_at"] == "2026-12-07T20:15:00+00:00"  # a dinner four stays 75 minutes
    assert hold["expires_at"] == "2026-12-01T10:02:00+00:00"  # the clock's now + 120 s
    assert hold["extensions_left"] == 10


def test_a_hold_on_a_full_slot_is_refused(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], problem: ProblemCheck
) -> None:
    block(api, staff, all_tables(api))

    problem(place_hold(api), 409, "no-availability")


def test_a_held_table_is_taken_until_the_hold_is_released(
    api: TestClient, only_one_table_free: str
) -> None:
    hold = place_hold(api).json()
    assert hold["tables"] == [only_one_table_free]
    assert not available_at(api, "19:00")

    released = api.delete(f"/v1/holds/{hold['id']}")

    assert released.status_code == 204
    assert released.content == b""
    assert available_at(api, "19:00")


def test_releasing_an_unknown_hold_is_not_found(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    problem(api.delete(f"/v1/holds/{uuid4()}"), 404, "not-found")


def test_a_hold_can_be_released_only_once(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    hold = place_hold(api).json()
    assert api.delete(f"/v1/holds/{hold['id']}").status_code == 204

    problem(api.delete(f"/v1/holds/{hold['id']}"), 404, "not-found")


def test_booking_with_a_hold_confirms_it_on_the_same_tables(
    api: TestClient, white_horse: VenueSaved, book: Book, problem: ProblemCheck
) -> None:
    hold = place_hold(api, party_size=6, time="18:30").json()

    response = book(6, "18:30", hold_id=hold["id"])

    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["status"] == "confirmed"
    assert booking["tables"] == hold["tables"]
    assert (booking["start_at"], booking["end_at"]) == (hold["start_at"], hold["end_at"])
    # The hold became the booking: there is nothing left to release.
    problem(api.delete(f"/v1/holds/{hold['id']}"), 404, "not-found")


def test_booking_with_a_hold_past_its_expiry_is_gone(
    api: TestClient, white_horse: VenueSaved, book: Book, clock: Any, problem: ProblemCheck
) -> None:
    hold = place_hold(api).json()
    clock.advance(seconds=121)

    problem(book(2, "19:00", hold_id=hold["id"]), 410, "hold-expired")


def test_an_expired_hold_blocks_nobody(
    api: TestClient, only_one_table_free: str, book: Book, clock: Any, problem: ProblemCheck
) -> None:
    hold = place_hold(api).json()
    assert not available_at(api, "19:00")
    clock.advance(seconds=121)

    assert available_at(api, "19:00")
    someone_else = book(2, "19:00")
    assert someone_else.status_code == 201, someone_else.text
    assert someone_else.json()["tables"] == [only_one_table_free]
    problem(book(2, "19:00", hold_id=hold["id"]), 410, "hold-expired")


def test_a_hold_still_inside_its_ttl_is_kept_from_others(
    api: TestClient, only_one_table_free: str, book: Book, clock: Any, problem: ProblemCheck
) -> None:
    hold = place_hold(api).json()
    clock.advance(seconds=119)

    problem(book(2, "19:00"), 409, "no-availability")
    assert book(2, "19:00", hold_id=hold["id"]).status_code == 201


@pytest.mark.parametrize(
    "changed",
    [{"party_size": 3}, {"date": "2026-12-08"}, {"time": "19:15"}],
    ids=["party", "date", "time"],
)
def test_a_booking_must_match_the_party_date_and_time_of_its_hold(
    api: TestClient,
    white_horse: VenueSaved,
    book: Book,
    problem: ProblemCheck,
    changed: dict[str, Any],
) -> None:
    hold = place_hold(api).json()
    request = {"party_size": 2, "time": "19:00", "date": MONDAY, **changed}

    body = problem(book(**request, hold_id=hold["id"]), 422, "validation-error")
    assert [item["field"] for item in body["errors"]] == list(changed)


def test_a_hold_in_an_unknown_zone_is_refused(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    response = api.post(
        HOLDS, json={"party_size": 2, "date": MONDAY, "time": "19:00", "zone": "roof"}
    )

    body = problem(response, 422, "validation-error")
    assert body["errors"] == [{"field": "zone", "message": body["detail"]}]
