"""The host stand's walk-in, waitlist and blocks pages over HTTP: each needs a session and
the venue's own key, every form its CSRF token; bad input is shown beside its field (422)
and tables taken meanwhile are refused (409), writing nothing either way."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from test_host_sign_in import CSRF, key_of, sign_in

from conftest import KeyFor, ManualClock
from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

TODAY = "2026-12-01"  # a Tuesday: the White Horse is open 12:00-22:00, on GMT
HOST = "/host/r/white-horse"
PAGES = ("/walk-in", "/waitlist", f"/blocks?date={TODAY}")
FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)


def button(page: str, label: str) -> tuple[str, dict[str, Any]]:
    """The action and fields of the form whose button is labelled ``label`` (its tables, one
    field each, as a list)."""
    for action, body in FORM.findall(page):
        if f'aria-label="{label}"' in body:
            fields: dict[str, Any] = {}
            for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', body):
                if name == "tables":
                    fields.setdefault(name, []).append(html.unescape(value))
                else:
                    fields[name] = html.unescape(value)
            return action, fields
    raise AssertionError(f"no button {label!r} in the page")


def token(page: str) -> str:
    found = CSRF.findall(page)
    assert found, page
    return str(found[-1])


def error_beside(page: str, field: str) -> str:
    """The message shown beside a field (its ``-error`` paragraph)."""
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert found, f"no error beside {field}"
    return re.sub(r"<[^>]+>", "", found.group(1)).removeprefix("Error: ").strip()


def bookings_today(api: TestClient, staff: dict[str, str]) -> list[dict[str, Any]]:
    listed = api.get("/v1/restaurants/white-horse/bookings", params={"date": TODAY}, headers=staff)
    assert listed.status_code == 200, listed.text
    found: list[dict[str, Any]] = listed.json()["bookings"]
    return found


def waiting(api: TestClient, staff: dict[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.get(
        "/v1/restaurants/white-horse/waitlist", headers=staff
    ).json()["entries"]
    return found


def blocks_on(api: TestClient, staff: dict[str, str], day: str = TODAY) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.get(
        "/v1/restaurants/white-horse/blocks", params={"date": day}, headers=staff
    ).json()["blocks"]
    return found


def error_links_land(page: str) -> list[str]:
    """The error summary's links, each checked to lead to an element of the page."""
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert summary, "no error summary"
    targets = re.findall(r'<a href="#([^"]+)">', summary.group(0))
    assert targets
    for target in targets:
        assert f'id="{target}"' in page, f"the link to #{target} leads nowhere"
    return targets


def with_a_table_labelled(admin: Connection, label: str) -> None:
    """The White Horse with MD-01 labelled ``label`` (a venue document allows any)."""
    venue = read_venue_file(DEMO_VENUE)
    tables = tuple(replace(t, label=label) if t.label == "MD-01" else t for t in venue.tables)
    adjacency = frozenset(
        frozenset(label if member == "MD-01" else member for member in pair)
        for pair in venue.adjacency
    )
    save_venue(admin, replace(venue, tables=tables, adjacency=adjacency))


def block_all_but(api: TestClient, staff: dict[str, str], *kept: str) -> None:
    tables = [t["label"] for t in api.get("/v1/restaurants/white-horse").json()["tables"]]
    made = api.post(
        "/v1/restaurants/white-horse/blocks",
        json={
            "tables": [label for label in tables if label not in kept],
            "date": TODAY,
            "start": "18:00",
            "end": "23:00",
        },
        headers=staff,
    )
    assert made.status_code == 201, made.text


@pytest.fixture
def host(api: TestClient, staff: dict[str, str], clock: ManualClock) -> TestClient:
    """A host of the White Horse signed in at 19:00 on a Tuesday, dinner running."""
    clock.now = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
    sign_in(api, key_of(staff))
    return api


def post(api: TestClient, action: str, fields: dict[str, Any]) -> httpx.Response:
    return api.post(action, data=fields, follow_redirects=False)


def add_party(api: TestClient, **fields: str) -> httpx.Response:
    page = api.get(f"{HOST}/waitlist")
    return post(api, f"{HOST}/waitlist", {"csrf_token": token(page.text), **fields})


# --- sessions, venues, CSRF --------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_each_page_needs_a_session(api: TestClient, white_horse: VenueSaved, path: str) -> None:
    answer = api.get(HOST + path, follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/host/sign-in?next=")


def test_a_host_of_another_venue_sees_nothing_of_this_one(
    api: TestClient,
    admin: Connection,
    staff: dict[str, str],
    key_for: KeyFor,
    clock: ManualClock,
) -> None:
    clock.now = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
    entry = api.post(
        "/v1/restaurants/white-horse/waitlist",
        json={"name": "Ada Lovelace", "party_size": 2},
        headers=staff,
    ).json()
    block = api.post(
        "/v1/restaurants/white-horse/blocks",
        json={"tables": ["MD-01"], "date": TODAY, "start": "20:00", "end": "21:00"},
        headers=staff,
    ).json()
    save_venue(admin, replace(read_venue_file(DEMO_VENUE), slug="black-swan", name="Swan"))
    sign_in(api, key_of(key_for("black-swan")))

    for path in PAGES:
        answer = api.get(HOST + path)
        assert answer.status_code == 404, path
        assert "Ada Lovelace" not in answer.text
    csrf = token(api.get("/host/r/black-swan/waitlist").text)
    for action, fields in (
        (f"{HOST}/waitlist/{entry['id']}/seat", {"tables": "MD-02"}),
        (f"{HOST}/waitlist/{entry['id']}/remove", {}),
        (f"/host/r/black-swan/waitlist/{entry['id']}/remove", {}),
        (f"{HOST}/walk-in", {"party": "2", "tables": "MD-02"}),
    ):
        answer = post(api, action, {"csrf_token": csrf, **fields})
        assert answer.status_code == 404, action
    # To its own venue's page, another venue's block is one that is not there: gone.
    mine = f"/host/r/black-swan/blocks/{block['id']}/remove"
    assert post(api, mine, {"csrf_token": csrf, "date": TODAY}).status_code == 303
    assert [e["id"] for e in waiting(api, staff)] == [entry["id"]]
    assert [b["id"] for b in blocks_on(api, staff)] == [block["id"]]
    assert bookings_today(api, staff) == []


def test_a_post_without_its_csrf_token_is_refused(host: TestClient, staff: dict[str, str]) -> None:
    forged = {"csrf_token": "0" * 64}
    for path, fields in (
        ("/walk-in", {"party": "2", "tables": "MD-01"}),
        ("/waitlist", {"name": "Ada Lovelace", "party": "2"}),
        ("/blocks", {"tables": "MD-01", "date": TODAY, "start": "20:00", "end": "21:00"}),
    ):
        assert post(host, HOST + path, {**fields, **forged}).status_code == 403, path
        assert post(host, HOST + path, fields).status_code == 403, path
    assert bookings_today(host, staff) == []
    assert waiting(host, staff) == []
    assert blocks_on(host, staff) == []


# --- walk-ins ----------------------------------------------------------------------------


def test_a_walk_in_is_offered_the_allocators_tables_first_and_seated_until_its_turn_ends(
    host: TestClient, staff: dict[str, str]
) -> None:
    page = host.get(f"{HOST}/walk-in", params={"party": "4", "name": "Grace Hopper"})
    assert page.status_code == 200
    assert "until 20:15" in page.text  # dinner: a four stays 75 minutes
    ways = re.findall(r'aria-label="Seat at ([^"]+) for Grace Hopper"', page.text)
    assert len(ways) > 1
    suggested = ways[0]

    action, fields = button(page.text, f"Seat at {suggested} for Grace Hopper")
    seated = post(host, action, fields)

    assert seated.status_code == 303
    (booking,) = bookings_today(host, staff)
    assert (booking["status"], booking["source"]) == ("seated", "walk_in")
    assert " + ".join(booking["tables"]) == suggested
    assert booking["guest"]["name"] == "Grace Hopper"
    said = host.get(seated.headers["location"]).text
    assert (
        f"Grace Hopper, party of 4, seated at {suggested} until 20:15: booking "
        f"{booking['reference']}." in said
    )


def test_bad_walk_in_input_is_shown_beside_its_field_and_seats_nobody(
    host: TestClient, staff: dict[str, str]
) -> None:
    page = host.get(f"{HOST}/walk-in", params={"party": "lots"})
    assert page.status_code == 422
    assert error_beside(page.text, "party").startswith("Enter the party size")

    csrf = token(page.text)
    answer = post(
        host,
        f"{HOST}/walk-in",
        {"csrf_token": csrf, "party": "2", "phone": "call me", "tables": "MD-01"},
    )
    assert answer.status_code == 422
    assert "Enter a phone number" in error_beside(answer.text, "phone")
    assert 'value="call me"' in answer.text  # what was typed, to put right
    assert bookings_today(host, staff) == []


def test_a_walk_in_at_tables_taken_meanwhile_is_refused_and_nothing_is_written(
    host: TestClient, staff: dict[str, str]
) -> None:
    page = host.get(f"{HOST}/walk-in", params={"party": "2"})
    action, fields = button(page.text, "Seat at MD-01 for the party of 2")
    first = host.post(
        "/v1/restaurants/white-horse/walk-ins",
        json={"party_size": 2, "tables": ["MD-01"]},
        headers=staff,
    )
    assert first.status_code == 201, first.text

    answer = post(host, action, fields)

    assert answer.status_code == 409
    assert "MD-01 are taken at that time" in error_beside(answer.text, "tables")
    assert "Seat at MD-01 for" not in answer.text  # no longer offered
    assert [b["id"] for b in bookings_today(host, staff)] == [first.json()["id"]]


def test_when_no_walk_in_is_seated_now_the_page_says_so_and_offers_the_waitlist(
    host: TestClient, clock: ManualClock
) -> None:
    clock.now = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # it opens at 12:00

    page = host.get(f"{HOST}/walk-in", params={"party": "3", "name": "Ada Lovelace"})

    assert page.status_code == 200
    assert "No walk-in can be seated now" in page.text
    assert "not open now" in page.text
    assert "Seat at" not in page.text
    link = re.search(r'href="(/host/r/white-horse/waitlist\?[^"]+)"', page.text)
    assert link is not None
    filled = host.get(link.group(1).replace("&amp;", "&")).text
    assert 'name="name" type="text" value="Ada Lovelace"' in filled
    assert 'name="party" type="number" value="3"' in filled


def test_when_every_table_is_taken_the_walk_in_and_the_waitlist_say_so(
    host: TestClient, staff: dict[str, str]
) -> None:
    tables = [t["label"] for t in host.get("/v1/restaurants/white-horse").json()["tables"]]
    full = host.post(
        "/v1/restaurants/white-horse/blocks",
        json={"tables": tables, "date": TODAY, "start": "18:00", "end": "23:00"},
        headers=staff,
    )
    assert full.status_code == 201, full.text

    page = host.get(f"{HOST}/walk-in", params={"party": "2"}).text
    assert "No table is free for 2 now." in page
    assert (
        'href="/host/r/white-horse/waitlist?party=2#add">Add the party of 2 to the waitlist' in page
    )
    add_party(host, name="Ada Lovelace", party="2")
    assert "No table free now" in host.get(f"{HOST}/waitlist").text


@pytest.mark.parametrize("party", ["2", "4"])
def test_a_table_whose_label_has_a_plus_is_seated_from_the_walk_in_page(
    host: TestClient, admin: Connection, staff: dict[str, str], party: str
) -> None:
    with_a_table_labelled(admin, "T+1")
    block_all_but(host, staff, "T+1", "MD-02")
    page = host.get(f"{HOST}/walk-in", params={"party": party, "name": "Ada Lovelace"}).text
    way = "T+1" if party == "2" else re.findall(r"Seat at ([^\"]*T\+1[^\"]*) for Ada", page)[0]

    action, fields = button(page, f"Seat at {way} for Ada Lovelace")
    seated = post(host, action, fields)

    assert seated.status_code == 303
    (booking,) = bookings_today(host, staff)
    assert booking["tables"] == fields["tables"] == way.split(" + ")
    assert "T+1" in booking["tables"]


@pytest.mark.parametrize("typed", ["²", "9" * 5000, "-1", "0"])
def test_a_party_size_that_is_not_a_plain_number_is_refused_beside_the_field(
    host: TestClient, staff: dict[str, str], typed: str
) -> None:
    page = host.get(f"{HOST}/walk-in", params={"party": typed})
    assert page.status_code == 422
    assert error_beside(page.text, "party").startswith("Enter the party size")

    answer = post(
        host,
        f"{HOST}/walk-in",
        {"csrf_token": token(page.text), "party": typed, "tables": "MD-01"},
    )
    assert answer.status_code == 422
    assert error_beside(answer.text, "party").startswith("Enter the party size")
    assert error_links_land(answer.text) == ["field-party"]
    assert bookings_today(host, staff) == []


def test_a_walk_in_refused_while_the_venue_is_closed_links_to_what_the_page_shows(
    host: TestClient, staff: dict[str, str], clock: ManualClock
) -> None:
    page = host.get(f"{HOST}/walk-in", params={"party": "2"})
    action, fields = button(page.text, "Seat at MD-01 for the party of 2")
    clock.now = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # it closed at 22:00

    answer = post(host, action, fields)

    assert answer.status_code == 422
    assert "not open now" in error_beside(answer.text, "tables")
    assert "Seat at" not in answer.text  # no ways: the list is not there
    assert error_links_land(answer.text) == ["field-tables"]
    assert bookings_today(host, staff) == []


def test_the_walk_in_says_seated_only_of_a_walk_in_seated_now(
    host: TestClient, staff: dict[str, str], book: Any
) -> None:
    made = book(2, "20:30", TODAY)
    assert made.status_code == 201, made.text
    booking = made.json()
    for path in ("/walk-in", "/waitlist"):
        booked = host.get(f"{HOST}{path}", params={"seated": booking["id"]}).text
        assert "seated at" not in booked, path  # booked, not seated
    cancelled = host.post(f"/v1/bookings/{booking['id']}/cancel", headers=staff)
    assert cancelled.status_code == 200, cancelled.text

    for path in ("/walk-in", "/waitlist"):
        page = host.get(f"{HOST}{path}", params={"seated": booking["id"]})
        assert page.status_code == 200
        assert 'class="notice"' not in page.text, path
        assert "seated at" not in page.text, path


def test_the_walk_in_and_the_waitlist_hear_of_changes_to_the_venues_day_only(
    host: TestClient,
) -> None:
    for path in ("/walk-in?party=2", "/waitlist"):
        page = host.get(HOST + path).text
        assert f'data-events="/host/r/white-horse/events?date={TODAY}"' in page, path


# --- the waitlist ------------------------------------------------------------------------


def test_a_party_waits_goes_over_its_quote_and_is_seated_from_the_list(
    host: TestClient, staff: dict[str, str], clock: ManualClock
) -> None:
    added = add_party(host, name="Ada Lovelace", phone="01223 000000", party="2", quote="15")
    assert added.status_code == 303
    said = host.get(added.headers["location"]).text
    assert "Ada Lovelace, party of 2, added to the waitlist, quoted 15 min." in said

    clock.advance(minutes=20)
    page = host.get(f"{HOST}/waitlist").text
    assert "Waited <span data-clock>20</span> min" in page
    assert "over by <span data-clock>5</span> min" in page
    assert f'id="floor" data-events="/host/r/white-horse/events?date={TODAY}"' in page
    action, fields = button(page, "Seat at MD-01 for Ada Lovelace")
    seated = post(host, action, fields)

    assert seated.status_code == 303
    (booking,) = bookings_today(host, staff)
    assert (booking["tables"], booking["guest"]["name"]) == (["MD-01"], "Ada Lovelace")
    assert waiting(host, staff) == []
    after = host.get(seated.headers["location"]).text
    assert (
        f"Ada Lovelace, party of 2, seated at MD-01 until 20:20: booking {booking['reference']}."
        in after
    )
    assert "Nobody is waiting." in after


def test_the_longest_waiting_party_is_listed_first(host: TestClient, clock: ManualClock) -> None:
    add_party(host, name="Ada Lovelace", party="2")
    clock.advance(minutes=5)
    add_party(host, name="Grace Hopper", party="4", quote="0")
    clock.advance(minutes=1)

    page = host.get(f"{HOST}/waitlist").text

    assert re.findall(r"<h3>([^,]+), \d+ people</h3>", page) == ["Ada Lovelace", "Grace Hopper"]
    assert "Waited <span data-clock>6</span> min <span" in page
    assert (
        "Waited <span data-clock>1</span> min, quoted 0 min: "
        '<strong class="over">over by <span data-clock>1</span> min</strong>'
    ) in page


def test_removing_a_party_says_who_was_removed(host: TestClient, staff: dict[str, str]) -> None:
    add_party(host, name="Grace Hopper", party="5")
    page = host.get(f"{HOST}/waitlist").text
    action, fields = button(page, "Remove Grace Hopper from the waitlist")

    removed = post(host, action, fields)

    assert removed.status_code == 303
    said = host.get(removed.headers["location"]).text
    assert "Grace Hopper, party of 5, removed from the waitlist." in said
    assert waiting(host, staff) == []


def test_bad_waitlist_input_is_shown_beside_its_field_and_adds_nobody(
    host: TestClient, staff: dict[str, str]
) -> None:
    answer = add_party(host, name="", party="0", quote="soon", notes="x" * 501)

    assert answer.status_code == 422
    assert error_beside(answer.text, "name") == "Enter the name the party gave."
    assert error_beside(answer.text, "party").startswith("Enter the party size")
    assert error_beside(answer.text, "quote").startswith("Enter the wait quoted in minutes")
    assert error_beside(answer.text, "notes").startswith("Keep notes to 500 characters")
    assert waiting(host, staff) == []


def test_a_waiting_party_seated_at_tables_taken_meanwhile_is_refused_and_keeps_waiting(
    host: TestClient, staff: dict[str, str]
) -> None:
    add_party(host, name="Ada Lovelace", party="2")
    page = host.get(f"{HOST}/waitlist").text
    action, fields = button(page, "Seat at MD-01 for Ada Lovelace")
    host.post(
        "/v1/restaurants/white-horse/walk-ins",
        json={"party_size": 2, "tables": ["MD-01"]},
        headers=staff,
    )

    answer = post(host, action, fields)

    assert answer.status_code == 409
    assert "MD-01 are taken at that time. Nothing was changed." in answer.text
    assert error_links_land(answer.text) == [f"field-seat-{waiting(host, staff)[0]['id']}"]
    assert len(bookings_today(host, staff)) == 1
    assert [e["name"] for e in waiting(host, staff)] == ["Ada Lovelace"]


@pytest.mark.parametrize("typed", ["²", "9" * 5000])
def test_a_quote_or_party_that_is_not_a_plain_number_is_refused_beside_its_field(
    host: TestClient, staff: dict[str, str], typed: str
) -> None:
    answer = add_party(host, name="Ada Lovelace", party=typed, quote=typed)

    assert answer.status_code == 422
    assert error_beside(answer.text, "party").startswith("Enter the party size")
    assert error_beside(answer.text, "quote") == "Enter the wait quoted in minutes, 0 to 600."
    assert error_links_land(answer.text) == ["field-party", "field-quote"]
    assert waiting(host, staff) == []


def test_the_list_says_removed_only_of_a_party_that_was_removed(
    host: TestClient, staff: dict[str, str]
) -> None:
    add_party(host, name="Grace Hopper", party="5")
    (entry,) = waiting(host, staff)

    still = host.get(f"{HOST}/waitlist", params={"removed": entry["id"]})

    assert still.status_code == 200
    assert "removed from the waitlist" not in still.text
    assert 'class="notice"' not in still.text


def test_seating_a_party_already_removed_says_so_above_the_list(
    host: TestClient, staff: dict[str, str]
) -> None:
    add_party(host, name="Ada Lovelace", party="2")
    page = host.get(f"{HOST}/waitlist").text
    seat_action, seat_fields = button(page, "Seat at MD-01 for Ada Lovelace")
    remove_action, remove_fields = button(page, "Remove Ada Lovelace from the waitlist")
    assert post(host, remove_action, remove_fields).status_code == 303  # another host

    answer = post(host, seat_action, seat_fields)

    assert answer.status_code == 409
    assert "already removed" in answer.text
    assert error_links_land(answer.text) == ["field-waitlist"]
    assert bookings_today(host, staff) == []


def test_a_party_no_table_can_seat_now_is_said_so_and_the_others_are_still_listed(
    host: TestClient, admin: Connection, staff: dict[str, str]
) -> None:
    add_party(host, name="Grace Hopper", party="9")
    add_party(host, name="Ada Lovelace", party="2")
    venue = read_venue_file(DEMO_VENUE)  # then an import keeps only MD-01, a table for two
    kept = tuple(replace(table, active=table.label == "MD-01") for table in venue.tables)
    save_venue(admin, replace(venue, tables=kept))

    page = host.get(f"{HOST}/waitlist")

    assert page.status_code == 200
    assert "No table can seat 9 now" in page.text
    assert "No walk-in is seated now" not in page.text
    assert 'aria-label="Seat at MD-01 for Ada Lovelace"' in page.text


# --- blocks ------------------------------------------------------------------------------


def block_form(api: TestClient, *tables: str, **fields: str) -> httpx.Response:
    page = api.get(f"{HOST}/blocks", params={"date": TODAY})
    data: dict[str, Any] = {"csrf_token": token(page.text), "tables": list(tables), **fields}
    return api.post(f"{HOST}/blocks", data=data, follow_redirects=False)


def test_a_block_past_midnight_is_listed_with_its_dates_and_removed(
    host: TestClient, staff: dict[str, str]
) -> None:
    made = block_form(
        host, "MD-01", "MD-02", date=TODAY, start="22:00", end="02:00", reason="Deep clean"
    )

    assert made.status_code == 303
    said = host.get(made.headers["location"]).text
    assert "Blocked MD-01, MD-02 from 22:00 on Tue 1 Dec to 02:00 on Wed 2 Dec." in said
    (block,) = blocks_on(host, staff, "2026-12-02")
    assert (block["start_at"], block["end_at"]) == (
        "2026-12-01T22:00:00+00:00",
        "2026-12-02T02:00:00+00:00",
    )
    action, fields = button(said, "Remove the block of MD-01, MD-02 from 22:00 to 02:00")
    removed = post(host, action, fields)
    assert removed.status_code == 303
    assert (
        "Block removed: MD-01, MD-02 are back in service."
        in host.get(removed.headers["location"]).text
    )
    assert blocks_on(host, staff) == []


def test_bad_block_input_is_shown_beside_its_field_and_blocks_nothing(
    host: TestClient, staff: dict[str, str]
) -> None:
    answer = block_form(host, date="2026-11-30", start="late", end="", reason="r" * 201)

    assert answer.status_code == 422
    assert error_beside(answer.text, "tables") == "Choose at least one table to block."
    assert error_beside(answer.text, "date").startswith("That date has passed")
    assert error_beside(answer.text, "start") == "Enter a time like 22:30."
    assert error_beside(answer.text, "end") == "Enter the time the block ends."
    assert error_beside(answer.text, "reason").startswith("Keep the reason to 200")
    same = block_form(host, "NO-SUCH", date=TODAY, start="20:00", end="20:00")
    assert same.status_code == 422
    assert error_beside(same.text, "end").startswith("Choose a “to” time other than")
    unknown = block_form(host, "NO-SUCH", date=TODAY, start="20:00", end="21:00")
    assert unknown.status_code == 422
    assert "Unknown tables: NO-SUCH" in error_beside(unknown.text, "tables")
    assert 'value="NO-SUCH"' not in unknown.text  # only the venue's tables are offered
    assert blocks_on(host, staff) == []


def test_a_block_over_a_booking_is_refused_with_what_is_in_the_way(
    host: TestClient, staff: dict[str, str]
) -> None:
    seated = host.post(
        "/v1/restaurants/white-horse/walk-ins",
        json={"party_size": 2, "tables": ["MD-01"]},
        headers=staff,
    ).json()

    answer = block_form(host, "MD-01", date=TODAY, start="19:30", end="23:00")

    assert answer.status_code == 409
    assert f"MD-01 is taken then: booking {seated['reference']} (MD-01, 19:00)" in error_beside(
        answer.text, "tables"
    )
    assert 'id="table-MD-01" name="tables" value="MD-01" checked' in answer.text
    assert blocks_on(host, staff) == []


def test_removing_a_block_another_host_has_just_removed_is_done_and_said_so(
    host: TestClient, staff: dict[str, str]
) -> None:
    made = block_form(host, "MD-01", date=TODAY, start="20:00", end="21:00")
    page = host.get(made.headers["location"]).text
    action, fields = button(page, "Remove the block of MD-01 from 20:00 to 21:00")
    assert post(host, action, fields).status_code == 303  # another host, first

    again = post(host, action, fields)

    assert again.status_code == 303
    said = host.get(again.headers["location"])
    assert said.status_code == 200
    assert "That block was already removed." in said.text
    assert blocks_on(host, staff) == []


REFRESH = re.compile(r'<noscript><meta http-equiv="refresh" content="30; url=([^"]+)"></noscript>')


def test_without_script_the_day_reloads_unless_stopped_and_the_waitlist_when_asked(
    api: TestClient, staff: dict[str, str]
) -> None:
    sign_in(api, key_of(staff))
    day = "/host/r/white-horse?date=2026-12-07"

    reloads = REFRESH.search(api.get(day + "&done=seated&ref=ABC").text)
    assert reloads is not None
    assert reloads.group(1) == day  # not the notice of the last action again
    stopped = api.get(day + "&reload=off").text
    assert REFRESH.search(stopped) is None
    assert 'href="/host/r/white-horse?date=2026-12-07&amp;reload=on"' in stopped

    waitlist = api.get("/host/r/white-horse/waitlist").text
    assert REFRESH.search(waitlist) is None  # it would lose a party being typed in
    assert "Reload this page every 30 seconds" in waitlist
    asked = REFRESH.search(api.get("/host/r/white-horse/waitlist?reload=on").text)
    assert asked is not None
    assert asked.group(1) == "/host/r/white-horse/waitlist?reload=on"
