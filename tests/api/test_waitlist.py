"""The waitlist at the host stand: parties join it, are listed with how long they have
waited, are seated from it as walk-ins (in one transaction with marking them seated), or
are removed; and which free tables would seat a party now."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import httpx
import pytest

from reserve.config import PLACEHOLDER_SECRET
from reserve.db import waitlist as waitlist_store
from reserve.db.database import Connection, Database
from reserve.db.venues import VenueSaved, save_venue
from reserve.domain.errors import InvalidRequest, InvalidTransition, OutsideServiceHours
from reserve.services import waitlist
from reserve.services.authorisation import Caller
from reserve.services.context import Context
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import KeyFor, ManualClock, ProblemCheck

TODAY = "2026-12-01"  # a Tuesday: the White Horse is open 12:00-22:00, on GMT
WAITLIST = "/v1/restaurants/white-horse/waitlist"
HOST = Caller(system="host")  # acts as the staff of every venue
ENTRY_FIELDS = {
    "id",
    "name",
    "phone",
    "party_size",
    "quoted_wait_minutes",
    "notes",
    "added_at",
    "waited_minutes",
    "over_quote",
}


def at(clock: ManualClock, hour: int, minute: int = 0) -> None:
    """Move the clock to that time today."""
    clock.now = datetime(2026, 12, 1, hour, minute, tzinfo=UTC)


def join(
    api: TestClient, staff: dict[str, str], name: str = "Grace", **extra: Any
) -> httpx.Response:
    return api.post(WAITLIST, json={"name": name, "party_size": 2, **extra}, headers=staff)


def joined(api: TestClient, staff: dict[str, str], name: str = "Grace", **extra: Any) -> str:
    response = join(api, staff, name, **extra)
    assert response.status_code == 201, response.text
    entry_id: str = response.json()["id"]
    return entry_id


def entries(api: TestClient, staff: dict[str, str]) -> list[dict[str, Any]]:
    response = api.get(WAITLIST, headers=staff)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["entries"]
    return found


def seat(api: TestClient, staff: dict[str, str], entry_id: str, **body: Any) -> httpx.Response:
    return api.post(f"/v1/waitlist/{entry_id}/seat", json=body or None, headers=staff)


def block_every_table_but(api: TestClient, staff: dict[str, str], *kept: str) -> None:
    venue = api.get("/v1/restaurants/white-horse").json()
    blocked = [table["label"] for table in venue["tables"] if table["label"] not in kept]
    response = api.post(
        "/v1/restaurants/white-horse/blocks",
        json={"tables": blocked, "date": TODAY, "start": "12:00", "end": "22:00"},
        headers=staff,
    )
    assert response.status_code == 201, response.text


def walk_ins_today(api: TestClient, staff: dict[str, str]) -> list[dict[str, Any]]:
    response = api.get(
        "/v1/restaurants/white-horse/bookings", params={"date": TODAY}, headers=staff
    )
    assert response.status_code == 200, response.text
    return [b for b in response.json()["bookings"] if b["source"] == "walk_in"]


@pytest.fixture
def ctx(database_url: str, clock: ManualClock) -> Iterator[Context]:
    """The use cases' context on the test clock, for the service-level tests."""
    database = Database(database_url, min_size=1, max_size=8, timeout=2)
    database.open()
    try:
        yield Context(database, VenueStates(), PLACEHOLDER_SECRET, clock=clock)
    finally:
        database.close()


# --- joining and the list ----------------------------------------------------------------


def test_a_party_joins_the_list_and_shows_how_long_it_has_waited(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], clock: ManualClock
) -> None:
    at(clock, 19)
    response = join(
        api,
        staff,
        "  Grace Hopper ",
        party_size=3,
        phone="01223 555 0100",
        quoted_wait_minutes=15,
        notes="a high chair",
    )

    assert response.status_code == 201, response.text
    entry = response.json()
    assert set(entry) == ENTRY_FIELDS
    assert UUID(entry["id"])
    assert {k: v for k, v in entry.items() if k != "id"} == {
        "name": "Grace Hopper",
        "phone": "01223 555 0100",
        "party_size": 3,
        "quoted_wait_minutes": 15,
        "notes": "a high chair",
        "added_at": "2026-12-01T19:00:00+00:00",
        "waited_minutes": 0,
        "over_quote": False,
    }

    clock.advance(minutes=15)
    assert [(e["waited_minutes"], e["over_quote"]) for e in entries(api, staff)] == [(15, False)]
    clock.advance(minutes=1, seconds=30)
    assert [(e["waited_minutes"], e["over_quote"]) for e in entries(api, staff)] == [(16, True)]


def test_a_party_with_no_quote_is_never_over_it(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], clock: ManualClock
) -> None:
    joined(api, staff)
    clock.advance(hours=3)

    [entry] = entries(api, staff)

    assert (entry["quoted_wait_minutes"], entry["phone"], entry["notes"]) == (None, None, "")
    assert (entry["waited_minutes"], entry["over_quote"]) == (180, False)


def test_the_list_shows_the_parties_still_waiting_the_longest_waiting_first(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], clock: ManualClock
) -> None:
    at(clock, 19)
    first = joined(api, staff, "Ada")
    clock.advance(minutes=5)
    gone = joined(api, staff, "Barbara")
    clock.advance(minutes=5)
    seated = joined(api, staff, "Charles")
    clock.advance(minutes=5)
    last = joined(api, staff, "Dorothy")
    assert api.delete(f"/v1/waitlist/{gone}", headers=staff).status_code == 204
    assert seat(api, staff, seated).status_code == 200

    listed = entries(api, staff)

    assert [(e["id"], e["name"], e["waited_minutes"]) for e in listed] == [
        (first, "Ada", 15),
        (last, "Dorothy", 0),
    ]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": " "}, ["body.name"]),
        ({"name": "x" * 121}, ["body.name"]),
        ({"phone": "123"}, ["body.phone"]),
        ({"party_size": 0}, ["body.party_size"]),
        ({"quoted_wait_minutes": -1}, ["body.quoted_wait_minutes"]),
        ({"quoted_wait_minutes": 601}, ["body.quoted_wait_minutes"]),
        ({"notes": "x" * 501}, ["body.notes"]),
        ({"email": "x@example.com"}, ["body.email"]),
    ],
)
def test_a_party_outside_the_limits_is_refused_naming_the_field(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    problem: ProblemCheck,
    body: dict[str, Any],
    fields: list[str],
) -> None:
    payload = {"name": "Grace", "party_size": 2, **body}

    refused = problem(api.post(WAITLIST, json=payload, headers=staff), 422, "validation-error")

    assert [item["field"] for item in refused["errors"]] == fields
    assert entries(api, staff) == []


def test_the_service_checks_the_limits_itself_naming_every_field(
    ctx: Context, white_horse: VenueSaved
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        waitlist.add(ctx, "white-horse", HOST, "", 2, phone="12", quoted_wait_minutes=900)

    assert refused.value.fields == ("name", "phone", "quoted_wait_minutes")
    assert waitlist.waiting(ctx, "white-horse", HOST) == []


def test_a_party_no_table_could_ever_seat_is_refused(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], problem: ProblemCheck
) -> None:
    problem(join(api, staff, party_size=500), 422, "party-too-large")


# --- seating -----------------------------------------------------------------------------


def test_a_waiting_party_is_seated_now_as_a_walk_in_under_its_name(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], clock: ManualClock
) -> None:
    at(clock, 18, 40)
    entry = joined(api, staff, "Grace", phone="01223 555 0100", notes="by the window")
    at(clock, 19, 7)

    response = seat(api, staff, entry)

    assert response.status_code == 200, response.text
    booking = response.json()
    assert (booking["status"], booking["source"]) == ("seated", "walk_in")
    assert booking["guest"] == {"name": "Grace", "email": None, "phone": "01223 555 0100"}
    assert booking["notes"] == "by the window"
    assert (booking["date"], booking["time"], booking["party_size"]) == (TODAY, "19:07", 2)
    assert (booking["start_at"], booking["end_at"]) == (
        "2026-12-01T19:07:00+00:00",
        "2026-12-01T20:07:00+00:00",
    )
    assert len(booking["tables"]) == 1
    assert entries(api, staff) == []
    assert [b["id"] for b in walk_ins_today(api, staff)] == [booking["id"]]


def test_a_waiting_party_is_seated_at_the_tables_staff_chose(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
    admin: Connection,
) -> None:
    at(clock, 19)
    entry = joined(api, staff, party_size=4)

    response = seat(api, staff, entry, tables=["MD-01", "MD-02"])

    assert response.status_code == 200, response.text
    assert response.json()["tables"] == ["MD-01", "MD-02"]
    row = admin.execute(
        "SELECT status, seated_booking_id, ended_at FROM waitlist_entries WHERE id = %s",
        (entry,),
    ).fetchone()
    assert row == {
        "status": "seated",
        "seated_booking_id": UUID(response.json()["id"]),
        "ended_at": datetime(2026, 12, 1, 19, tzinfo=UTC),
    }


def test_tables_that_cannot_seat_the_party_are_refused_and_it_keeps_waiting(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
    problem: ProblemCheck,
) -> None:
    at(clock, 19)
    entry = joined(api, staff, party_size=6)

    refused = problem(seat(api, staff, entry, tables=["MD-01"]), 422, "validation-error")

    assert [item["field"] for item in refused["errors"]] == ["tables"]
    assert [e["id"] for e in entries(api, staff)] == [entry]


def test_when_nothing_is_free_the_party_keeps_waiting(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
    problem: ProblemCheck,
) -> None:
    block_every_table_but(api, staff)
    at(clock, 19)
    entry = joined(api, staff)

    problem(seat(api, staff, entry), 409, "no-availability")

    assert [e["id"] for e in entries(api, staff)] == [entry]
    assert walk_ins_today(api, staff) == []


def test_a_party_is_not_seated_while_the_venue_is_closed(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
    problem: ProblemCheck,
) -> None:
    entry = joined(api, staff)  # 10:00: the White Horse opens at noon

    problem(seat(api, staff, entry), 422, "outside-service-hours")

    assert [e["id"] for e in entries(api, staff)] == [entry]


def test_a_party_seated_or_removed_cannot_be_seated_again(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
    problem: ProblemCheck,
) -> None:
    at(clock, 19)
    seated, removed = joined(api, staff, "Ada"), joined(api, staff, "Barbara")
    assert seat(api, staff, seated).status_code == 200
    assert api.delete(f"/v1/waitlist/{removed}", headers=staff).status_code == 204

    again = problem(seat(api, staff, seated), 409, "invalid-transition")
    problem(seat(api, staff, removed), 409, "invalid-transition")

    assert "already seated" in again["detail"]
    assert len(walk_ins_today(api, staff)) == 1


def test_seating_and_marking_the_party_seated_are_one_transaction(
    ctx: Context,
    white_horse: VenueSaved,
    clock: ManualClock,
    admin: Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at(clock, 19)
    entry = waitlist.add(ctx, "white-horse", HOST, "Grace", 2)

    def fails(*args: object) -> None:
        raise RuntimeError("the database went away between the two writes")

    monkeypatch.setattr(waitlist_store, "mark_seated", fails)
    with pytest.raises(RuntimeError):
        waitlist.seat(ctx, entry.id, HOST)

    # The walk-in went with the failed transaction: no booking, and the party still waits.
    booked = admin.execute("SELECT count(*) AS n FROM bookings").fetchone()
    assert booked == {"n": 0}
    assert [e.id for e in waitlist.waiting(ctx, "white-horse", HOST)] == [entry.id]


def test_two_hosts_seating_one_party_at_once_seat_it_once(
    ctx: Context, white_horse: VenueSaved, clock: ManualClock, admin: Connection
) -> None:
    at(clock, 19)
    entry = waitlist.add(ctx, "white-horse", HOST, "Grace", 2)
    hosts = 6
    start = threading.Barrier(hosts)

    def seat_it() -> str:
        start.wait()
        try:
            return waitlist.seat(ctx, entry.id, HOST).reference
        except InvalidTransition:
            return "refused"

    with ThreadPoolExecutor(hosts) as pool:
        outcomes = list(pool.map(lambda _: seat_it(), range(hosts)))

    assert outcomes.count("refused") == hosts - 1
    booked = admin.execute("SELECT count(*) AS n FROM bookings WHERE source = 'walk_in'").fetchone()
    assert booked == {"n": 1}


# --- removing ----------------------------------------------------------------------------


def test_a_removed_party_leaves_the_list_and_removing_it_again_changes_nothing(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], clock: ManualClock
) -> None:
    kept, gone = joined(api, staff, "Ada"), joined(api, staff, "Barbara")

    removed = api.delete(f"/v1/waitlist/{gone}", headers=staff)

    assert removed.status_code == 204, removed.text
    assert removed.content == b""
    assert [e["id"] for e in entries(api, staff)] == [kept]
    assert api.delete(f"/v1/waitlist/{gone}", headers=staff).status_code == 204


def test_a_seated_party_cannot_be_removed(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
    problem: ProblemCheck,
) -> None:
    at(clock, 19)
    entry = joined(api, staff)
    booking = seat(api, staff, entry).json()

    problem(api.delete(f"/v1/waitlist/{entry}", headers=staff), 409, "invalid-transition")

    assert [b["id"] for b in walk_ins_today(api, staff)] == [booking["id"]]


# --- who may ------------------------------------------------------------------------------


def test_another_venues_staff_are_told_the_entry_does_not_exist(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    admin: Connection,
    key_for: KeyFor,
    clock: ManualClock,
    problem: ProblemCheck,
) -> None:
    save_venue(admin, dataclasses.replace(read_venue_file(DEMO_VENUE), slug="black-horse"))
    theirs = key_for("black-horse")
    at(clock, 19)
    entry = joined(api, staff)

    problem(api.get(WAITLIST, headers=theirs), 404, "not-found")
    problem(join(api, theirs), 404, "not-found")
    problem(seat(api, theirs, entry), 404, "not-found")
    problem(api.delete(f"/v1/waitlist/{entry}", headers=theirs), 404, "not-found")

    assert [e["id"] for e in entries(api, staff)] == [entry]
    assert [e["id"] for e in entries(api, key_for(None))] == [entry]  # an admin sees all


def test_an_unknown_entry_is_not_found(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], problem: ProblemCheck
) -> None:
    problem(seat(api, staff, str(uuid4())), 404, "not-found")
    problem(api.delete(f"/v1/waitlist/{uuid4()}", headers=staff), 404, "not-found")


def test_the_waitlist_needs_a_key(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], problem: ProblemCheck
) -> None:
    entry = joined(api, staff)

    problem(api.get(WAITLIST), 401, "unauthorized")
    problem(api.post(WAITLIST, json={"name": "Grace", "party_size": 2}), 401, "unauthorized")
    problem(api.post(f"/v1/waitlist/{entry}/seat"), 401, "unauthorized")
    problem(api.delete(f"/v1/waitlist/{entry}"), 401, "unauthorized")
    assert len(entries(api, staff)) == 1


# --- which tables would fit --------------------------------------------------------------


def test_the_tables_that_would_fit_start_with_those_seating_would_choose(
    ctx: Context,
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
) -> None:
    at(clock, 19)
    entry = waitlist.add(ctx, "white-horse", HOST, "Grace", 4)

    choices = waitlist.tables_for(ctx, "white-horse", HOST, 4)

    assert 1 < len(choices) <= waitlist.TABLE_CHOICES
    assert len(set(choices)) == len(choices)
    assert waitlist.seat(ctx, entry.id, HOST).tables == choices[0]
    # The allocator's choice is taken now: it is no longer offered.
    assert choices[0] not in waitlist.tables_for(ctx, "white-horse", HOST, 4)


def test_the_tables_that_would_fit_are_only_free_ones(
    ctx: Context,
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
) -> None:
    block_every_table_but(api, staff, "MD-01", "MD-02", "MD-03")
    at(clock, 19)

    assert waitlist.tables_for(ctx, "white-horse", HOST, 4) == [("MD-03",), ("MD-01", "MD-02")]
    assert waitlist.tables_for(ctx, "white-horse", HOST, 10) == []


def test_no_tables_would_fit_while_the_venue_is_closed(
    ctx: Context, white_horse: VenueSaved
) -> None:
    with pytest.raises(OutsideServiceHours):
        waitlist.tables_for(ctx, "white-horse", HOST, 2)  # 10:00: it opens at noon


def test_seating_now_gives_each_party_size_its_ways_and_until_when_in_one_read(
    ctx: Context,
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    clock: ManualClock,
) -> None:
    block_every_table_but(api, staff, "MD-01", "MD-02", "MD-03")
    at(clock, 19)

    seating = waitlist.seating_now(ctx, "white-horse", HOST, [4, 10, 4])

    assert set(seating) == {4, 10}
    four = seating[4]
    assert four.ways == tuple(waitlist.tables_for(ctx, "white-horse", HOST, 4))
    assert (four.until, four.closing, four.closed) == (
        datetime(2026, 12, 1, 20, 15, tzinfo=UTC),  # dinner: a four stays 75 minutes
        False,
        None,
    )
    assert seating[10].ways == ()
    at(clock, 21, 20)
    assert waitlist.seating_now(ctx, "white-horse", HOST, [4])[4].closing  # cut at 22:00


def test_seating_now_says_why_no_walk_in_is_seated_while_the_venue_is_closed(
    ctx: Context, white_horse: VenueSaved
) -> None:
    closed = waitlist.seating_now(ctx, "white-horse", HOST, [2])[2]  # 10:00: it opens at noon

    assert closed.ways == ()
    assert closed.until is None
    assert closed.closed is not None
    assert "not open now" in closed.closed


def test_a_waiting_party_no_table_can_seat_now_is_said_so_and_the_others_are_still_shown(
    ctx: Context, admin: Connection, white_horse: VenueSaved, clock: ManualClock
) -> None:
    at(clock, 19)
    waitlist.add(ctx, "white-horse", HOST, "Grace", 9)
    venue = read_venue_file(DEMO_VENUE)  # then an import keeps only MD-01, a table for two
    kept = tuple(dataclasses.replace(t, active=t.label == "MD-01") for t in venue.tables)
    save_venue(admin, dataclasses.replace(venue, tables=kept))

    seating = waitlist.seating_now(ctx, "white-horse", HOST, [2, 9])

    assert seating[9] == waitlist.SeatingNow(
        9, (), None, False, "no table can seat 9 now", too_large=True
    )
    assert (seating[2].ways, seating[2].too_large) == ((("MD-01",),), False)
