"""A booking once made: GET, PATCH and cancel, for its manage token's holder or its
restaurant's staff, and as if it did not exist for anybody else."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import httpx
import pytest

from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, KeyFor, ManualClock, ProblemCheck, WindowsOf


MONDAY = "2026-12-07"


def act(api: TestClient, action: str, booking_id: str, headers: dict[str, str]) -> httpx.Response:
    url = f"/v1/bookings/{booking_id}"
    if action == "get":
        return api.get(url, headers=headers)
    if action == "patch":
        return api.patch(url, json={"time": "20:00"}, headers=headers)
    return api.post(f"{url}/cancel", headers=headers)


@pytest.fixture
def booking(white_horse: VenueSaved, book: Book) -> dict[str, Any]:
    """A confirmed two at 19:00 on Monday, with its manage token."""
    response = book(2, "19:00")
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def token_of(booking: dict[str, Any]) -> dict[str, str]:
    return {"X-Manage-Token": booking["manage_token"]}


def test_the_manage_token_shows_the_booking(api: TestClient, booking: dict[str, Any]) -> None:
    response = api.get(f"/v1/bookings/{booking['id']}", headers=token_of(booking))

    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["id"] == booking["id"]
    assert shown["guest"] == booking["guest"]
    assert shown["tables"] == booking["tables"]
    assert shown.get("manage_token") is None  # returned once, when the booking was made


def test_a_staff_key_of_its_restaurant_shows_the_booking(
    api: TestClient, booking: dict[str, Any], staff: dict[str, str]
) -> None:
    response = api.get(f"/v1/bookings/{booking['id']}", headers=staff)

    assert response.status_code == 200
    assert response.json()["reference"] == booking["reference"]


def test_an_admin_key_shows_any_booking(
    api: TestClient, booking: dict[str, Any], key_for: KeyFor
) -> None:
    response = api.get(f"/v1/bookings/{booking['id']}", headers=key_for(None))

    assert response.status_code == 200


@pytest.mark.parametrize("action", ["get", "patch", "cancel"])
@pytest.mark.parametrize(
    "who",
    ["nobody", "a wrong token", "another restaurant's staff", "a wrong key", "a proxy's Basic"],
)
def test_anyone_else_is_told_the_booking_does_not_exist(
    api: TestClient,
    admin: Connection,
    booking: dict[str, Any],
    key_for: KeyFor,
    problem: ProblemCheck,
    action: str,
    who: str,
) -> None:
    save_venue(admin, dataclasses.replace(read_venue_file(DEMO_VENUE), slug="other"))
    headers = {
        "nobody": {},
        "a wrong token": {"X-Manage-Token": "not-the-token"},
        "another restaurant's staff": key_for("other"),
        "a wrong key": {"Authorization": "Bearer rsv_no-such-key"},
        "a proxy's Basic": {"Authorization": "Basic dXNlcjpwYXNz"},
    }[who]
    headers = {**headers, "X-Request-ID": "the-same-id"}  # the same for both: answers name it

    refused = problem(act(api, action, booking["id"], headers), 404, "not-found")
    unknown = problem(act(api, action, str(uuid4()), headers), 404, "not-found")

    assert refused == unknown
    still = api.get(f"/v1/bookings/{booking['id']}", headers=token_of(booking)).json()
    assert (still["status"], still["time"]) == ("confirmed", "19:00")


@pytest.mark.parametrize("authorization", ["Bearer rsv_no-such-key", "Basic dXNlcjpwYXNz"])
def test_the_manage_token_works_beside_a_credential_that_is_not_a_key_of_ours(
    api: TestClient, booking: dict[str, Any], authorization: str
) -> None:
    headers = {**token_of(booking), "Authorization": authorization}

    response = api.get(f"/v1/bookings/{booking['id']}", headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["id"] == booking["id"]


def test_a_guest_changes_the_notes_and_their_details_without_moving_tables(
    api: TestClient, booking: dict[str, Any], clock: ManualClock
) -> None:
    clock.advance(minutes=5)
    response = api.patch(
        f"/v1/bookings/{booking['id']}",
        json={
            "notes": "a high chair, please",
            "guest": {"name": "Ada King", "phone": "+44 20 7946 0000"},
        },
        headers=token_of(booking),
    )

    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["notes"] == "a high chair, please"
    assert changed["guest"] == {
        "name": "Ada King",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0000",
    }
    assert changed["tables"] == booking["tables"]
    assert (changed["time"], changed["party_size"]) == (booking["time"], booking["party_size"])
    assert changed["updated_at"] == "2026-12-01T10:05:00+00:00"

    removed = api.patch(
        f"/v1/bookings/{booking['id']}", json={"guest": {"phone": None}}, headers=token_of(booking)
    )
    assert removed.json()["guest"]["phone"] is None
    assert removed.json()["guest"]["name"] == "Ada King"


@pytest.mark.parametrize(
    "change",
    [
        {"notes": "x" * 501},
        {"guest": {"name": ""}},
        {"guest": {"name": "x" * 121}},
        {"guest": {"email": "not-an-address"}},
        {"guest": {"phone": "12"}},
        {"guest": {"nickname": "Ada"}},
    ],
)
def test_a_change_of_details_keeps_the_limits_of_a_booking(
    api: TestClient, booking: dict[str, Any], problem: ProblemCheck, change: dict[str, Any]
) -> None:
    response = api.patch(f"/v1/bookings/{booking['id']}", json=change, headers=token_of(booking))

    problem(response, 422, "validation-error")
    still = api.get(f"/v1/bookings/{booking['id']}", headers=token_of(booking)).json()
    assert (still["notes"], still["guest"]) == (booking["notes"], booking["guest"])


def test_a_booking_id_that_is_not_a_uuid_is_a_validation_problem(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    problem(api.get("/v1/bookings/42"), 422, "validation-error")


def test_moving_and_resizing_a_booking_seats_it_anew_in_one_step(
    api: TestClient, booking: dict[str, Any], staff: dict[str, str], windows_of: WindowsOf
) -> None:
    response = api.patch(
        f"/v1/bookings/{booking['id']}",
        json={"time": "20:00", "party_size": 6},
        headers=token_of(booking),
    )

    assert response.status_code == 200, response.text
    moved = response.json()
    assert (moved["time"], moved["party_size"], moved["status"]) == ("20:00", 6, "confirmed")
    assert moved["start_at"] == "2026-12-07T20:00:00+00:00"
    assert moved["end_at"] == "2026-12-07T21:25:00+00:00"  # a dinner six stays 85 minutes
    assert moved["tables"]
    assert moved["tables"] != booking["tables"]  # a two-top cannot seat six
    # Only the new window is occupied, buffer included; the old one is free.
    assert sorted(windows_of(api, staff, booking["id"])) == sorted(
        (table, "2026-12-07T20:00:00+00:00", "2026-12-07T21:30:00+00:00")
        for table in moved["tables"]
    )


def test_a_move_to_a_full_time_changes_nothing(
    api: TestClient,
    booking: dict[str, Any],
    staff: dict[str, str],
    problem: ProblemCheck,
    windows_of: WindowsOf,
) -> None:
    every_table = [t["label"] for t in api.get("/v1/restaurants/white-horse").json()["tables"]]
    blocked = api.post(
        "/v1/restaurants/white-horse/blocks",
        json={"tables": every_table, "date": MONDAY, "start": "12:00", "end": "14:00"},
        headers=staff,
    )
    assert blocked.status_code == 201, blocked.text
    before = windows_of(api, staff, booking["id"])

    response = api.patch(
        f"/v1/bookings/{booking['id']}", json={"time": "12:30"}, headers=token_of(booking)
    )

    problem(response, 409, "no-availability")
    kept = api.get(f"/v1/bookings/{booking['id']}", headers=token_of(booking)).json()
    assert (kept["time"], kept["start_at"], kept["tables"]) == (
        "19:00",
        booking["start_at"],
        booking["tables"],
    )
    assert windows_of(api, staff, booking["id"]) == before


def test_a_move_outside_service_hours_changes_nothing(
    api: TestClient, booking: dict[str, Any], problem: ProblemCheck
) -> None:
    response = api.patch(
        f"/v1/bookings/{booking['id']}", json={"time": "23:00"}, headers=token_of(booking)
    )

    problem(response, 422, "outside-service-hours")
    kept = api.get(f"/v1/bookings/{booking['id']}", headers=token_of(booking)).json()
    assert (kept["time"], kept["tables"]) == ("19:00", booking["tables"])


def test_a_patch_with_an_unknown_field_is_a_validation_problem(
    api: TestClient, booking: dict[str, Any], problem: ProblemCheck
) -> None:
    response = api.patch(
        f"/v1/bookings/{booking['id']}", json={"tables": ["MD-01"]}, headers=token_of(booking)
    )

    body = problem(response, 422, "validation-error")
    assert [error["field"] for error in body["errors"]] == ["body.tables"]


def test_cancelling_frees_the_tables(
    api: TestClient, booking: dict[str, Any], staff: dict[str, str], windows_of: WindowsOf
) -> None:
    response = api.post(f"/v1/bookings/{booking['id']}/cancel", headers=token_of(booking))

    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["tables"] == []
    assert windows_of(api, staff, booking["id"]) == []


def test_cancelling_again_changes_nothing(api: TestClient, booking: dict[str, Any]) -> None:
    url = f"/v1/bookings/{booking['id']}/cancel"
    first = api.post(url, headers=token_of(booking))

    again = api.post(url, headers=token_of(booking))

    assert again.status_code == 200
    assert again.json() == first.json()


def test_a_cancelled_booking_can_no_longer_be_moved(
    api: TestClient, booking: dict[str, Any], problem: ProblemCheck
) -> None:
    api.post(f"/v1/bookings/{booking['id']}/cancel", headers=token_of(booking))

    response = api.patch(
        f"/v1/bookings/{booking['id']}", json={"time": "20:00"}, headers=token_of(booking)
    )

    problem(response, 422, "validation-error")
