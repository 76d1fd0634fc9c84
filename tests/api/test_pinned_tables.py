"""Pinned tables over HTTP: tables staff choose are pinned and the move is in the booking's
history; staff unpin them; a change that has the allocator seat the booking anew unpins it.
Staff see whether a booking is pinned; its guest does not."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from conftest import made, move_to_status
from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, KeyFor, ManualClock, ProblemCheck

MONDAY = "2026-12-07"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def set_tables(
    api: TestClient, staff: dict[str, str], booking: dict[str, Any], tables: list[str]
) -> dict[str, Any]:
    response = api.put(
        f"/v1/bookings/{booking['id']}/tables", json={"tables": tables}, headers=staff
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def unpin(api: TestClient, headers: dict[str, str], booking_id: str) -> httpx.Response:
    return api.post(f"/v1/bookings/{booking_id}/tables/unpin", headers=headers)


def listed(api: TestClient, staff: dict[str, str], booking: dict[str, Any]) -> dict[str, Any]:
    """The booking as the day's list shows it to staff."""
    response = api.get(
        "/v1/restaurants/white-horse/bookings", params={"date": MONDAY}, headers=staff
    )
    assert response.status_code == 200, response.text
    [found] = [b for b in response.json()["bookings"] if b["id"] == booking["id"]]
    return found


def another_two_top(booking: dict[str, Any]) -> str:
    [table] = booking["tables"]
    return "MD-02" if table == "MD-01" else "MD-01"


def history(api: TestClient, staff: dict[str, str], booking: dict[str, Any]) -> dict[str, Any]:
    response = api.get(f"/v1/bookings/{booking['id']}/history", headers=staff)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_staff_move_pins_the_tables_and_is_in_the_history_with_who_moved_them(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    clock: ManualClock,
) -> None:
    booking = made(book(2, "19:00"))
    assert listed(api, staff, booking)["tables_pinned"] is False
    target = another_two_top(booking)
    clock.advance(hours=1)

    moved = set_tables(api, staff, booking, [target])

    assert (moved["tables"], moved["tables_pinned"]) == ([target], True)
    assert listed(api, staff, booking)["tables_pinned"] is True
    body = history(api, staff, booking)
    assert [(t["from"], t["to"]) for t in body["transitions"]] == [(None, "confirmed")]
    made_step, move = body["entries"]
    assert made_step == {
        "kind": "status",
        "from": None,
        "to": "confirmed",
        "actor": "guest",
        "at": "2026-12-01T10:00:00+00:00",
    }
    assert {k: v for k, v in move.items() if k != "actor"} == {
        "kind": "tables",
        "from_tables": booking["tables"],
        "to_tables": [target],
        "at": "2026-12-01T11:00:00+00:00",
    }
    assert move["actor"].startswith("staff:")


def test_the_history_interleaves_moves_with_status_changes_in_time_order(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    clock: ManualClock,
) -> None:
    booking = made(book(2, "19:00"))
    target = another_two_top(booking)
    clock.now = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    set_tables(api, staff, booking, [target])
    clock.now = datetime(2026, 12, 7, 18, 45, tzinfo=UTC)
    move_to_status(api, staff, booking, "seated")
    clock.now = datetime(2026, 12, 7, 18, 50, tzinfo=UTC)
    set_tables(api, staff, booking, booking["tables"])  # a seated party moved back

    steps = [
        (e["kind"], e.get("to") or e["to_tables"], e["at"])
        for e in history(api, staff, booking)["entries"]
    ]

    assert steps == [
        ("status", "confirmed", "2026-12-01T10:00:00+00:00"),
        ("tables", [target], "2026-12-07T18:00:00+00:00"),
        ("status", "seated", "2026-12-07T18:45:00+00:00"),
        ("tables", booking["tables"], "2026-12-07T18:50:00+00:00"),
    ]


def test_choosing_the_tables_a_booking_has_pins_them_without_a_move(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book
) -> None:
    booking = made(book(2, "19:00"))

    kept = set_tables(api, staff, booking, booking["tables"])

    assert (kept["tables"], kept["tables_pinned"]) == (booking["tables"], True)
    assert [e["kind"] for e in history(api, staff, booking)["entries"]] == ["status"]


def test_staff_unpin_the_tables_and_unpinning_again_changes_nothing(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book
) -> None:
    booking = made(book(2, "19:00"))
    target = another_two_top(booking)
    set_tables(api, staff, booking, [target])

    first, again = unpin(api, staff, booking["id"]), unpin(api, staff, booking["id"])

    for response in (first, again):
        assert response.status_code == 200, response.text
        assert (response.json()["tables"], response.json()["tables_pinned"]) == ([target], False)
    assert listed(api, staff, booking)["tables_pinned"] is False
    assert [e["kind"] for e in history(api, staff, booking)["entries"]] == ["status", "tables"]


@pytest.mark.parametrize("who", ["token", "nobody", "other-venue", "unknown"])
def test_only_the_venues_staff_unpin_a_booking(
    api: TestClient,
    white_horse: VenueSaved,
    admin: Connection,
    staff: dict[str, str],
    book: Book,
    key_for: KeyFor,
    problem: ProblemCheck,
    who: str,
) -> None:
    booking = made(book(2, "19:00"))
    set_tables(api, staff, booking, booking["tables"])
    save_venue(admin, dataclasses.replace(read_venue_file(DEMO_VENUE), slug="black-horse"))
    headers, booking_id = {
        "token": ({"X-Manage-Token": booking["manage_token"]}, booking["id"]),
        "nobody": ({}, booking["id"]),
        "other-venue": (key_for("black-horse"), booking["id"]),
        "unknown": (staff, UNKNOWN),
    }[who]

    status, kind = (401, "unauthorized") if who in ("token", "nobody") else (404, "not-found")
    problem(unpin(api, headers, booking_id), status, kind)
    assert listed(api, staff, booking)["tables_pinned"] is True


@pytest.mark.parametrize("who", ["staff", "guest"])
def test_a_change_of_time_seats_the_booking_anew_unpinned(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    who: str,
) -> None:
    booking = made(book(2, "19:00"))
    set_tables(api, staff, booking, [another_two_top(booking)])
    headers = staff if who == "staff" else {"X-Manage-Token": booking["manage_token"]}

    response = api.patch(f"/v1/bookings/{booking['id']}", json={"time": "20:00"}, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["time"] == "20:00"
    assert listed(api, staff, booking)["tables_pinned"] is False


def test_undoing_a_no_show_seats_the_party_where_the_allocator_chooses_unpinned(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    clock: ManualClock,
) -> None:
    booking = made(book(2, "19:00"))
    set_tables(api, staff, booking, [another_two_top(booking)])
    clock.now = datetime(2026, 12, 7, 19, 15, tzinfo=UTC)  # the start and its grace

    back = move_to_status(api, staff, booking, "no_show", "confirmed")

    assert back["tables"]
    assert back["tables_pinned"] is False


def test_the_guest_is_not_told_whether_the_tables_are_pinned(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book
) -> None:
    booking = made(book(2, "19:00"))
    set_tables(api, staff, booking, booking["tables"])

    shown = api.get(
        f"/v1/bookings/{booking['id']}", headers={"X-Manage-Token": booking["manage_token"]}
    )

    assert shown.status_code == 200, shown.text
    assert "tables_pinned" not in shown.json()
    assert "tables_pinned" not in booking


def test_the_openapi_document_declares_unpinning_and_moves_in_the_history(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()

    unpinning = document["paths"]["/v1/bookings/{booking_id}/tables/unpin"]["post"]
    assert {"200", "401", "404", "422", "429", "503"} <= set(unpinning["responses"])
    assert unpinning["responses"]["404"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert unpinning["security"] == [{"StaffKey": []}]
    schemas = document["components"]["schemas"]
    assert "tables_pinned" in schemas["StaffBookingOut"]["required"]
    assert "tables_pinned" not in schemas["BookingOut"]["properties"]
    entries = schemas["HistoryOut"]["properties"]["entries"]["items"]
    assert {ref["$ref"] for ref in entries["oneOf"]} == {
        "#/components/schemas/StatusEntryOut",
        "#/components/schemas/MoveEntryOut",
    }
    assert set(schemas["MoveEntryOut"]["required"]) == {
        "from_tables",
        "to_tables",
        "actor",
        "at",
    }
