"""Blocks listed by day and removed: GET /v1/restaurants/{slug}/blocks?date= and
DELETE /v1/blocks/{id} (placing them is in test_staff_floor)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import httpx

from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, KeyFor, ProblemCheck

MONDAY = "2026-12-07"
TUESDAY = "2026-12-08"
VENUE = "/v1/restaurants/white-horse"


def place(
    api: TestClient,
    staff: dict[str, str],
    tables: list[str],
    start: str,
    end: str,
    *,
    day: str = MONDAY,
    **extra: Any,
) -> dict[str, Any]:
    response = api.post(
        f"{VENUE}/blocks",
        json={"tables": tables, "date": day, "start": start, "end": end, **extra},
        headers=staff,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def blocks_on(api: TestClient, staff: dict[str, str], day: str = MONDAY) -> httpx.Response:
    return api.get(f"{VENUE}/blocks", params={"date": day}, headers=staff)


def listed(api: TestClient, staff: dict[str, str], day: str = MONDAY) -> list[dict[str, Any]]:
    response = blocks_on(api, staff, day)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["date"] == day
    found: list[dict[str, Any]] = body["blocks"]
    return found


def test_the_days_blocks_are_listed_by_start_with_their_tables_and_reason(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str]
) -> None:
    late = place(api, staff, ["MD-02", "MD-01"], "20:00", "22:00", reason="wedding")
    early = place(api, staff, ["PT-01"], "12:00", "13:00", reason="broken chair")
    place(api, staff, ["MD-01"], "12:00", "13:00", day=TUESDAY)  # another day

    assert listed(api, staff) == [
        {
            "id": early["id"],
            "tables": ["PT-01"],
            "start_at": "2026-12-07T12:00:00+00:00",
            "end_at": "2026-12-07T13:00:00+00:00",
            "reason": "broken chair",
        },
        {
            "id": late["id"],
            "tables": ["MD-01", "MD-02"],
            "start_at": "2026-12-07T20:00:00+00:00",
            "end_at": "2026-12-07T22:00:00+00:00",
            "reason": "wedding",
        },
    ]
    assert listed(api, staff, "2026-12-09") == []


def test_a_block_past_midnight_is_listed_on_both_days_whole(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str]
) -> None:
    block = place(api, staff, ["MD-01"], "23:00", "02:00", end_date=TUESDAY, reason="deep clean")

    monday, tuesday = listed(api, staff), listed(api, staff, TUESDAY)

    assert monday == tuesday == [block]
    assert (block["start_at"], block["end_at"]) == (
        "2026-12-07T23:00:00+00:00",
        "2026-12-08T02:00:00+00:00",
    )
    assert listed(api, staff, "2026-12-06") == []


def test_removing_a_block_frees_its_tables(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book
) -> None:
    block = place(api, staff, ["MD-01"], "18:00", "21:00")
    every_other = [t["label"] for t in api.get(VENUE).json()["tables"] if t["label"] != "MD-01"]
    rest = place(api, staff, every_other, "18:00", "21:00")
    assert book(2, "19:00").status_code == 409  # every table is blocked

    removed = api.delete(f"/v1/blocks/{block['id']}", headers=staff)

    assert removed.status_code == 204, removed.text
    assert removed.content == b""
    assert [b["id"] for b in listed(api, staff)] == [rest["id"]]
    booked = book(2, "19:00")
    assert booked.status_code == 201, booked.text
    assert booked.json()["tables"] == ["MD-01"]


def test_a_removed_or_unknown_block_is_not_found(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], problem: ProblemCheck
) -> None:
    block = place(api, staff, ["MD-01"], "18:00", "21:00")
    assert api.delete(f"/v1/blocks/{block['id']}", headers=staff).status_code == 204

    problem(api.delete(f"/v1/blocks/{block['id']}", headers=staff), 404, "not-found")
    problem(api.delete(f"/v1/blocks/{uuid4()}", headers=staff), 404, "not-found")


def test_another_venues_staff_can_neither_list_nor_remove_a_block(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    admin: Connection,
    key_for: KeyFor,
    problem: ProblemCheck,
) -> None:
    save_venue(admin, dataclasses.replace(read_venue_file(DEMO_VENUE), slug="black-horse"))
    theirs = key_for("black-horse")
    block = place(api, staff, ["MD-01"], "18:00", "21:00")

    problem(blocks_on(api, theirs), 404, "not-found")
    problem(api.delete(f"/v1/blocks/{block['id']}", headers=theirs), 404, "not-found")

    assert [b["id"] for b in listed(api, staff)] == [block["id"]]
    # An admin key may manage every venue.
    assert api.delete(f"/v1/blocks/{block['id']}", headers=key_for(None)).status_code == 204


def test_blocks_need_a_key(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], problem: ProblemCheck
) -> None:
    block = place(api, staff, ["MD-01"], "18:00", "21:00")

    problem(api.get(f"{VENUE}/blocks", params={"date": MONDAY}), 401, "unauthorized")
    problem(api.delete(f"/v1/blocks/{block['id']}"), 401, "unauthorized")
    assert len(listed(api, staff)) == 1


def test_a_date_no_venue_opens_is_refused_before_the_database(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], problem: ProblemCheck
) -> None:
    problem(blocks_on(api, staff, "0001-01-01"), 422, "too-late")
    problem(blocks_on(api, staff, "9999-12-31"), 422, "too-far-ahead")
