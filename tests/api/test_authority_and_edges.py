"""Who may do what across restaurants, and inputs at the edges of what can be stored."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, KeyFor, ManualClock, ProblemCheck

MONDAY = "2026-12-07"


def other_staff(admin: Connection, key_for: KeyFor) -> dict[str, str]:
    save_venue(admin, dataclasses.replace(read_venue_file(DEMO_VENUE), slug="elsewhere"))
    return key_for("elsewhere")


def test_another_venues_staff_key_with_a_guests_token_cannot_act_as_staff(
    api: TestClient,
    admin: Connection,
    white_horse: VenueSaved,
    key_for: KeyFor,
    book: Book,
    problem: ProblemCheck,
) -> None:
    made = book(13).json()  # above the online limit: pending, for the restaurant to approve
    assert made["status"] == "pending"
    headers = {**other_staff(admin, key_for), "X-Manage-Token": made["manage_token"]}
    url = f"/v1/bookings/{made['id']}"
    problem(
        api.post(f"{url}/status", json={"status": "confirmed"}, headers=headers), 404, "not-found"
    )
    problem(api.put(f"{url}/tables", json={"tables": ["MD-11"]}, headers=headers), 404, "not-found")
    assert api.get(url, headers=headers).json()["status"] == "pending"


def test_another_venues_staff_book_here_as_guests(
    api: TestClient,
    admin: Connection,
    white_horse: VenueSaved,
    key_for: KeyFor,
    book: Book,
    problem: ProblemCheck,
) -> None:
    headers = other_staff(admin, key_for)
    assert book(13, headers=headers).status_code == 202
    problem(book(2, date="2026-11-30", headers=headers), 422, "too-late")
    problem(book(2, headers=headers, source="load_test"), 403, "forbidden")
    assert book(2, headers=key_for("white-horse"), source="load_test").status_code == 201


def test_a_guest_cannot_hold_tables_for_a_party_the_restaurant_must_approve(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    hold = {"party_size": 13, "date": MONDAY, "time": "19:00"}
    problem(api.post("/v1/restaurants/white-horse/holds", json=hold), 422, "validation-error")


def test_text_postgresql_cannot_store_is_refused_naming_the_field(
    api: TestClient, white_horse: VenueSaved, book: Book, problem: ProblemCheck
) -> None:
    body = problem(book(2, notes="late\x00"), 422, "validation-error")
    assert any(error["field"].endswith("notes") for error in body["errors"])
    problem(
        api.get(
            "/v1/restaurants/white%00horse/availability", params={"date": MONDAY, "party_size": 2}
        ),
        404,
        "not-found",
    )


def test_dates_far_beyond_any_booking_are_refused_not_overflowed(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], problem: ProblemCheck
) -> None:
    availability = "/v1/restaurants/white-horse/availability"
    far = problem(
        api.get(availability, params={"date": "9999-12-31", "party_size": 2}),
        422,
        "too-far-ahead",
    )
    assert far["errors"] == [{"field": "date", "message": far["detail"]}]
    long_ago = {"date": "0001-01-01", "party_size": 2}
    problem(api.get(availability, params=long_ago), 422, "too-late")
    timeline = api.get(
        "/v1/restaurants/white-horse/timeline", params={"date": "9999-12-31"}, headers=staff
    )
    problem(timeline, 422, "too-far-ahead")


def test_a_block_at_a_time_the_clocks_skip_is_refused(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], problem: ProblemCheck
) -> None:
    block = {"tables": ["MD-01"], "date": "2027-03-28", "start": "01:30", "end": "02:15"}
    body = problem(
        api.post("/v1/restaurants/white-horse/blocks", json=block, headers=staff),
        422,
        "validation-error",
    )
    assert "skip" in body["detail"]
    assert [item["field"] for item in body["errors"]] == ["start"]


def test_the_timeline_shows_only_its_own_service_date(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str]
) -> None:
    tuesday_morning = {"tables": ["MD-01"], "date": "2026-12-08", "start": "08:00", "end": "10:00"}
    assert (
        api.post(
            "/v1/restaurants/white-horse/blocks", json=tuesday_morning, headers=staff
        ).status_code
        == 201
    )
    monday = api.get("/v1/restaurants/white-horse/timeline", params={"date": MONDAY}, headers=staff)
    tables = {table["label"]: table["allocations"] for table in monday.json()["tables"]}
    assert tables["MD-01"] == []


def test_staff_may_move_a_booking_onto_a_table_whose_hold_has_expired(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book, clock: ManualClock
) -> None:
    made = book(2, headers=staff).json()
    held = api.post(
        "/v1/restaurants/white-horse/holds", json={"party_size": 2, "date": MONDAY, "time": "19:00"}
    ).json()
    clock.advance(minutes=10)
    moved = api.put(
        f"/v1/bookings/{made['id']}/tables", json={"tables": held["tables"]}, headers=staff
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["tables"] == held["tables"]


def test_a_moved_booking_keeps_the_window_it_was_booked_for(
    api: TestClient,
    admin: Connection,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
) -> None:
    made = book(2, headers=staff).json()
    admin.execute("UPDATE turn_time_bands SET minutes = minutes + 60")
    admin.execute("UPDATE restaurants SET updated_at = now()")
    moved = api.put(f"/v1/bookings/{made['id']}/tables", json={"tables": ["MD-02"]}, headers=staff)
    assert moved.status_code == 200, moved.text
    row = admin.execute(
        "SELECT upper(a.occupied) - b.end_at AS gap FROM allocations a"
        " JOIN bookings b ON b.restaurant_id = a.restaurant_id AND b.id = a.booking_id"
    ).fetchone()
    assert row is not None
    assert row["gap"].total_seconds() == 5 * 60  # the buffer, nothing more


def test_request_metrics_do_not_grow_a_label_per_made_up_method(api: TestClient) -> None:
    for method in ("BREW", "WHEN", "PROPFIND"):
        api.request(method, "/healthz")
    exposed = api.get("/metrics").text
    assert 'method="OTHER"' in exposed
    assert "BREW" not in exposed
