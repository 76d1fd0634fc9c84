"""A full time: the booking page offers the nearest free times that day and on other days,
and one of them books."""

from __future__ import annotations

from datetime import time
from typing import Any

from playwright.sync_api import expect
from served import Bookings, Site
from steps import (
    ON_MONDAY,
    book_this_table,
    fill,
    give_details,
    open_day,
    summary,
    time_button,
)


def test_a_full_time_offers_the_nearest_free_ones_and_one_of_them_books(
    page: Any, site: Site, front_desk: Bookings
) -> None:
    filled = fill(site, 8, time(19, 30))
    open_day(page, site, party=8)

    page.get_by_role("link", name="19:30 full").click()

    alternatives = page.get_by_role("region", name="19:30 is full: the nearest free times")
    expect(alternatives).to_be_focused()  # the link's #alternatives
    assert page.get_by_text("19:30 is full.").is_visible()
    same_day = alternatives.locator("form").first
    assert same_day.get_by_role("button").all_inner_texts() == ["17:00", "17:15", "17:30", "17:45"]
    other_days = alternatives.locator(".other-day-name").all_inner_texts()
    assert other_days[0] == "Tuesday 8 December 2026"
    tuesday = alternatives.get_by_role("button", name="19:30 on Tuesday 8 December 2026")
    expect(tuesday).to_be_visible()

    alternatives.get_by_role("button", name=f"17:45 on {ON_MONDAY}").click()
    expect(page.get_by_role("heading", name=f"A table for 8 at 17:45, {ON_MONDAY}")).to_be_visible()
    give_details(page)
    book_this_table(page)

    shown = summary(page)
    assert (shown["Date"], shown["Party"]) == (ON_MONDAY, "8 people")
    assert shown["Time"].startswith("17:45 to 19:15")
    mine = [one for one in front_desk() if one["guest"]["name"] == "Ada Lovelace"]
    assert [(one["time"], one["party_size"]) for one in mine] == [("17:45", 8)]
    assert len(front_desk()) == filled + 1


def test_without_script_an_alternative_on_another_day_books(
    no_script_page: Any, site: Site, front_desk: Bookings
) -> None:
    page = no_script_page
    fill(site, 8, time(19, 30))
    open_day(page, site, party=8)

    page.get_by_role("link", name="19:30 full").click()
    page.get_by_role("button", name="19:30 on Tuesday 8 December 2026").click()

    expect(
        page.get_by_role("heading", name="A table for 8 at 19:30, Tuesday 8 December 2026")
    ).to_be_visible()
    give_details(page)
    book_this_table(page)
    assert summary(page)["Date"] == "Tuesday 8 December 2026"
    assert [one["time"] for one in front_desk("2026-12-08")] == ["19:30"]


def test_a_time_taken_while_the_guest_chose_says_so_and_offers_the_times_still_free(
    page: Any, site: Site
) -> None:
    open_day(page, site, party=8)
    fill(site, 8, time(19, 30))  # others book every table while the page is open

    time_button(page, "19:30").click()

    expect(page.get_by_role("status").first).to_have_text(
        "Sorry, that time was taken a moment ago. Here are the times still free."
    )
    alternatives = page.get_by_role("region", name="19:30 is full: the nearest free times")
    expect(alternatives.get_by_role("button", name=f"17:45 on {ON_MONDAY}")).to_be_visible()
    expect(page.get_by_role("link", name="19:30 full")).to_be_visible()
