"""Staff routes about the floor itself: the timeline, blocks, flags, and (admin) the venue
document."""

from __future__ import annotations

import copy
import logging
import tomllib
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from prometheus_client import REGISTRY

from reserve.db.database import Connection
from reserve.db.venues import VenueSaved
from reserve.domain.venue_document import venue_to_document
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, KeyFor, ProblemCheck


MONDAY = "2026-12-07"
VENUE = "/v1/restaurants/white-horse"
ALLOCATION_FIELDS = {"kind", "start_at", "end_at", "party_size", "status", "guest_name"}


def timeline(api: TestClient, staff: dict[str, str], day: str = MONDAY) -> dict[str, Any]:
    response = api.get(f"{VENUE}/timeline", params={"date": day}, headers=staff)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def allocations_of(
    api: TestClient, staff: dict[str, str], day: str = MONDAY
) -> dict[str, list[dict[str, Any]]]:
    """The day's allocations (Monday's unless ``day``) by table, only of tables with some."""
    return {
        table["label"]: table["allocations"]
        for table in timeline(api, staff, day)["tables"]
        if table["allocations"]
    }


def place_block(
    api: TestClient, staff: dict[str, str], tables: list[str], start: str, end: str
) -> httpx.Response:
    return api.post(
        f"{VENUE}/blocks",
        json={"tables": tables, "date": MONDAY, "start": start, "end": end, "reason": "wedding"},
        headers=staff,
    )


def exclusion_conflicts() -> float:
    value = REGISTRY.get_sample_value("reserve_exclusion_violations_total")
    return value or 0.0


def every_table(api: TestClient) -> list[str]:
    return [table["label"] for table in api.get(VENUE).json()["tables"]]


def availability(api: TestClient, party_size: int) -> httpx.Response:
    return api.get(f"{VENUE}/availability", params={"date": MONDAY, "party_size": party_size})


def flags(api: TestClient, staff: dict[str, str]) -> dict[str, Any]:
    response = api.get(f"{VENUE}/flags", headers=staff)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["flags"]
    return found


# --- timeline ----------------------------------------------------------------------------


def test_the_timeline_lists_every_table_with_what_occupies_it_buffer_included(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book
) -> None:
    booking = book(2, "12:00").json()

    body = timeline(api, staff)

    assert body["date"] == MONDAY
    assert len(body["tables"]) == 40
    assert all(
        set(table) == {"label", "zone", "capacity", "allocations"} for table in body["tables"]
    )
    [table] = [table for table in body["tables"] if table["allocations"]]
    assert table["label"] == booking["tables"][0]
    assert table["allocations"] == [
        {
            "kind": "booking",
            "booking_id": booking["id"],
            "start_at": "2026-12-07T12:00:00+00:00",
            "end_at": "2026-12-07T13:05:00+00:00",  # 60 minutes, then 5 to clear the table
            "party_size": 2,
            "status": "confirmed",
            "guest_name": "Ada Lovelace",
        }
    ]


def test_the_timeline_shows_holds_and_blocks_by_their_own_ids(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str]
) -> None:
    hold = api.post(
        f"{VENUE}/holds", json={"party_size": 2, "date": MONDAY, "time": "13:00"}
    ).json()
    block = place_block(api, staff, ["PR-05"], "18:00", "22:00").json()

    by_table = allocations_of(api, staff)

    [held] = by_table[hold["tables"][0]]
    assert set(held) == ALLOCATION_FIELDS | {"hold_id"}
    assert (held["kind"], held["hold_id"], held["party_size"]) == ("hold", hold["id"], 2)
    [blocked] = by_table["PR-05"]
    assert set(blocked) == ALLOCATION_FIELDS | {"block_id"}
    assert (blocked["kind"], blocked["block_id"]) == ("block", block["id"])
    assert (blocked["start_at"], blocked["end_at"]) == (
        "2026-12-07T18:00:00+00:00",
        "2026-12-07T22:00:00+00:00",
    )


def test_the_timeline_needs_a_key(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    problem(api.get(f"{VENUE}/timeline", params={"date": MONDAY}), 401, "unauthorized")


# --- blocks ------------------------------------------------------------------------------


def test_blocked_tables_are_unavailable_for_the_blocked_window(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str]
) -> None:
    response = place_block(api, staff, every_table(api), "18:00", "20:00")

    assert response.status_code == 201, response.text
    block = response.json()
    assert block["tables"] == sorted(every_table(api))
    assert (block["start_at"], block["end_at"]) == (
        "2026-12-07T18:00:00+00:00",
        "2026-12-07T20:00:00+00:00",
    )
    assert block["reason"] == "wedding"
    slots = availability(api, 2).json()["slots"]
    # A two stays 60 minutes plus 5 to clear: any start from 17:00 to 19:45 meets the block.
    refused = [slot["time"] for slot in slots if not slot["available"]]
    assert refused == [
        f"{hour}:{minute:02d}" for hour in (17, 18, 19) for minute in (0, 15, 30, 45)
    ]


def test_a_block_over_a_booked_table_is_refused(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    problem: ProblemCheck,
) -> None:
    booking = book(2, "19:00").json()
    caught = exclusion_conflicts()

    response = place_block(api, staff, booking["tables"], "19:30", "21:00")

    body = problem(response, 409, "no-availability")
    assert list(allocations_of(api, staff)) == booking["tables"]
    assert f"booking {booking['reference']} ({booking['tables'][0]}, 19:00)" in body["detail"]
    # Found under the day lock, not left for the exclusion constraint to catch.
    assert exclusion_conflicts() == caught


def test_a_block_may_run_past_midnight_and_shows_on_both_days(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str]
) -> None:
    response = api.post(
        f"{VENUE}/blocks",
        json={
            "tables": ["MD-01"],
            "date": MONDAY,
            "start": "23:00",
            "end": "02:00",
            "end_date": "2026-12-08",
            "reason": "deep clean",
        },
        headers=staff,
    )

    assert response.status_code == 201, response.text
    assert (response.json()["start_at"], response.json()["end_at"]) == (
        "2026-12-07T23:00:00+00:00",
        "2026-12-08T02:00:00+00:00",
    )
    monday = allocations_of(api, staff)["MD-01"]
    tuesday = allocations_of(api, staff, "2026-12-08")["MD-01"]
    assert [(a["start_at"], a["end_at"]) for a in monday] == [
        ("2026-12-07T23:00:00+00:00", "2026-12-08T00:00:00+00:00")
    ]
    assert [(a["start_at"], a["end_at"]) for a in tuesday] == [
        ("2026-12-08T00:00:00+00:00", "2026-12-08T02:00:00+00:00")
    ]


@pytest.mark.parametrize(
    ("tables", "start", "end", "wrong"),
    [
        (["MD-01"], "20:00", "18:00", "end"),
        (["ZZ-99"], "18:00", "20:00", "tables"),
        ([], "18:00", "20:00", "body.tables"),
    ],
)
def test_a_block_of_unknown_tables_or_backwards_hours_is_refused(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    problem: ProblemCheck,
    tables: list[str],
    start: str,
    end: str,
    wrong: str,
) -> None:
    body = problem(place_block(api, staff, tables, start, end), 422, "validation-error")
    assert [item["field"] for item in body["errors"]] == [wrong]
    assert allocations_of(api, staff) == {}


def test_blocking_tables_needs_a_key(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    problem(place_block(api, {}, ["MD-01"], "18:00", "20:00"), 401, "unauthorized")


# --- flags -------------------------------------------------------------------------------


def test_the_flags_show_each_default_override_and_value(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str]
) -> None:
    found = flags(api, staff)

    assert found["allocator.max_tables"] == {
        "default": 3,
        "override": None,
        "overridden": False,
        "value": 3,
    }
    assert "debug.capacity_profiling" in found


def test_capacity_profiling_logs_the_time_of_each_stage_of_every_allocation(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="reserve.allocator")
    book(2, "19:00")
    assert not caplog.records  # off by default

    response = api.put(f"{VENUE}/flags", json={"debug.capacity_profiling": True}, headers=staff)
    assert response.status_code == 200, response.text
    booking = book(4, "19:00").json()

    (line,) = [record.getMessage() for record in caplog.records]
    assert line.startswith(f"allocated {'+'.join(booking['tables'])} for 4 at white-horse ")
    assert "candidates_ms" in line
    assert "lookahead_ms" in line
    assert "total_ms" in line


def test_allowing_one_table_a_party_turns_away_parties_that_need_combinations(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], problem: ProblemCheck
) -> None:
    assert any(slot["available"] for slot in availability(api, 12).json()["slots"])

    response = api.put(f"{VENUE}/flags", json={"allocator.max_tables": 1}, headers=staff)

    assert response.status_code == 200, response.text
    assert response.json()["flags"]["allocator.max_tables"]["value"] == 1
    # No single table seats twelve, so the venue can no longer seat twelve at all.
    problem(availability(api, 12), 422, "party-too-large")
    assert any(slot["available"] for slot in availability(api, 10).json()["slots"])

    removed = api.put(f"{VENUE}/flags", json={"allocator.max_tables": None}, headers=staff)

    assert removed.status_code == 200, removed.text
    assert removed.json()["flags"]["allocator.max_tables"]["overridden"] is False
    assert any(slot["available"] for slot in availability(api, 12).json()["slots"])


@pytest.mark.parametrize(
    ("change", "wrong"),
    [
        ({"allocator.max_tables": 2, "allocator.no_such_flag": True}, "allocator.no_such_flag"),
        ({"allocator.lookahead": False, "allocator.max_tables": 9}, "allocator.max_tables"),
        ({"allocator.max_tables": "three"}, "allocator.max_tables"),
        ({"allocator.adjacency_mode": "sideways"}, "allocator.adjacency_mode"),
        ({"allocator.require_adjacency": "maybe"}, "allocator.require_adjacency"),
    ],
)
def test_an_unknown_flag_or_bad_value_is_refused_and_nothing_changes(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    problem: ProblemCheck,
    change: dict[str, Any],
    wrong: str,
) -> None:
    before = flags(api, staff)

    body = problem(api.put(f"{VENUE}/flags", json=change, headers=staff), 422, "validation-error")

    assert [item["field"] for item in body["errors"]] == [wrong]
    assert flags(api, staff) == before


def test_flags_need_a_key_of_the_restaurant(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    problem(api.get(f"{VENUE}/flags"), 401, "unauthorized")
    problem(api.put(f"{VENUE}/flags", json={"allocator.max_tables": 1}), 401, "unauthorized")


# --- the venue document ------------------------------------------------------------------


def white_horse_document() -> dict[str, Any]:
    """The White Horse TOML's content, as a client would send it."""
    with DEMO_VENUE.open("rb") as file:
        return tomllib.load(file)


def test_an_admin_creates_a_venue_from_its_document(api: TestClient, key_for: KeyFor) -> None:
    response = api.put(VENUE, json=white_horse_document(), headers=key_for(None))

    assert response.status_code == 200, response.text
    venue = response.json()
    assert (venue["slug"], venue["name"]) == ("white-horse", "The White Horse")
    assert len(venue["tables"]) == 40
    assert api.get(VENUE).json() == venue


def test_an_admin_updates_a_venue_from_its_document(
    api: TestClient, white_horse: VenueSaved, key_for: KeyFor
) -> None:
    document = venue_to_document(read_venue_file(DEMO_VENUE))
    document["name"] = "The White Horse Inn"

    response = api.put(VENUE, json=document, headers=key_for(None))

    assert response.status_code == 200, response.text
    assert api.get(VENUE).json()["name"] == "The White Horse Inn"


def test_an_admin_sets_the_venues_embed_origins_through_its_document(
    api: TestClient, white_horse: VenueSaved, key_for: KeyFor, admin: Connection
) -> None:
    document = white_horse_document()
    document["embed_origins"] = ["HTTPS://www.thewhitehorse.example"]

    response = api.put(VENUE, json=document, headers=key_for(None))

    assert response.status_code == 200, response.text
    row = admin.execute("SELECT embed_origins FROM restaurants WHERE slug = 'white-horse'")
    assert row.fetchone() == {"embed_origins": ["https://www.thewhitehorse.example"]}


def test_a_bad_embed_origin_is_refused_naming_it(
    api: TestClient, white_horse: VenueSaved, key_for: KeyFor, problem: ProblemCheck
) -> None:
    document = white_horse_document()
    document["embed_origins"] = ["https://www.thewhitehorse.example", "javascript:alert(1)"]

    body = problem(api.put(VENUE, json=document, headers=key_for(None)), 422, "validation-error")

    [error] = body["errors"]
    assert error["message"].startswith("embed_origins[1] 'javascript:alert(1)' is not an origin")


def test_a_staff_key_may_not_change_the_venue(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], problem: ProblemCheck
) -> None:
    problem(api.put(VENUE, json=white_horse_document(), headers=staff), 403, "forbidden")
    problem(api.put(VENUE, json=white_horse_document()), 401, "unauthorized")


def test_a_malformed_document_is_refused_listing_every_problem(
    api: TestClient, white_horse: VenueSaved, key_for: KeyFor, problem: ProblemCheck
) -> None:
    document = copy.deepcopy(white_horse_document())
    document["timezone"] = "Mars/Olympus_Mons"
    document["tables"][0]["capacity"] = "two"
    document["periods"][0]["start"] = "25:00"

    body = problem(api.put(VENUE, json=document, headers=key_for(None)), 422, "validation-error")

    assert len(body["errors"]) == 3
    messages = " ".join(error["message"] for error in body["errors"])
    assert "timezone" in messages
    assert "tables[0]" in messages
    assert "periods[0]" in messages
    assert api.get(VENUE).json()["name"] == "The White Horse"


def test_a_document_past_the_schemas_limits_is_refused_not_failed(
    api: TestClient, white_horse: VenueSaved, key_for: KeyFor, problem: ProblemCheck
) -> None:
    document = copy.deepcopy(white_horse_document())
    document["tables"][0]["label"] = "L" * 33
    document["tables"][1]["capacity"] = 1001
    document["name"] = "\x00"

    body = problem(api.put(VENUE, json=document, headers=key_for(None)), 422, "validation-error")

    messages = [error["message"] for error in body["errors"]]
    assert any("label is 33 characters long, more than 32" in m for m in messages)
    assert any("capacity 1001 is above 1000" in m for m in messages)
    assert any("name holds a NUL character" in m for m in messages)


def test_a_document_of_another_venue_is_refused(
    api: TestClient, white_horse: VenueSaved, key_for: KeyFor, problem: ProblemCheck
) -> None:
    document = {**white_horse_document(), "slug": "black-horse"}

    problem(api.put(VENUE, json=document, headers=key_for(None)), 422, "validation-error")


def test_a_document_may_not_drop_a_table_with_future_bookings(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book, key_for: KeyFor
) -> None:
    # Staff book without the guests' horizon, so the booking is in the future whatever
    # the real date the database sees.
    booking = book(2, "19:00", date="2030-12-02", headers=staff).json()
    [table] = booking["tables"]
    document = white_horse_document()
    document["tables"] = [t for t in document["tables"] if t["label"] != table]
    document["adjacent"] = [pair for pair in document["adjacent"] if table not in pair]

    response = api.put(VENUE, json=document, headers=key_for(None))

    assert response.status_code == 409, response.text
    assert table in response.json()["detail"]
    assert table in every_table(api)
