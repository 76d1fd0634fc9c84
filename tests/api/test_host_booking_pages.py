"""A booking's page at the host stand, over HTTP: what it shows, and each action refused
with the status the API gives (and nothing written) or done and said."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient
from test_host_sign_in import CSRF, DAY, key_of, sign_in

from conftest import MONDAY, Book, KeyFor
from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file


def page_of(booking: dict[str, Any]) -> str:
    return f"/host/r/white-horse/bookings/{booking['id']}"


def token(page: str) -> str:
    return str(CSRF.findall(page)[-1])


def booking_of(api: TestClient, staff: dict[str, str], booking: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = api.get(f"/v1/bookings/{booking['id']}", headers=staff).json()
    return found


def test_the_page_shows_the_booking_its_history_and_where_it_could_sit(
    api: TestClient, staff: dict[str, str], book: Book
) -> None:
    booking = book(4, "19:30").json()
    sign_in(api, key_of(staff))

    page = api.get(page_of(booking))

    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert "<h1>Ada Lovelace, 4 at 19:30</h1>" in page.text
    assert booking["reference"] in page.text
    [table] = booking["tables"]
    assert re.search(rf'value="{table}" id="table-{table}" checked>', page.text)
    assert "made, booked, by the guest" in page.text
    assert '<span class="tag">suggested</span>' in page.text


def test_moving_to_a_taken_table_is_a_conflict_and_moves_nothing(
    api: TestClient, staff: dict[str, str], book: Book
) -> None:
    first = book(2, "19:30").json()
    second = book(2, "19:30").json()
    sign_in(api, key_of(staff))
    page = api.get(page_of(second)).text
    [taken] = first["tables"]
    assert re.search(rf'value="{taken}" id="table-{taken}" disabled>', page)

    answer = api.post(page_of(second) + "/tables", data={"csrf_token": token(page), "table": taken})

    assert answer.status_code == 409
    assert "are taken at that time. Nothing was changed." in answer.text
    assert booking_of(api, staff, second)["tables"] == second["tables"]


def test_tables_that_cannot_seat_the_party_are_a_bad_request(
    api: TestClient, staff: dict[str, str], book: Book
) -> None:
    booking = book(2, "19:30").json()
    sign_in(api, key_of(staff))
    page = api.get(page_of(booking)).text

    many = ["MD-01", "MD-02", "MD-03", "MD-04"]
    for data in ({}, {"table": "NO-SUCH"}, {"table": many}, {"table": "X" * 33}):
        answer = api.post(page_of(booking) + "/tables", data={"csrf_token": token(page), **data})
        assert answer.status_code == 422, data
        assert 'id="tables-error"' in answer.text
    assert booking_of(api, staff, booking)["tables"] == booking["tables"]


def test_approving_a_pending_party_at_a_way_offered_confirms_it(
    api: TestClient, staff: dict[str, str], book: Book
) -> None:
    pending = book(13, "19:00").json()
    sign_in(api, key_of(staff))
    page = api.get(page_of(pending)).text
    assert "Approve: choose its tables" in page
    first = re.search(r'<ul class="ways">\s*<li>(.*?)</li>', page, re.S)
    assert first is not None
    assert "suggested" in first.group(1)
    way = re.findall(r'name="table" value="([^"]+)"', first.group(1))
    assert len(way) >= 2  # no single table seats thirteen

    done = api.post(
        page_of(pending) + "/tables",
        data={"csrf_token": token(page), "table": way},
        follow_redirects=False,
    )

    assert done.status_code == 303
    assert "approved: it is confirmed at its tables" in api.get(done.headers["location"]).text
    after = booking_of(api, staff, pending)
    assert (after["status"], after["tables"]) == ("confirmed", sorted(way))


def test_a_change_is_checked_field_by_field_and_a_refusal_keeps_the_booking(
    api: TestClient, staff: dict[str, str], book: Book
) -> None:
    booking = book(2, "19:30").json()
    sign_in(api, key_of(staff))
    page = api.get(page_of(booking)).text
    change = page_of(booking) + "/change"

    bad = api.post(change, data={"csrf_token": token(page), "party": "x", "date": "", "time": "7"})
    assert bad.status_code == 422
    for field in ("party", "date", "time"):
        assert f'id="{field}-error"' in bad.text
    closed = api.post(
        change,
        data={"csrf_token": token(page), "party": "2", "date": "2026-12-07", "time": "04:00"},
    )
    assert closed.status_code == 422
    assert "The booking is unchanged." in closed.text
    assert booking_of(api, staff, booking)["time"] == "19:30"

    moved = api.post(
        change,
        data={"csrf_token": token(page), "party": "3", "date": "2026-12-07", "time": "20:00"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    after = booking_of(api, staff, booking)
    assert (after["party_size"], after["time"]) == (3, "20:00")


def test_every_action_needs_the_forms_token_and_a_session(
    api: TestClient, staff: dict[str, str], book: Book
) -> None:
    booking = book(2, "19:30").json()
    actions = [
        (page_of(booking) + "/tables", {"table": booking["tables"][0]}),
        (page_of(booking) + "/change", {"party": "3", "date": "2026-12-07", "time": "20:00"}),
        (page_of(booking) + "/status", {"status": "cancelled"}),
        (page_of(booking) + "/unpin", {}),
    ]
    sign_in(api, key_of(staff))
    for action, data in actions:
        assert api.post(action, data={**data, "csrf_token": "0" * 64}).status_code == 403
    api.cookies.delete("reserve_host", path="/host")
    page = api.get(DAY, follow_redirects=False)
    assert page.status_code == 303
    after = booking_of(api, staff, booking)
    assert (after["party_size"], after["status"]) == (2, "confirmed")


def test_a_host_of_another_venue_finds_no_such_booking(
    api: TestClient, admin: Connection, white_horse: VenueSaved, book: Book, key_for: KeyFor
) -> None:
    booking = book(2, "19:30").json()
    save_venue(admin, replace(read_venue_file(DEMO_VENUE), slug="black-swan", name="Swan"))
    sign_in(api, key_of(key_for("black-swan")))
    swan = f"/host/r/black-swan/bookings/{booking['id']}"
    for path in (page_of(booking), page_of(booking) + "/cancel", swan, swan + "/cancel"):
        answer = api.get(path)
        assert answer.status_code == 404, path
        assert "Ada Lovelace" not in answer.text


def test_an_action_in_another_venues_address_changes_nothing(
    api: TestClient, staff: dict[str, str], book: Book
) -> None:
    booking = book(2, "19:30").json()
    sign_in(api, key_of(staff))
    page = api.get(page_of(booking)).text

    for slug in ("nope", "black-swan"):
        answer = api.post(
            f"/host/r/{slug}/bookings/{booking['id']}/status",
            data={"csrf_token": token(page), "status": "cancelled"},
        )
        assert answer.status_code == 404, slug
    assert booking_of(api, staff, booking)["status"] == "confirmed"


def test_digits_of_other_scripts_and_endless_numbers_are_refused_beside_the_field(
    api: TestClient, staff: dict[str, str], book: Book
) -> None:
    booking = book(2, "19:30").json()
    sign_in(api, key_of(staff))
    page = api.get(page_of(booking)).text
    for party in ("²", "9" * 5000, "٣"):
        answer = api.post(
            page_of(booking) + "/change",
            data={"csrf_token": token(page), "party": party, "date": MONDAY, "time": "20:00"},
        )
        assert answer.status_code == 422
        assert 'id="party-error"' in answer.text
    for time in ("19:00:59.123+05:00", "7pm", "24:00"):
        answer = api.post(
            page_of(booking) + "/change",
            data={"csrf_token": token(page), "party": "2", "date": MONDAY, "time": time},
        )
        assert answer.status_code == 422, time
        assert 'id="time-error"' in answer.text
    assert api.get("/r/white-horse?party=%C2%B2").status_code == 200  # the guest page too
    assert booking_of(api, staff, booking)["time"] == "19:30"


def test_a_notice_is_said_only_of_what_the_booking_now_is(
    api: TestClient, staff: dict[str, str], book: Book
) -> None:
    booking = book(2, "19:30").json()
    sign_in(api, key_of(staff))

    for path in (
        f"{DAY}&done=cancelled&booking={booking['id']}",
        page_of(booking) + "?done=cancelled&booking=" + booking["id"],
    ):
        assert "cancelled." not in api.get(path).text
    assert (
        f"Booking {booking['reference']} changed."
        in api.get(page_of(booking) + f"?done=changed&booking={booking['id']}").text
    )


def test_a_cancelled_booking_has_no_tables_to_choose(
    api: TestClient, staff: dict[str, str], book: Book
) -> None:
    booking = book(2, "19:30").json()
    api.post(f"/v1/bookings/{booking['id']}/cancel", headers=staff)

    answer = api.get(f"/v1/bookings/{booking['id']}/tables", headers=staff)

    assert answer.status_code == 422
    assert "a cancelled booking takes no tables" in answer.json()["detail"]
