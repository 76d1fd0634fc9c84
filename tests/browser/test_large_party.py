"""A party above the venue's online limit sends a request, and the page says plainly that it
is a request, not yet a booking."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from served import Bookings, LoadVenue, Site
from steps import ON_MONDAY, expect_heading, give_details, open_day, summary, time_button


def test_a_party_above_the_online_limit_sends_a_request_that_is_not_yet_a_booking(
    page: Any, site: Site, load_venue: LoadVenue, front_desk: Bookings
) -> None:
    load_venue(max_online_party_size=6)
    open_day(page, site, party=2)
    page.get_by_label("Party size").select_option(label="8 people (by request)")
    expect(page.get_by_role("heading", name=f"Times on {ON_MONDAY} for 8")).to_be_visible()
    expect(page.get_by_text("Parties of more than 6 are booked by request")).to_be_visible()

    time_button(page, "19:30").click()

    expect_heading(page, "Request a table for 8")
    expect(page.get_by_text("this is a request, not yet a booking")).to_be_visible()
    give_details(page, notes="A birthday")
    page.get_by_role("button", name="Send the request").click()

    expect_heading(page, "Request sent")
    expect(page.get_by_role("status")).to_contain_text("It is not a booking until then")
    assert summary(page)["Status"] == "Waiting for the restaurant to confirm"
    (request,) = front_desk()
    assert (request["status"], request["party_size"], request["time"]) == ("pending", 8, "19:30")
    assert request["tables"] == []


def test_a_request_sent_twice_is_one_request(
    no_script_page: Any, site: Site, load_venue: LoadVenue, front_desk: Bookings
) -> None:
    page = no_script_page
    load_venue(max_online_party_size=6)
    open_day(page, site, party=8)
    time_button(page, "19:30").click()
    give_details(page)

    page.get_by_role("button", name="Send the request").click()
    expect_heading(page, "Request sent")
    page.go_back()
    page.get_by_role("button", name="Send the request").click()

    expect_heading(page, "Request sent")
    assert len(front_desk()) == 1
