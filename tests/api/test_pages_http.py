"""The guest pages over HTTP: the headers every page carries, CSRF on every form, the
rate limit, and a clear page (never JSON, never a 5xx) for anything a guest can send."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from conftest import MONDAY, ApiFor, ManualClock
from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


def held(api: TestClient, time: str = "19:30") -> str:
    """Hold ``time`` on Monday for 4 through the page; the details page's path."""
    page = api.get("/r/white-horse", params={"party": 4, "date": MONDAY})
    answer = api.post(
        "/r/white-horse/hold",
        data={"csrf_token": csrf_of(page.text), "party": "4", "date": MONDAY, "time": time},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def test_every_page_forbids_inline_script_and_framing_and_sends_no_referrer(
    api: TestClient, white_horse: VenueSaved
) -> None:
    for path in ("/", "/r/white-horse", "/r/white-horse/times?party=2&date=" + MONDAY):
        page = api.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "<script>" not in page.text
        assert " style=" not in page.text


def test_only_the_origins_a_venue_names_may_frame_its_pages(
    api: TestClient, admin: Connection
) -> None:
    origins = ("https://www.thewhitehorse.example", "https://book.example:8443")
    save_venue(admin, replace(read_venue_file(DEMO_VENUE), embed_origins=origins))
    page = api.get("/r/white-horse/embed")
    assert page.status_code == 200
    assert (
        "frame-ancestors https://www.thewhitehorse.example https://book.example:8443"
        in (page.headers["content-security-policy"])
    )
    assert "x-frame-options" not in page.headers
    assert 'class="site"' not in page.text  # the frame shows the booking, not the site
    assert "frame-ancestors 'none'" in api.get("/").headers["content-security-policy"]


@pytest.mark.parametrize("cookie", [False, True])
def test_a_form_without_this_browsers_csrf_token_is_refused_and_holds_nothing(
    api: TestClient, white_horse: VenueSaved, admin: Connection, cookie: bool
) -> None:
    if cookie:
        api.get("/r/white-horse")  # the cookie is set, but the token sent is not its own
    else:
        api.cookies.clear()
    answer = api.post(
        "/r/white-horse/hold",
        data={"csrf_token": "0" * 64, "party": "4", "date": MONDAY, "time": "19:30"},
    )
    assert answer.status_code == 403
    assert "Please send the form again" in answer.text
    assert admin.execute("SELECT count(*) AS n FROM holds").fetchone() == {"n": 0}


def test_the_csrf_cookie_is_http_only_and_same_site(
    api: TestClient, white_horse: VenueSaved
) -> None:
    cookie = api.get("/").headers["set-cookie"]
    assert "reserve_csrf=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"party": "abc"}, "Choose how many people"),
        ({"party": "0"}, "Choose how many people"),
        ({"party": "999"}, "at most"),
        ({"date": "2026-02-30"}, "Enter a date like"),
        ({"date": "2025-01-01"}, "has passed"),
        ({"date": "2031-01-01"}, "Bookings open up to"),
        ({"date": "2026-12-05"}, "closed on Saturday 5 December 2026"),
        ({"time": "25:99", "date": MONDAY}, "Choose a time from the list"),
        ({"party": "4\x00"}, "Times on"),  # NUL is dropped, never sent to the database
    ],
)
def test_a_bad_choice_is_explained_on_the_page(
    api: TestClient, white_horse: VenueSaved, query: dict[str, str], message: str
) -> None:
    page = api.get("/r/white-horse", params=query)
    assert page.status_code == 200
    assert message in page.text


def test_an_unknown_venue_or_hold_is_a_not_found_page(
    api: TestClient, white_horse: VenueSaved
) -> None:
    for path in (
        "/r/no-such-place",
        "/r/white-horse/hold/not-a-uuid",
        "/r/white-horse/hold/00000000-0000-0000-0000-000000000000",
        "/b/00000000-0000-0000-0000-000000000000/token",
        "/b/nope/token",
    ):
        page = api.get(path)
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html")
        assert "We could not find that" in page.text


def test_a_hold_page_is_kept_by_no_cache_and_counts_down(
    api: TestClient, white_horse: VenueSaved
) -> None:
    page = api.get(held(api))
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert 'data-seconds-left="120"' in page.text
    assert "until <strong data-until>10:02</strong>" in page.text  # London keeps GMT


def test_more_time_keeps_what_was_typed(
    api: TestClient, white_horse: VenueSaved, clock: ManualClock
) -> None:
    details = held(api)
    page = api.get(details)
    clock.advance(seconds=100)
    extended = api.post(
        details + "/extend",
        data={"csrf_token": csrf_of(page.text), "name": "Ada <b>", "email": "ada@", "notes": "x"},
    )
    assert extended.status_code == 200
    assert "another 2 minutes" in extended.text
    assert 'value="Ada &lt;b&gt;"' in extended.text
    assert 'value="ada@"' in extended.text
    assert 'data-seconds-left="120"' in extended.text


def test_booking_a_hold_twice_makes_one_booking(
    api: TestClient, white_horse: VenueSaved, admin: Connection
) -> None:
    details = held(api)
    token = csrf_of(api.get(details).text)
    form = {
        "csrf_token": token,
        "party": "4",
        "date": MONDAY,
        "time": "19:30",
        "name": "Ada",
        "email": "ada@example.com",
    }
    first = api.post(details, data=form, follow_redirects=False)
    again = api.post(details, data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert admin.execute("SELECT count(*) AS n FROM bookings").fetchone() == {"n": 1}
    manage = api.get(first.headers["location"])
    assert manage.status_code == 200
    assert manage.headers["cache-control"] == "private, no-store"
    assert "You are booked" in manage.text
    calendar = api.get(first.headers["location"].split("?")[0] + "/calendar.ics")
    assert calendar.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "DTSTART:20261207T193000Z" in calendar.text


def test_pages_share_the_public_rate_limit(api_for: ApiFor, white_horse: VenueSaved) -> None:
    with api_for(public_rate_limit=3) as api:
        for _ in range(3):
            assert api.get("/r/white-horse").status_code == 200
        refused = api.get("/r/white-horse")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert "Too many requests" in refused.text
        assert api.get("/static/site.css").status_code == 200  # assets are not counted


def test_the_pages_assets_are_kept_for_a_year_under_names_of_their_content(
    api: TestClient, white_horse: VenueSaved
) -> None:
    page = api.get("/r/white-horse").text
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]{12})"', page)
    assert len(assets) == 3  # the icon, the style sheet and the script
    for asset in assets:
        answer = api.get(asset)
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_a_booking_made_in_the_frame_keeps_the_framed_layout_to_its_cancellation(
    api: TestClient, admin: Connection
) -> None:
    origin = "https://www.thewhitehorse.example"
    save_venue(admin, replace(read_venue_file(DEMO_VENUE), embed_origins=(origin,)))
    page = api.get("/r/white-horse/embed", params={"party": 2, "date": MONDAY})
    token = csrf_of(page.text)
    hold = {"csrf_token": token, "party": "2", "date": MONDAY, "time": "19:00", "embed": "1"}
    details = api.post("/r/white-horse/hold", data=hold, follow_redirects=False)
    assert details.headers["location"].endswith("?embed=1")
    booked = api.post(
        details.headers["location"],
        data={**hold, "name": "Ada", "email": "ada@example.com"},
        follow_redirects=False,
    )
    confirmation = api.get(booked.headers["location"])
    assert "embed=1" in booked.headers["location"]
    assert 'class="site"' not in confirmation.text
    assert f"frame-ancestors {origin}" in confirmation.headers["content-security-policy"]
    cancel_link = re.search(r'href="([^"]+/cancel\?embed=1)"', confirmation.text)
    assert cancel_link is not None
    cancel_page = api.get(cancel_link.group(1))
    assert 'class="site"' not in cancel_page.text
    form = re.search(r'<form method="post" action="([^"]+)"', cancel_page.text)
    assert form is not None
    cancelled = api.post(
        form.group(1).replace("&amp;", "&"),
        data={"csrf_token": csrf_of(cancel_page.text)},
        follow_redirects=False,
    )
    assert "embed=1" in cancelled.headers["location"]
    assert 'class="site"' not in api.get(cancelled.headers["location"]).text
