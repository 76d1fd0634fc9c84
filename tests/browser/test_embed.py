"""The booking page in a frame on the venue's own site: a guest books inside it when the
venue allows that site's origin, and Chromium refuses to show it anywhere else."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect
from served import Bookings, LoadVenue, Site
from steps import ON_MONDAY, give_details

BOOKING_HEADING = "Book a table at The White Horse"


@pytest.fixture
def venue_site(site: Site) -> Iterator[str]:
    """The venue's own website (another origin on this machine), its home page framing
    the booking page."""
    page = (
        "<!doctype html><html lang='en'><title>The White Horse, Waterbeach</title>"
        "<h1>The White Horse, Waterbeach</h1>"
        f"<iframe title='Book a table' src='{site.at('/r/white-horse/embed')}'"
        " width='600' height='1400'></iframe></html>"
    ).encode()

    class Home(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Home)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_guest_books_inside_the_frame_on_the_venues_own_site(
    page: Any, site: Site, venue_site: str, load_venue: LoadVenue, front_desk: Bookings
) -> None:
    load_venue(embed_origins=(venue_site,))

    page.goto(venue_site)

    frame = page.frame_locator("iframe[title='Book a table']")
    expect(frame.get_by_role("heading", name=BOOKING_HEADING)).to_be_visible()
    expect(frame.get_by_role("link", name="All restaurants")).to_have_count(0)  # no site chrome
    frame.get_by_label("Party size").select_option("3")
    expect(
        frame.get_by_role("heading", name="Times on Tuesday 1 December 2026 for 3")
    ).to_be_visible()
    frame.get_by_role("link", name="Mon 7 Dec").click()
    expect(frame.get_by_role("heading", name=f"Times on {ON_MONDAY} for 3")).to_be_visible()
    frame.get_by_role("button", name="19:30", exact=True).click()
    expect(frame.get_by_role("heading", name="Your details")).to_be_visible()
    give_details(frame)
    frame.get_by_role("button", name="Book this table").click()

    expect(frame.get_by_role("heading", name="You are booked")).to_be_visible()
    assert page.url.rstrip("/") == venue_site  # the guest never left the venue's site
    (booking,) = front_desk()
    assert (booking["party_size"], booking["time"]) == (3, "19:30")


def test_a_site_the_venue_does_not_allow_cannot_frame_the_booking_page(
    page: Any, site: Site, venue_site: str, load_venue: LoadVenue
) -> None:
    load_venue(embed_origins=("http://127.0.0.1:9",))  # some other site of the venue's

    page.goto(venue_site, wait_until="load")

    frame = page.frame_locator("iframe[title='Book a table']")
    expect(frame.get_by_role("heading", name=BOOKING_HEADING)).to_have_count(0)
    (framed,) = page.main_frame.child_frames
    assert not framed.url.startswith(site.url), framed.url
