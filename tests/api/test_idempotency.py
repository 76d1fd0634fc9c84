"""Idempotency-Key (DESIGN section 5): a retried booking replays the first answer, a key
reused for another request is refused, keys belong to one restaurant, and two requests
racing with one key never make two bookings."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx

from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, KeyFor, ProblemCheck


MONDAY = "2026-12-07"
REPLAYED = "Idempotent-Replayed"


def bookings_of_monday(
    api: TestClient, headers: dict[str, str], slug: str = "white-horse"
) -> list[Any]:
    response = api.get(f"/v1/restaurants/{slug}/bookings", params={"date": MONDAY}, headers=headers)
    assert response.status_code == 200, response.text
    bookings: list[Any] = response.json()["bookings"]
    return bookings


def test_a_retry_with_the_same_key_replays_the_first_answer(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book
) -> None:
    first = book(2, "19:00", key="retry-1")

    again = book(2, "19:00", key="retry-1")

    assert first.status_code == 201
    assert REPLAYED not in first.headers
    assert again.status_code == 201
    assert again.headers[REPLAYED] == "true"
    assert again.json() == first.json()
    assert again.content == first.content  # byte for byte, keys in the same order
    assert [b["id"] for b in bookings_of_monday(api, staff)] == [first.json()["id"]]


def test_a_pending_answer_is_replayed_as_pending(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book
) -> None:
    first = book(13, "19:00", key="big-party")

    again = book(13, "19:00", key="big-party")

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.headers[REPLAYED] == "true"
    assert again.content == first.content
    assert again.json() == first.json()
    assert len(bookings_of_monday(api, staff)) == 1


def test_a_retried_hold_confirmation_replays_rather_than_finding_the_hold_gone(
    api: TestClient, white_horse: VenueSaved, book: Book
) -> None:
    hold = api.post(
        "/v1/restaurants/white-horse/holds",
        json={"party_size": 2, "date": MONDAY, "time": "19:00"},
    ).json()
    first = book(2, "19:00", key="confirm", hold_id=hold["id"])

    again = book(2, "19:00", key="confirm", hold_id=hold["id"])

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers[REPLAYED] == "true"
    assert again.json() == first.json()


def test_a_key_reused_for_a_different_request_is_refused(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    problem: ProblemCheck,
) -> None:
    first = book(2, "19:00", key="shared")

    reused = book(4, "19:00", key="shared")

    problem(reused, 422, "idempotency-key-reused")
    assert [b["id"] for b in bookings_of_monday(api, staff)] == [first.json()["id"]]


def test_keys_belong_to_one_restaurant(
    api: TestClient, admin: Connection, white_horse: VenueSaved, key_for: KeyFor, book: Book
) -> None:
    save_venue(admin, dataclasses.replace(read_venue_file(DEMO_VENUE), slug="other"))

    here = book(2, "19:00", key="same-key")
    there = book(2, "19:00", key="same-key", slug="other")

    assert (here.status_code, there.status_code) == (201, 201)
    assert REPLAYED not in there.headers
    assert there.json()["id"] != here.json()["id"]
    assert there.json()["restaurant"] == "other"
    assert len(bookings_of_monday(api, key_for("other"), slug="other")) == 1


def test_two_requests_racing_with_one_key_make_one_booking(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book
) -> None:
    rounds = 6
    for round_ in range(rounds):
        start = threading.Barrier(2)

        def post(key: str = f"race-{round_}", start: threading.Barrier = start) -> httpx.Response:
            start.wait()
            return book(2, "19:00", key=key)

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(lambda _: post(), range(2)))

        made = [a for a in answers if a.status_code == 201 and REPLAYED not in a.headers]
        assert len(made) == 1, [a.text for a in answers]
        other = next(a for a in answers if a is not made[0])
        if other.status_code == 409:
            assert other.json()["type"] == "idempotency-key-in-use"
        else:
            assert other.status_code == 201
            assert other.headers[REPLAYED] == "true"
            assert other.json() == made[0].json()

    assert len(bookings_of_monday(api, staff)) == rounds
