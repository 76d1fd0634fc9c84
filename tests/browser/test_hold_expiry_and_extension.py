"""A held time runs out on the server's clock; the guest is warned, may ask for more time
(ten times at most), and when it has ended is offered the times again."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
from playwright.sync_api import expect
from served import Bookings, LoadVenue, Site
from steps import (
    ON_MONDAY,
    book_this_table,
    expect_heading,
    give_details,
    hold,
    hold_id,
    time_button,
)

ELEVENTH_REFUSED = "This hold cannot be extended again. Please send your details now."


def hold_of(site: Site, page: Any) -> dict[str, Any]:
    """The hold as the JSON API shows it to whoever has its id."""
    response = httpx.get(site.at(f"/v1/holds/{hold_id(page)}"))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def extend_by_api(site: Site, page: Any, times: int) -> None:
    for _ in range(times):
        response = httpx.post(site.at(f"/v1/holds/{hold_id(page)}/extend"))
        assert response.status_code == 200, response.text


def test_a_hold_that_ran_out_says_so_offers_the_times_again_and_one_of_them_books(
    page: Any, site: Site, front_desk: Bookings
) -> None:
    hold(page, site, party=2, at="19:30")
    give_details(page)
    site.clock.advance(seconds=121)  # the White Horse holds a table for 120 seconds

    page.get_by_role("button", name="Book this table").click()

    expect_heading(page, "Your hold has ended")
    expect(page.get_by_role("status").first).to_contain_text(
        f"We held the table at 19:30 on {ON_MONDAY} for 2 minutes"
    )
    assert front_desk() == []
    time_button(page, "19:30").click()
    give_details(page)
    book_this_table(page)
    assert [one["time"] for one in front_desk()] == ["19:30"]


def test_reloading_a_hold_that_ran_out_says_it_has_ended(page: Any, site: Site) -> None:
    hold(page, site)
    site.clock.advance(seconds=121)

    response = page.reload()

    assert response.status == 410
    expect_heading(page, "Your hold has ended")
    expect(time_button(page, "19:30")).to_be_visible()


def test_with_script_the_page_warns_before_the_hold_ends_and_more_time_restarts_it(
    page: Any, site: Site, load_venue: LoadVenue
) -> None:
    load_venue(hold_ttl_seconds=30)
    hold(page, site)
    before = hold_of(site, page)
    site.clock.advance(seconds=15)  # 15 seconds left: within the 20 the page warns at

    page.reload()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Your table is held for")
    expect(alert).to_contain_text("Need longer? Choose “More time”.")
    expect(page.locator("[data-countdown]")).to_have_text(re.compile(r"^1[0-5] seconds$"))

    page.get_by_role("button", name="More time").click()

    expect(page.get_by_role("status").first).to_have_text(
        "Done: we are holding the table for another 30 seconds."
    )
    expect(page.locator("[data-countdown]")).to_have_text(re.compile(r"^(29|30) seconds$"))
    expect(page.locator("[data-warning]")).to_be_empty()
    after = hold_of(site, page)
    assert datetime.fromisoformat(after["expires_at"]) > datetime.fromisoformat(
        before["expires_at"]
    )
    assert after["extensions_left"] == before["extensions_left"] - 1 == 9


def test_with_script_the_page_says_when_the_hold_has_ended(
    page: Any, site: Site, load_venue: LoadVenue
) -> None:
    load_venue(hold_ttl_seconds=30)
    hold(page, site)
    site.clock.advance(seconds=29)

    page.reload()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Your hold has ended and the table was let go.")
    expect(page.get_by_role("button", name="More time")).to_be_disabled()
    alert.get_by_role("link", name="Choose a time again").click()
    expect(page.get_by_role("heading", name=f"Times on {ON_MONDAY} for 2")).to_be_visible()


def test_without_script_more_time_keeps_what_was_typed(no_script_page: Any, site: Site) -> None:
    page = no_script_page
    hold(page, site)
    expect(page.get_by_text("We are holding it for you until 10:02")).to_be_visible()
    give_details(page, phone="01223 860000", notes="A high chair, please")
    site.clock.advance(seconds=60)

    page.get_by_role("button", name="More time").click()

    expect(page.get_by_role("status")).to_have_text(
        "Done: we are holding the table for another 2 minutes."
    )
    expect(page.get_by_text("We are holding it for you until 10:03")).to_be_visible()
    assert page.get_by_label("Name").input_value() == "Ada Lovelace"
    assert page.get_by_label("Email").input_value() == "ada@example.com"
    assert page.get_by_label("Phone").input_value() == "01223 860000"
    assert page.get_by_label("Notes for the restaurant").input_value() == "A high chair, please"
    book_this_table(page)


def test_without_script_the_eleventh_extension_is_refused_with_a_clear_message(
    no_script_page: Any, site: Site
) -> None:
    page = no_script_page
    hold(page, site)
    give_details(page)
    extend_by_api(site, page, 10)  # from another tab, say: this page still offers more time

    page.get_by_role("button", name="More time").click()

    expect(page.get_by_role("status")).to_have_text(ELEVENTH_REFUSED)
    expect(page.get_by_role("button", name="More time (0 left)")).to_be_disabled()
    assert page.get_by_label("Name").input_value() == "Ada Lovelace"
    book_this_table(page)


def test_with_script_the_eleventh_extension_is_refused_with_a_clear_message(
    page: Any, site: Site
) -> None:
    hold(page, site)  # this tab offers more time, ten times
    extend_by_api(site, page, 9)
    other = page.context.new_page()
    other.goto(page.url)

    other.get_by_role("button", name="More time (1 left)").click()  # the tenth

    expect(other.get_by_role("button", name="More time (0 left)")).to_be_disabled()
    page.get_by_role("button", name="More time").click()  # the first tab, still offering
    expect(page.get_by_role("alert")).to_have_text(ELEVENTH_REFUSED)
    expect(page.get_by_role("button", name="More time (0 left)")).to_be_disabled()
    assert hold_of(site, page)["extensions_left"] == 0


def test_letting_the_table_go_offers_the_day_again(page: Any, site: Site) -> None:
    hold(page, site)
    held = hold_id(page)

    page.get_by_role("button", name="Let this table go and choose another time").click()

    expect(page.get_by_role("status").first).to_have_text(
        "We have let the table go. Choose another time whenever you like."
    )
    expect(page.get_by_role("heading", name=f"Times on {ON_MONDAY} for 2")).to_be_visible()
    assert httpx.get(site.at(f"/v1/holds/{held}")).status_code == 404
