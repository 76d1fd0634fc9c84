"""Every booking request is recorded as demand exactly once, whatever its answer: booked,
pending, held, full or not offered. Confirming a hold, replaying a key and malformed
requests record nothing more."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from reserve.db.database import Connection
from reserve.db.venues import VenueSaved

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, ProblemCheck

MONDAY = "2026-12-07"
HOLDS = "/v1/restaurants/white-horse/holds"


def records(admin: Connection) -> list[dict[str, Any]]:
    rows = admin.execute(
        "SELECT kind, outcome, source, party_size, to_char(local_time, 'HH24:MI') AS time,"
        " service_date::text AS date, weekday, booking_id::text AS booking_id,"
        " received_at FROM demand_requests ORDER BY id"
    ).fetchall()
    return list(rows)


def answers(admin: Connection) -> list[tuple[str, str, int, str]]:
    """(kind, outcome, party size, time) of every record, in the order received."""
    return [(r["kind"], r["outcome"], r["party_size"], r["time"]) for r in records(admin)]


def place_hold(api: TestClient, party_size: int = 2, time: str = "19:00") -> Any:
    return api.post(HOLDS, json={"party_size": party_size, "date": MONDAY, "time": time})


@pytest.fixture
def full(api: TestClient, white_horse: VenueSaved, staff: dict[str, str]) -> None:
    """Every table blocked from 18:00 to 21:00 on Monday."""
    tables = [t["label"] for t in api.get("/v1/restaurants/white-horse").json()["tables"]]
    blocked = api.post(
        "/v1/restaurants/white-horse/blocks",
        json={"tables": tables, "date": MONDAY, "start": "18:00", "end": "21:00"},
        headers=staff,
    )
    assert blocked.status_code == 201, blocked.text


def test_a_confirmed_booking_is_recorded_with_it(
    white_horse: VenueSaved, book: Book, admin: Connection
) -> None:
    booking = book(2, "19:00").json()

    [record] = records(admin)
    assert record["kind"] == "booking"
    assert record["outcome"] == "confirmed"
    assert record["source"] == "web"
    assert (record["party_size"], record["time"], record["date"]) == (2, "19:00", MONDAY)
    assert record["weekday"] == 0  # Monday
    assert record["booking_id"] == booking["id"]
    assert record["received_at"].isoformat() == "2026-12-01T10:00:00+00:00"  # the clock's


def test_a_party_waiting_for_approval_is_recorded_pending(
    white_horse: VenueSaved, book: Book, admin: Connection
) -> None:
    assert book(13, "19:00").status_code == 202

    assert answers(admin) == [("booking", "pending", 13, "19:00")]


def test_a_hold_is_recorded_held_and_confirming_it_records_nothing_more(
    api: TestClient, white_horse: VenueSaved, book: Book, admin: Connection
) -> None:
    hold = place_hold(api, 4, "18:30").json()
    assert answers(admin) == [("hold", "held", 4, "18:30")]

    assert book(4, "18:30", hold_id=hold["id"]).status_code == 201

    assert answers(admin) == [("hold", "held", 4, "18:30")]
    assert records(admin)[0]["booking_id"] is None


def test_a_full_slot_is_recorded_full_for_a_booking_and_for_a_hold(
    api: TestClient, full: None, book: Book, admin: Connection, problem: ProblemCheck
) -> None:
    problem(book(2, "19:00"), 409, "no-availability")
    problem(place_hold(api, 2, "19:15"), 409, "no-availability")

    assert answers(admin) == [("booking", "full", 2, "19:00"), ("hold", "full", 2, "19:15")]
    assert [r["booking_id"] for r in records(admin)] == [None, None]


def test_a_start_the_venue_does_not_offer_is_recorded_not_offered(
    api: TestClient, white_horse: VenueSaved, book: Book, admin: Connection, problem: ProblemCheck
) -> None:
    problem(book(2, "23:00"), 422, "outside-service-hours")
    problem(book(29, "19:00"), 422, "party-too-large")
    problem(book(2, "19:00", "2027-03-02"), 422, "too-far-ahead")
    problem(place_hold(api, 2, "23:00"), 422, "outside-service-hours")

    assert answers(admin) == [
        ("booking", "not_offered", 2, "23:00"),
        ("booking", "not_offered", 29, "19:00"),
        ("booking", "not_offered", 2, "19:00"),
        ("hold", "not_offered", 2, "23:00"),
    ]


def test_a_staff_booking_is_recorded_with_its_source(
    white_horse: VenueSaved, book: Book, staff: dict[str, str], admin: Connection
) -> None:
    assert book(2, "19:00", headers=staff).status_code == 201
    assert book(2, "19:00", headers=staff, source="phone").status_code == 201

    assert [r["source"] for r in records(admin)] == ["staff", "phone"]


def test_a_staff_booking_refused_is_recorded_with_the_source_it_would_have_had(
    full: None, book: Book, staff: dict[str, str], admin: Connection, problem: ProblemCheck
) -> None:
    problem(book(2, "19:00", headers=staff), 409, "no-availability")
    problem(book(2, "23:00", headers=staff, source="load_test"), 422, "outside-service-hours")

    assert [(r["outcome"], r["source"]) for r in records(admin)] == [
        ("full", "staff"),
        ("not_offered", "load_test"),
    ]


def test_a_replay_and_a_reused_key_record_nothing(
    white_horse: VenueSaved, book: Book, admin: Connection, problem: ProblemCheck
) -> None:
    assert book(2, "19:00", key="again").status_code == 201
    replay = book(2, "19:00", key="again")
    assert replay.headers["Idempotent-Replayed"] == "true"
    problem(book(4, "19:00", key="again"), 422, "idempotency-key-reused")

    assert answers(admin) == [("booking", "confirmed", 2, "19:00")]


def test_malformed_and_expired_requests_record_nothing(
    api: TestClient,
    white_horse: VenueSaved,
    book: Book,
    clock: Any,
    admin: Connection,
    problem: ProblemCheck,
) -> None:
    problem(book(2, "19:00", zone="Cellar"), 422, "validation-error")
    problem(book(2, "19:00", slug="nowhere"), 404, "not-found")
    problem(book(2, "19:00", source="phone"), 403, "forbidden")  # a guest may not say phone
    hold = place_hold(api).json()
    clock.advance(seconds=121)
    problem(book(2, "19:00", hold_id=hold["id"]), 410, "hold-expired")

    assert answers(admin) == [("hold", "held", 2, "19:00")]


# --- when the record cannot be written -----------------------------------------------------


@pytest.fixture
def records_refused(admin: Connection) -> Iterator[None]:
    """The application role may not write demand records, for the test."""
    admin.execute("REVOKE INSERT ON demand_requests FROM reserve_app")
    try:
        yield
    finally:
        admin.execute("GRANT INSERT ON demand_requests TO reserve_app")


def test_a_refusal_that_cannot_be_recorded_still_gets_its_answer(
    full: None,
    book: Book,
    records_refused: None,
    admin: Connection,
    problem: ProblemCheck,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="reserve.demand"):
        problem(book(2, "19:00"), 409, "no-availability")
        problem(book(2, "23:00"), 422, "outside-service-hours")

    assert records(admin) == []
    warnings = [r for r in caplog.records if r.name == "reserve.demand"]
    assert len(warnings) == 2
    assert all(r.levelno == logging.WARNING for r in warnings)
    assert "white-horse" in warnings[0].getMessage()
