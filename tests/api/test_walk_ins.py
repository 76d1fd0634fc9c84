"""Walk-ins: a party seated now, for its turn time cut at closing, on the allocator's
tables or on tables staff chose; refused outside service hours and when nothing is free."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, KeyFor, ManualClock, ProblemCheck, WindowsOf

TODAY = "2026-12-01"  # a Tuesday: the White Horse is open 12:00-22:00, on GMT
WALK_INS = "/v1/restaurants/white-horse/walk-ins"


def at(clock: ManualClock, hour: int, minute: int = 0) -> None:
    """Move the clock to that time today."""
    clock.now = datetime(2026, 12, 1, hour, minute, tzinfo=UTC)


def walk_in(
    api: TestClient, staff: dict[str, str], party_size: int = 2, **extra: Any
) -> httpx.Response:
    return api.post(WALK_INS, json={"party_size": party_size, **extra}, headers=staff)


def seated(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "seated"
    assert body["source"] == "walk_in"
    return body


def test_a_walk_in_is_seated_now_for_the_turn_time_of_the_service_running(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
    windows_of: WindowsOf,
) -> None:
    at(clock, 19, 7)

    body = seated(walk_in(api, staff, 2))

    assert (body["date"], body["time"]) == (TODAY, "19:07")
    # Dinner: a two stays 60 minutes, from the moment it sat down.
    assert (body["start_at"], body["end_at"]) == (
        "2026-12-01T19:07:00+00:00",
        "2026-12-01T20:07:00+00:00",
    )
    assert body["guest"] == {"name": "Walk-in", "email": None, "phone": None}
    assert len(body["tables"]) == 1
    # Occupied for the turn plus the White Horse's 5 minutes to clear.
    assert windows_of(api, staff, body["id"], day=TODAY) == [
        (body["tables"][0], "2026-12-01T19:07:00+00:00", "2026-12-01T20:12:00+00:00")
    ]
    again = api.get(f"/v1/bookings/{body['id']}", headers=staff)
    assert again.status_code == 200
    assert again.json()["status"] == "seated"


def test_a_walk_in_late_in_the_evening_ends_at_closing_time(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], clock: ManualClock
) -> None:
    at(clock, 21, 20)

    body = seated(walk_in(api, staff, 4))

    assert (body["start_at"], body["end_at"]) == (
        "2026-12-01T21:20:00+00:00",
        "2026-12-01T22:00:00+00:00",
    )


def test_a_walk_in_takes_its_name_and_phone(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], clock: ManualClock
) -> None:
    at(clock, 13)

    body = seated(walk_in(api, staff, 3, name="Grace Hopper", phone="+44 1223 000000"))

    assert body["guest"] == {"name": "Grace Hopper", "email": None, "phone": "+44 1223 000000"}


def test_no_walk_in_before_opening_between_days_or_when_closing_is_too_near(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
    problem: ProblemCheck,
) -> None:
    # 10:00, the tests' clock: the White Horse opens at 12:00.
    body = problem(walk_in(api, staff), 422, "outside-service-hours")
    assert "not open now" in body["detail"]
    at(clock, 21, 45)  # less than half an hour before closing
    body = problem(walk_in(api, staff), 422, "outside-service-hours")
    assert "closes at 22:00" in body["detail"]
    clock.now = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)  # a Saturday: closed all day
    problem(walk_in(api, staff), 422, "outside-service-hours")
    at(clock, 22)  # closing time itself
    problem(walk_in(api, staff), 422, "outside-service-hours")

    listed = api.get("/v1/restaurants/white-horse/bookings", params={"date": TODAY}, headers=staff)
    assert listed.json()["bookings"] == []


def test_a_walk_in_is_not_seated_at_a_table_booked_soon(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
    book: Book,
    problem: ProblemCheck,
) -> None:
    booked = book(2, "19:30", date=TODAY, headers=staff)
    assert booked.status_code == 201, booked.text
    taken = booked.json()["tables"]
    at(clock, 19)

    body = problem(walk_in(api, staff, 2, tables=taken), 409, "no-availability")
    assert taken[0] in body["detail"]
    elsewhere = seated(walk_in(api, staff, 2))
    assert set(elsewhere["tables"]).isdisjoint(taken)


def test_a_walk_in_at_tables_staff_chose(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
    windows_of: WindowsOf,
) -> None:
    at(clock, 19)

    body = seated(walk_in(api, staff, 6, tables=["MD-07"]))

    assert body["tables"] == ["MD-07"]
    assert [label for label, *_ in windows_of(api, staff, body["id"], day=TODAY)] == ["MD-07"]


def test_a_walk_in_at_tables_that_cannot_seat_the_party_is_refused(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
    problem: ProblemCheck,
) -> None:
    at(clock, 19)

    too_small = problem(walk_in(api, staff, 6, tables=["MD-01"]), 422, "validation-error")
    unknown = problem(walk_in(api, staff, 2, tables=["ZZ-99"]), 422, "validation-error")

    assert [item["field"] for item in too_small["errors"]] == ["tables"]
    assert "ZZ-99" in unknown["detail"]


def test_no_walk_in_when_every_table_is_taken(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
    problem: ProblemCheck,
) -> None:
    venue = api.get("/v1/restaurants/white-horse").json()
    every_table = [table["label"] for table in venue["tables"]]
    block = api.post(
        "/v1/restaurants/white-horse/blocks",
        json={"tables": every_table, "date": TODAY, "start": "18:00", "end": "22:00"},
        headers=staff,
    )
    assert block.status_code == 201, block.text
    at(clock, 19)

    problem(walk_in(api, staff), 409, "no-availability")


def test_a_walk_in_needs_a_staff_key_of_the_venue(
    api: TestClient,
    white_horse: VenueSaved,
    admin: Connection,
    key_for: KeyFor,
    clock: ManualClock,
    problem: ProblemCheck,
) -> None:
    save_venue(admin, dataclasses.replace(read_venue_file(DEMO_VENUE), slug="black-horse"))
    at(clock, 19)

    problem(walk_in(api, {}), 401, "unauthorized")
    problem(walk_in(api, key_for("black-horse")), 404, "not-found")


def test_a_walk_ins_history_records_it_seated_by_the_staff_key(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], clock: ManualClock
) -> None:
    at(clock, 19)
    body = seated(walk_in(api, staff))

    history = api.get(f"/v1/bookings/{body['id']}/history", headers=staff)

    assert history.status_code == 200, history.text
    [made] = history.json()["transitions"]
    assert (made["from"], made["to"], made["at"]) == (None, "seated", "2026-12-01T19:00:00+00:00")
    assert made["actor"].startswith("staff:")
