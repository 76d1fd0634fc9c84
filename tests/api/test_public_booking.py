"""POST /v1/restaurants/{slug}/bookings: what a guest may book, and every way it is refused."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, ProblemCheck


MONDAY = "2026-12-07"
BOOKINGS = "/v1/restaurants/white-horse/bookings"
BOOKING_FIELDS = {
    "id",
    "reference",
    "restaurant",
    "status",
    "party_size",
    "date",
    "time",
    "start_at",
    "end_at",
    "tables",
    "zone",
    "guest",
    "notes",
    "source",
    "created_at",
    "updated_at",
}
ADA = {"name": "Ada Lovelace", "email": "ada@example.com"}


def test_a_booking_is_confirmed_with_exactly_the_designed_fields_and_a_manage_token(
    white_horse: VenueSaved, book: Book
) -> None:
    response = book(2, "19:00")

    assert response.status_code == 201, response.text
    booking = response.json()
    assert set(booking) == BOOKING_FIELDS | {"manage_token"}
    assert booking["status"] == "confirmed"
    assert booking["restaurant"] == "white-horse"
    assert (booking["party_size"], booking["date"], booking["time"]) == (2, MONDAY, "19:00")
    assert booking["start_at"] == "2026-12-07T19:00:00+00:00"
    assert booking["end_at"] == "2026-12-07T20:00:00+00:00"
    assert len(booking["tables"]) == 1
    assert booking["zone"] is None
    assert booking["guest"] == {**ADA, "phone": None}
    assert (booking["notes"], booking["source"]) == ("", "web")
    assert len(booking["reference"]) == 8
    assert booking["manage_token"]


def test_a_booking_is_dated_by_the_clock_the_service_is_given(
    white_horse: VenueSaved, book: Book
) -> None:
    # The test clock reads 10:00 on Tuesday 2026-12-01, whatever this machine's says.
    booking = book(2, "19:00").json()

    assert booking["created_at"] == booking["updated_at"] == "2026-12-01T10:00:00+00:00"


def test_a_booking_keeps_the_guests_phone_and_notes(white_horse: VenueSaved, book: Book) -> None:
    guest = {**ADA, "phone": "+44 1223 860000"}

    booking = book(4, "12:30", guest=guest, notes="a high chair, please").json()

    assert booking["guest"] == guest
    assert booking["notes"] == "a high chair, please"


def test_a_booking_without_an_idempotency_key_is_refused(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    response = api.post(
        BOOKINGS, json={"party_size": 2, "date": MONDAY, "time": "19:00", "guest": ADA}
    )

    body = problem(response, 422, "validation-error")
    assert [error["field"] for error in body["errors"]] == ["header.Idempotency-Key"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"guest": {**ADA, "email": "not-an-address"}}, "body.guest.email"),
        ({"guest": {**ADA, "name": "A" * 121}}, "body.guest.name"),
        ({"guest": {**ADA, "name": "   "}}, "body.guest.name"),
        ({"guest": {**ADA, "phone": "12345"}}, "body.guest.phone"),
        ({"guest": {**ADA, "phone": "3" * 31}}, "body.guest.phone"),
        ({"guest": {**ADA, "age": 40}}, "body.guest.age"),
        ({"notes": "n" * 501}, "body.notes"),
        ({"surprise": True}, "body.surprise"),
        ({"party_size": 0}, "body.party_size"),
        ({"party_size": "2"}, "body.party_size"),
        ({"date": "2026-02-30"}, "body.date"),
        ({"time": "7pm"}, "body.time"),
        ({"time": "24:00"}, "body.time"),
        ({"hold_id": "not-a-uuid"}, "body.hold_id"),
    ],
)
def test_a_malformed_booking_is_a_validation_problem_naming_the_field(
    white_horse: VenueSaved,
    book: Book,
    problem: ProblemCheck,
    change: dict[str, Any],
    field: str,
) -> None:
    request = {"party_size": 2, "time": "19:00", **change}

    body = problem(book(**request), 422, "validation-error")
    assert field in [error["field"] for error in body["errors"]], body["errors"]


def test_a_body_that_is_not_json_is_a_validation_problem(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    response = api.post(
        BOOKINGS,
        content=b"{party_size: 2",
        headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
    )

    problem(response, 422, "validation-error")


def test_the_limits_themselves_are_accepted(white_horse: VenueSaved, book: Book) -> None:
    guest = {"name": "A" * 120, "email": "ada@example.com", "phone": "1234567"}

    response = book(2, "19:00", guest=guest, notes="n" * 500)

    assert response.status_code == 201, response.text


def test_a_guest_may_not_claim_another_source(
    white_horse: VenueSaved, book: Book, problem: ProblemCheck
) -> None:
    problem(book(2, "19:00", source="phone"), 403, "forbidden")


@pytest.mark.parametrize(
    ("party_size", "time", "date"),
    [
        (2, "19:10", MONDAY),  # off the quarter-hour grid
        (2, "11:45", MONDAY),  # before opening
        (2, "22:00", MONDAY),  # at closing
        (4, "21:00", MONDAY),  # a four's 75 minutes would run past 22:00
        (2, "19:00", "2026-12-05"),  # a Saturday: closed
    ],
)
def test_a_time_the_venue_does_not_offer_is_outside_service_hours(
    white_horse: VenueSaved,
    book: Book,
    problem: ProblemCheck,
    party_size: int,
    time: str,
    date: str,
) -> None:
    problem(book(party_size, time, date), 422, "outside-service-hours")


def test_a_start_already_past_is_too_late(
    white_horse: VenueSaved, book: Book, problem: ProblemCheck
) -> None:
    problem(book(2, "19:00", "2026-11-30"), 422, "too-late")


def test_a_start_inside_the_lead_time_is_too_late(
    admin: Connection, book: Book, problem: ProblemCheck
) -> None:
    save_venue(admin, dataclasses.replace(read_venue_file(DEMO_VENUE), lead_time_minutes=180))

    # The clock reads 10:00 on Tuesday 2026-12-01.
    problem(book(2, "12:30", "2026-12-01"), 422, "too-late")
    assert book(2, "13:00", "2026-12-01").status_code == 201


def test_a_date_beyond_the_ninety_day_horizon_is_too_far_ahead(
    white_horse: VenueSaved, book: Book, problem: ProblemCheck
) -> None:
    assert book(2, "19:00", "2027-03-01").status_code == 201  # the 90th day

    problem(book(2, "19:00", "2027-03-02"), 422, "too-far-ahead")


def test_a_party_above_the_online_limit_waits_for_staff_approval(
    white_horse: VenueSaved, book: Book
) -> None:
    response = book(13, "19:00")

    assert response.status_code == 202, response.text
    booking = response.json()
    assert booking["status"] == "pending"
    assert booking["pending_reason"] == "approval"
    assert booking["tables"] == []
    assert booking["manage_token"]


def test_a_party_larger_than_any_table_or_combination_is_refused(
    white_horse: VenueSaved, book: Book, problem: ProblemCheck
) -> None:
    body = problem(book(29, "19:00"), 422, "party-too-large")

    assert "28" in body["detail"]


def test_a_full_slot_has_no_availability(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    problem: ProblemCheck,
) -> None:
    every_table = [t["label"] for t in api.get("/v1/restaurants/white-horse").json()["tables"]]
    blocked = api.post(
        "/v1/restaurants/white-horse/blocks",
        json={"tables": every_table, "date": MONDAY, "start": "18:00", "end": "21:00"},
        headers=staff,
    )
    assert blocked.status_code == 201, blocked.text

    problem(book(2, "19:00"), 409, "no-availability")
    assert book(2, "12:00").status_code == 201


def test_booking_at_an_unknown_restaurant_is_not_found(
    book: Book, problem: ProblemCheck, white_horse: VenueSaved
) -> None:
    problem(book(2, "19:00", slug="nowhere"), 404, "not-found")
