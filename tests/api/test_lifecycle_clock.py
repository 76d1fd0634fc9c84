"""The lifecycle against the clock: seating from the venue's margin before the start, a
no-show only after the start and its grace; completing keeps where the party sat and frees
the tables from that moment; and the history staff read of every booking."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from conftest import made, move_to_status, set_status
from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, KeyFor, ManualClock, ProblemCheck, WindowsOf

MONDAY = "2026-12-07"


def on_monday(clock: ManualClock, hour: int, minute: int = 0, second: int = 0) -> None:
    clock.now = datetime(2026, 12, 7, hour, minute, second, tzinfo=UTC)


def history(api: TestClient, headers: dict[str, str], booking_id: str) -> httpx.Response:
    return api.get(f"/v1/bookings/{booking_id}/history", headers=headers)


# --- seating and no-shows respect the clock -------------------------------------------


def test_a_party_is_seated_from_half_an_hour_before_its_start(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    clock: ManualClock,
    problem: ProblemCheck,
) -> None:
    booking = made(book(2, "19:30"))
    on_monday(clock, 18, 59, 59)

    body = problem(set_status(api, staff, booking, "seated"), 409, "too-early")

    assert body["detail"] == (
        "the booking for Ada Lovelace can be seated from 19:00 "
        "(30 minutes before its start at 19:30)"
    )
    assert api.get(f"/v1/bookings/{booking['id']}", headers=staff).json()["status"] == "confirmed"
    on_monday(clock, 19)
    assert move_to_status(api, staff, booking, "seated")["tables"] == booking["tables"]


def test_seating_days_ahead_names_the_day_it_may_happen(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    problem: ProblemCheck,
) -> None:
    booking = made(book(2, "19:30"))  # the clock says Tuesday 2026-12-01, 10:00

    body = problem(set_status(api, staff, booking, "seated"), 409, "too-early")

    assert "from 19:00 on 2026-12-07" in body["detail"]


def test_a_no_show_only_after_the_start_and_a_quarter_of_an_hours_grace(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    clock: ManualClock,
    problem: ProblemCheck,
) -> None:
    booking = made(book(2, "19:30"))
    on_monday(clock, 19, 44)

    body = problem(set_status(api, staff, booking, "no_show"), 409, "too-early")

    assert body["detail"] == (
        "the booking for Ada Lovelace can be marked a no-show from 19:45 "
        "(15 minutes after its start at 19:30)"
    )
    on_monday(clock, 19, 45)
    assert move_to_status(api, staff, booking, "no_show")["tables"] == []


def test_the_venues_own_margins_decide(
    api: TestClient,
    admin: Connection,
    staff: dict[str, str],
    book: Book,
    clock: ManualClock,
    problem: ProblemCheck,
) -> None:
    venue = dataclasses.replace(
        read_venue_file(DEMO_VENUE), seat_early_minutes=0, no_show_grace_minutes=40
    )
    save_venue(admin, venue)
    seated = made(book(2, "19:30"))
    missing = made(book(2, "19:30"))
    on_monday(clock, 20, 9)

    problem(set_status(api, staff, missing, "no_show"), 409, "too-early")
    on_monday(clock, 19, 29)
    problem(set_status(api, staff, seated, "seated"), 409, "too-early")
    on_monday(clock, 19, 30)
    move_to_status(api, staff, seated, "seated")
    on_monday(clock, 20, 10)
    move_to_status(api, staff, missing, "no_show")


def test_cancelling_and_undoing_a_no_show_keep_no_hours(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    clock: ManualClock,
) -> None:
    early = made(book(2, "19:30"))
    missing = made(book(2, "19:30"))

    move_to_status(api, staff, early, "cancelled")  # days before, at 10:00 on the Tuesday
    on_monday(clock, 19, 45)
    move_to_status(api, staff, missing, "no_show")
    clock.now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)  # the next morning, after all
    assert len(move_to_status(api, staff, missing, "confirmed")["tables"]) == 1


# --- completing keeps where the party sat ---------------------------------------------


def test_completing_keeps_the_tables_on_record_and_frees_them_from_then(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    clock: ManualClock,
    windows_of: WindowsOf,
) -> None:
    booking = made(book(2, "19:00"))
    [table] = booking["tables"]
    on_monday(clock, 18, 55)
    move_to_status(api, staff, booking, "seated")
    on_monday(clock, 19, 40)

    completed = move_to_status(api, staff, booking, "completed")

    assert completed["tables"] == [table]
    again = api.get(f"/v1/bookings/{booking['id']}", headers=staff).json()
    assert (again["status"], again["tables"]) == ("completed", [table])
    assert windows_of(api, staff, booking["id"]) == [
        (table, "2026-12-07T19:00:00+00:00", "2026-12-07T19:40:00+00:00")
    ]
    # A party walking in at that moment may have the table at once.
    walk_in = api.post(
        "/v1/restaurants/white-horse/walk-ins",
        json={"party_size": 2, "tables": [table]},
        headers=staff,
    )
    assert walk_in.status_code == 201, walk_in.text


def test_a_party_gone_before_its_start_keeps_its_table_on_record_and_frees_it(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    clock: ManualClock,
    windows_of: WindowsOf,
) -> None:
    booking = made(book(2, "19:30"))
    [table] = booking["tables"]
    on_monday(clock, 19)
    move_to_status(api, staff, booking, "seated")
    on_monday(clock, 19, 20)  # a drink and gone, before the booked time

    completed = move_to_status(api, staff, booking, "completed")

    assert completed["tables"] == [table]
    # On the timeline up to the moment they left; the table is free from then on.
    assert windows_of(api, staff, booking["id"]) == [
        (table, "2026-12-07T19:19:59.999999+00:00", "2026-12-07T19:20:00+00:00")
    ]
    late = made(book(2, "19:30", headers=staff))
    assert moved_to(api, staff, late, [table])["tables"] == [table]


def test_a_walk_in_completed_at_once_keeps_its_table_and_frees_it_at_that_moment(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
    windows_of: WindowsOf,
) -> None:
    on_monday(clock, 19)
    walk_ins = "/v1/restaurants/white-horse/walk-ins"
    walk_in = made(api.post(walk_ins, json={"party_size": 2}, headers=staff))
    [table] = walk_in["tables"]

    completed = move_to_status(api, staff, walk_in, "completed")

    assert completed["tables"] == [table]
    assert windows_of(api, staff, walk_in["id"]) == [
        (table, "2026-12-07T18:59:59.999999+00:00", "2026-12-07T19:00:00+00:00")
    ]
    following = api.post(walk_ins, json={"party_size": 2, "tables": [table]}, headers=staff)
    assert following.status_code == 201, following.text


def moved_to(
    api: TestClient, staff: dict[str, str], booking: dict[str, Any], tables: list[str]
) -> dict[str, Any]:
    response = api.put(
        f"/v1/bookings/{booking['id']}/tables", json={"tables": tables}, headers=staff
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- history ---------------------------------------------------------------------------


def test_the_history_lists_every_transition_in_time_order_with_who_and_when(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    clock: ManualClock,
) -> None:
    booking = made(book(2, "19:30"))  # by a guest, Tuesday 10:00
    on_monday(clock, 19, 45)
    move_to_status(api, staff, booking, "no_show")
    on_monday(clock, 19, 50)
    move_to_status(api, staff, booking, "confirmed")
    move_to_status(api, staff, booking, "seated")
    on_monday(clock, 21)
    move_to_status(api, staff, booking, "completed")

    response = history(api, staff, booking["id"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["booking_id"] == booking["id"]
    steps = [(t["from"], t["to"], t["at"]) for t in body["transitions"]]
    assert steps == [
        (None, "confirmed", "2026-12-01T10:00:00+00:00"),
        ("confirmed", "no_show", "2026-12-07T19:45:00+00:00"),
        ("no_show", "confirmed", "2026-12-07T19:50:00+00:00"),
        ("confirmed", "seated", "2026-12-07T19:50:00+00:00"),
        ("seated", "completed", "2026-12-07T21:00:00+00:00"),
    ]
    actors = [t["actor"] for t in body["transitions"]]
    assert actors[0] == "guest"
    assert all(actor.startswith("staff:") for actor in actors[1:])


@pytest.mark.parametrize("who", ["token", "nobody", "other-venue"])
def test_only_the_venues_staff_read_a_history(
    api: TestClient,
    white_horse: VenueSaved,
    admin: Connection,
    book: Book,
    key_for: KeyFor,
    problem: ProblemCheck,
    who: str,
) -> None:
    booking = made(book(2, "19:30"))
    save_venue(admin, dataclasses.replace(read_venue_file(DEMO_VENUE), slug="black-horse"))
    headers = {
        "token": {"X-Manage-Token": booking["manage_token"]},
        "nobody": {},
        "other-venue": key_for("black-horse"),
    }[who]

    problem(history(api, headers, booking["id"]), 404, "not-found")


def test_the_history_of_an_unknown_booking_is_not_found(
    api: TestClient, staff: dict[str, str], problem: ProblemCheck
) -> None:
    problem(history(api, staff, "00000000-0000-4000-8000-000000000000"), 404, "not-found")
