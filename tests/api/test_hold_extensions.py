"""A guest who needs more time extends their hold (WCAG 2.2.1 Timing Adjustable): the
countdown starts again at its full length, ten times at most; and the guest's page reads
the hold by its id."""

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
HOLD_FIELDS = {"id", "tables", "start_at", "end_at", "expires_at", "extensions_left"}


def place_hold(api: TestClient, party_size: int = 2, time: str = "19:00") -> dict[str, Any]:
    response = api.post(HOLDS, json={"party_size": party_size, "date": MONDAY, "time": time})
    assert response.status_code == 201, response.text
    hold: dict[str, Any] = response.json()
    return hold


def extend(api: TestClient, hold_id: str) -> httpx.Response:
    return api.post(f"/v1/holds/{hold_id}/extend")


def available_at(api: TestClient, time: str) -> bool:
    response = api.get(
        "/v1/restaurants/white-horse/availability", params={"date": MONDAY, "party_size": 2}
    )
    assert response.status_code == 200, response.text
    return next(slot["available"] for slot in response.json()["slots"] if slot["time"] == time)


@pytest.fixture
def only_one_table_free(api: TestClient, white_horse: VenueSaved, staff: dict[str, str]) -> str:
    """Every table but one two-top blocked for the whole of Monday."""
    labels = [table["label"] for table in api.get("/v1/restaurants/white-horse").json()["tables"]]
    response = api.post(
        "/v1/restaurants/white-horse/blocks",
        json={
            "tables": [label for label in labels if label != LAST_TABLE],
            "date": MONDAY,
            "start": "12:00",
            "end": "22:00",
        },
        headers=staff,
    )
    assert response.status_code == 201, response.text
    return LAST_TABLE


# --- extending ---------------------------------------------------------------------------


def test_extending_starts_the_countdown_again_at_its_full_length(
    api: TestClient, white_horse: VenueSaved, clock: Any
) -> None:
    hold = place_hold(api)
    assert hold["expires_at"] == "2026-12-01T10:02:00+00:00"
    clock.advance(seconds=100)  # 20 s left

    response = extend(api, hold["id"])

    assert response.status_code == 200, response.text
    extended = response.json()
    assert set(extended) == HOLD_FIELDS
    assert extended["expires_at"] == "2026-12-01T10:03:40+00:00"  # now + the full 120 s
    assert extended["extensions_left"] == 9
    assert {key: extended[key] for key in ("id", "tables", "start_at", "end_at")} == {
        key: hold[key] for key in ("id", "tables", "start_at", "end_at")
    }


def test_the_eleventh_extension_is_refused_and_the_hold_still_stands(
    api: TestClient, white_horse: VenueSaved, book: Book, clock: Any, problem: ProblemCheck
) -> None:
    hold = place_hold(api)
    for left in range(9, -1, -1):
        clock.advance(seconds=60)
        response = extend(api, hold["id"])
        assert response.status_code == 200, response.text
        assert response.json()["extensions_left"] == left
    expires_at = response.json()["expires_at"]
    clock.advance(seconds=60)

    body = problem(extend(api, hold["id"]), 409, "hold-extension-limit")

    assert "10 times" in body["detail"]
    shown = api.get(f"/v1/holds/{hold['id']}").json()
    assert (shown["expires_at"], shown["extensions_left"], shown["expired"]) == (
        expires_at,
        0,
        False,
    )
    booked = book(2, "19:00", hold_id=hold["id"])
    assert booked.status_code == 201, booked.text
    assert booked.json()["tables"] == hold["tables"]


@pytest.mark.parametrize("seconds", [120, 121], ids=["at-expiry", "after"])
def test_an_expired_hold_cannot_be_extended(
    api: TestClient, white_horse: VenueSaved, clock: Any, problem: ProblemCheck, seconds: int
) -> None:
    hold = place_hold(api)
    clock.advance(seconds=seconds)

    problem(extend(api, hold["id"]), 410, "hold-expired")


def test_extending_an_unknown_or_released_hold_is_not_found(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    problem(extend(api, str(uuid4())), 404, "not-found")
    hold = place_hold(api)
    assert api.delete(f"/v1/holds/{hold['id']}").status_code == 204

    problem(extend(api, hold["id"]), 404, "not-found")


def test_booking_with_an_extended_hold_after_its_first_expiry_works(
    api: TestClient, white_horse: VenueSaved, book: Book, clock: Any
) -> None:
    hold = place_hold(api, party_size=4, time="18:30")
    clock.advance(seconds=100)
    assert extend(api, hold["id"]).status_code == 200
    clock.advance(seconds=100)  # 200 s after it was placed: past the first expiry

    response = book(4, "18:30", hold_id=hold["id"])

    assert response.status_code == 201, response.text
    assert response.json()["tables"] == hold["tables"]


def test_an_extended_hold_keeps_its_table_from_others_past_its_first_expiry(
    api: TestClient, only_one_table_free: str, book: Book, clock: Any, problem: ProblemCheck
) -> None:
    # Booking purges expired holds before it reads the floor: the extended one is not.
    hold = place_hold(api)
    clock.advance(seconds=100)
    assert extend(api, hold["id"]).status_code == 200
    clock.advance(seconds=100)

    assert not available_at(api, "19:00")
    problem(book(2, "19:00"), 409, "no-availability")
    clock.advance(seconds=21)  # the extension's 120 s are up
    assert available_at(api, "19:00")
    assert book(2, "19:00").json()["tables"] == [only_one_table_free]


# --- reading -----------------------------------------------------------------------------


def test_a_hold_reads_as_its_guest_needs_it(
    api: TestClient, white_horse: VenueSaved, clock: Any
) -> None:
    hold = place_hold(api, party_size=4, time="19:00")

    response = api.get(f"/v1/holds/{hold['id']}")

    assert response.status_code == 200, response.text
    assert response.json() == {
        **hold,
        "restaurant": "white-horse",
        "party_size": 4,
        "date": MONDAY,
        "time": "19:00",
        "expired": False,
    }
    clock.advance(seconds=120)
    assert api.get(f"/v1/holds/{hold['id']}").json()["expired"] is True


def test_a_hold_reads_in_the_venues_zone_after_an_extension(
    api: TestClient, white_horse: VenueSaved, clock: Any
) -> None:
    hold = place_hold(api)
    clock.advance(seconds=30)
    extended = extend(api, hold["id"]).json()

    shown = api.get(f"/v1/holds/{hold['id']}").json()

    assert {key: shown[key] for key in HOLD_FIELDS} == extended
    assert shown["expires_at"] == "2026-12-01T10:02:30+00:00"  # London keeps GMT in December


def test_an_unknown_or_confirmed_hold_is_not_found(
    api: TestClient, white_horse: VenueSaved, book: Book, problem: ProblemCheck
) -> None:
    problem(api.get(f"/v1/holds/{uuid4()}"), 404, "not-found")
    hold = place_hold(api)
    assert book(2, "19:00", hold_id=hold["id"]).status_code == 201

    problem(api.get(f"/v1/holds/{hold['id']}"), 404, "not-found")


def test_the_openapi_document_lists_what_the_hold_routes_answer(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]

    extending = paths["/v1/holds/{hold_id}/extend"]["post"]
    assert {"200", "404", "409", "410", "429"} <= set(extending["responses"])
    assert extending["security"] == [{}, {"StaffKey": []}]  # public, as the other hold routes
    assert {"200", "404", "429"} <= set(paths["/v1/holds/{hold_id}"]["get"]["responses"])
