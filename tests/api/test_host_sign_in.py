"""Signing in to the host stand: a staff key starts a session, which ends on signing out,
on expiry or when the key is revoked; the day's bookings are the signed-in venue's only."""

from __future__ import annotations

import re
from dataclasses import replace

from fastapi.testclient import TestClient

from conftest import MONDAY, Book, KeyFor, ManualClock
from reserve.db.database import Connection, OperatorDatabase
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.keys import list_keys, revoke_key
from reserve.services.venues import DEMO_VENUE, read_venue_file

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
DAY = f"/host/r/white-horse?date={MONDAY}"


def key_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def sign_in(api: TestClient, key: str, next_page: str | None = None) -> str:
    page = api.get("/host/sign-in")
    found = CSRF.search(page.text)
    assert found, page.text
    data = {"csrf_token": found.group(1), "key": key}
    if next_page:
        data["next"] = next_page
    answer = api.post("/host/sign-in", data=data, follow_redirects=False)
    assert answer.status_code in (303, 401), answer.text
    return str(answer.headers.get("location", ""))


def test_a_host_who_is_not_signed_in_is_sent_to_sign_in_and_back(
    api: TestClient, staff: dict[str, str]
) -> None:
    answer = api.get(DAY, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/host/sign-in?next=")
    assert sign_in(api, key_of(staff), next_page=DAY) == DAY


def test_a_staff_key_signs_in_to_its_venues_day(
    api: TestClient, staff: dict[str, str], book: Book
) -> None:
    assert book(4, "19:30").status_code == 201
    assert book(14, "20:00").status_code == 202  # above the online limit: pending
    assert sign_in(api, key_of(staff)) == "/host/r/white-horse"
    cookie = api.cookies.jar
    session = next(c for c in cookie if c.name == "reserve_host")
    assert session.path == "/host"
    assert session.has_nonstandard_attr("HttpOnly")
    assert staff["Authorization"].split()[1] not in session.value  # the key is not in it
    page = api.get(DAY)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert "2 bookings, 18 covers" in page.text
    rows = re.findall(r'<tr class="status-row-(\w+)" id="booking-', page.text)
    assert rows == ["pending", "confirmed"]  # waiting for approval first


def test_the_session_cookie_is_strict_and_a_wrong_key_is_refused_beside_its_field(
    api: TestClient, staff: dict[str, str]
) -> None:
    page = api.get("/host/sign-in")
    token = CSRF.search(page.text)
    assert token
    refused = api.post("/host/sign-in", data={"csrf_token": token.group(1), "key": "rsv_nope"})
    assert refused.status_code == 401
    assert "That key is not a current staff or admin key" in refused.text
    assert "rsv_nope" not in refused.text  # what was typed as a key is not shown again
    signed = api.post(
        "/host/sign-in",
        data={"csrf_token": token.group(1), "key": key_of(staff)},
        follow_redirects=False,
    )
    assert "SameSite=strict" in signed.headers["set-cookie"]


def test_a_key_of_another_venue_sees_nothing_of_this_one(
    api: TestClient, admin: Connection, white_horse: VenueSaved, key_for: KeyFor
) -> None:
    save_venue(admin, replace(read_venue_file(DEMO_VENUE), slug="black-swan", name="Swan"))
    sign_in(api, key_of(key_for("black-swan")))
    answer = api.get(DAY)
    assert answer.status_code == 404
    assert "We could not find that" in answer.text


def test_signing_out_ends_the_session_and_needs_the_forms_token(
    api: TestClient, staff: dict[str, str]
) -> None:
    sign_in(api, key_of(staff))
    page = api.get(DAY)
    assert api.post("/host/sign-out", data={"csrf_token": "0" * 64}).status_code == 403
    assert api.get(DAY, follow_redirects=False).status_code == 200
    token = CSRF.search(page.text)
    assert token
    out = api.post("/host/sign-out", data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert out.headers["location"] == "/host/sign-in?signed_out=1"
    assert api.get(DAY, follow_redirects=False).status_code == 303


def test_an_expired_session_or_a_revoked_key_goes_back_to_sign_in(
    api: TestClient, staff: dict[str, str], clock: ManualClock, operator: OperatorDatabase
) -> None:
    sign_in(api, key_of(staff))
    clock.advance(hours=11)
    assert api.get(DAY, follow_redirects=False).status_code == 200
    clock.advance(hours=2)
    assert api.get(DAY, follow_redirects=False).status_code == 303
    sign_in(api, key_of(staff))
    assert api.get(DAY, follow_redirects=False).status_code == 200
    (listed,) = list_keys(operator)
    revoke_key(operator, listed.prefix)
    assert api.get(DAY, follow_redirects=False).status_code == 303


def test_a_forged_session_is_no_session(api: TestClient, staff: dict[str, str]) -> None:
    sign_in(api, key_of(staff))
    value = next(c.value for c in api.cookies.jar if c.name == "reserve_host")
    api.cookies.clear()
    payload, _, signature = value.partition(".")
    api.cookies.set("reserve_host", payload + "." + "0" * len(signature), path="/host")
    assert api.get(DAY, follow_redirects=False).status_code == 303


def test_an_admin_key_chooses_the_venue(
    api: TestClient, white_horse: VenueSaved, key_for: KeyFor
) -> None:
    assert sign_in(api, key_of(key_for(None))) == "/host/venues"
    page = api.get("/host/venues")
    assert "The White Horse" in page.text
    token = CSRF.search(page.text)
    assert token
    chosen = api.post(
        "/host/venues",
        data={"csrf_token": token.group(1), "venue": "white-horse"},
        follow_redirects=False,
    )
    assert chosen.headers["location"] == "/host/r/white-horse"
    assert api.get(DAY).status_code == 200


def action_form(page: str, label: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the row button labelled ``label``: the form's hidden
    fields and the button's own name and value."""
    forms = re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    for action, form in forms:
        pressed = re.search(rf'name="([^"]+)" value="([^"]*)"[^>]*aria-label="{label}', form)
        if pressed:
            fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))
            return action, {**fields, pressed.group(1): pressed.group(2)}
    raise AssertionError(f"no button {label!r}")


def test_a_host_seats_a_party_when_the_clock_allows_and_completes_it(
    api: TestClient, staff: dict[str, str], book: Book, clock: ManualClock
) -> None:
    booking = book(4, "19:30").json()
    sign_in(api, key_of(staff))
    action, fields = action_form(api.get(DAY).text, "Seat Ada Lovelace")
    refused = api.post(action, data=fields)  # days ahead of its time
    assert refused.status_code == 409
    assert "can be seated from 19:00" in refused.text
    clock.now = clock.now.replace(year=2026, month=12, day=7, hour=19, minute=10)
    sign_in(api, key_of(staff))  # a new service day, a new session
    fields["csrf_token"] = CSRF.findall(api.get(DAY).text)[-1]
    seated = api.post(action, data=fields, follow_redirects=False)
    assert seated.status_code == 303
    page = api.get(seated.headers["location"]).text
    assert f"Booking {booking['reference']} seated." in page
    action, fields = action_form(page, "Complete Ada Lovelace")
    done = api.get(api.post(action, data=fields, follow_redirects=False).headers["location"])
    assert "marked as left" in done.text
    assert api.get(f"/v1/bookings/{booking['id']}", headers=staff).json()["status"] == "completed"


def test_a_host_cancels_after_a_confirmation_step(
    api: TestClient, staff: dict[str, str], book: Book
) -> None:
    booking = book(2, "19:00").json()
    sign_in(api, key_of(staff))
    link = re.search(r'href="([^"]+/cancel)" aria-label="Cancel Ada', api.get(DAY).text)
    assert link is not None
    confirm = api.get(link.group(1))
    assert "Cancel this booking?" in confirm.text
    action, fields = (
        re.search(r'<form method="post" action="([^"]+/status)"', confirm.text).group(1),
        {
            "csrf_token": CSRF.findall(confirm.text)[-1],
            "status": "cancelled",
        },
    )
    assert api.post(action, data={**fields, "csrf_token": "0" * 64}).status_code == 403
    assert api.post(action, data=fields, follow_redirects=False).status_code == 303
    assert api.get(f"/v1/bookings/{booking['id']}", headers=staff).json()["status"] == "cancelled"
