"""Every page in every state it can be in: no serious or critical axe-core violation, and at
200% zoom (640 CSS px wide, two device pixels to one) nothing scrolls sideways."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import time
from typing import Any

import pytest
from playwright.sync_api import expect
from served import Site
from steps import (
    MONDAY,
    ON_MONDAY,
    assert_accessible,
    assert_no_sideways_scroll,
    booked,
    expect_heading,
    fill,
    give_details,
    hold,
    open_day,
    time_button,
)

Tour = Callable[[Any, Site], Iterator[str]]


def booking_tour(page: Any, site: Site) -> Iterator[str]:
    """From the list of venues to a confirmation, by way of every state of the booking."""
    page.goto(site.at("/"))
    expect_heading(page, "Book a table")
    yield "venues"
    open_day(page, site)
    expect(page.get_by_role("heading", name=f"Times on {ON_MONDAY} for 2")).to_be_visible()
    yield "booking page"
    open_day(page, site, day="2026-12-05")
    expect(
        page.get_by_text("The White Horse is closed on Saturday 5 December 2026.")
    ).to_be_visible()
    yield "a closed day"
    page.goto(site.at(f"/r/white-horse/embed?party=2&date={MONDAY}"))
    expect_heading(page, "Book a table at The White Horse")
    yield "booking page for a frame"
    fill(site, 8, time(19, 30))
    open_day(page, site, party=8, time="19:30")
    expect(page.get_by_role("region", name="19:30 is full: the nearest free times")).to_be_visible()
    yield "times with a full slot and alternatives"
    page.get_by_role("button", name=f"17:45 on {ON_MONDAY}").click()
    expect_heading(page, "Your details")
    yield "details"
    page.get_by_role("button", name="Book this table").click()
    expect(page.get_by_role("alert").filter(has_text="There are 2 problems")).to_be_focused()
    yield "details with errors"
    details = page.url
    give_details(page)
    page.get_by_role("button", name="Book this table").click()
    expect_heading(page, "You are booked")
    yield "confirmation"
    page.goto(details)
    expect_heading(page, "We could not find that hold")
    yield "a hold that was booked"
    hold(page, site, at="13:00")
    site.clock.advance(seconds=70)
    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("Your table is held for")
    yield "details, the hold about to end"
    site.clock.advance(seconds=60)
    page.reload()
    expect_heading(page, "Your hold has ended")
    yield "expired hold"
    page.goto(site.at("/r/nowhere"))
    expect_heading(page, "We could not find that")
    yield "not found"


def manage_tour(page: Any, site: Site) -> Iterator[str]:
    """A large party's request, then a booking seen, changed and cancelled by its link."""
    page.goto(site.at(f"/r/white-horse/request?party=14&date={MONDAY}&time=19:00"))
    expect_heading(page, "Request a table for 14")
    yield "large-party request"
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("alert").filter(has_text="There are 2 problems")).to_be_focused()
    yield "large-party request with errors"
    give_details(page)
    page.get_by_role("button", name="Send the request").click()
    expect_heading(page, "Request sent")
    yield "request sent"
    made = booked(site, party=2, at=time(19, 30))
    page.goto(site.at(made.manage_path))
    expect_heading(page, "Your booking at The White Horse")
    yield "manage"
    page.get_by_label("Email").fill("grace@")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_focused()
    yield "manage with errors"
    page.goto(site.at(made.manage_path + "/change"))
    expect_heading(page, "Change your booking")
    yield "change"
    fill(site, 8, time(19, 30))
    page.goto(site.at(made.manage_path + f"/change?party=8&date={MONDAY}&time=19:30"))
    expect(page.get_by_role("region", name="19:30 is full: the nearest free times")).to_be_visible()
    yield "change to a full time, with alternatives"
    page.goto(site.at(made.manage_path + "/cancel"))
    expect_heading(page, "Cancel this booking?")
    yield "cancel confirmation"
    page.get_by_role("button", name="Yes, cancel the booking").click()
    expect(page.get_by_role("status")).to_have_text("Your booking has been cancelled.")
    yield "cancelled"
    page.goto(site.at(f"/b/{made.id}/wrong"))
    expect_heading(page, "We could not find that")
    yield "a wrong manage link"
    open_day(page, site)
    page.locator("[name=csrf_token]").first.evaluate("input => input.remove()")
    time_button(page, "20:00").click()
    expect_heading(page, "Please send the form again")
    yield "a form refused"


TOURS = [pytest.param(booking_tour, id="booking"), pytest.param(manage_tour, id="manage")]


@pytest.fixture
def zoomed_page(browser: Any) -> Iterator[Any]:
    """A laptop's window at 200% zoom: 640 CSS pixels wide, each two device pixels."""
    context = browser.new_context(viewport={"width": 640, "height": 800}, device_scale_factor=2)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("tour", TOURS)
def test_no_page_in_any_state_has_a_serious_or_critical_axe_violation(
    page: Any, site: Site, tour: Tour
) -> None:
    seen = []
    for state in tour(page, site):
        assert_accessible(page, state)
        seen.append(state)
    assert len(seen) >= 10, seen


@pytest.mark.parametrize("tour", TOURS)
def test_at_200_percent_zoom_no_page_in_any_state_scrolls_sideways(
    zoomed_page: Any, site: Site, tour: Tour
) -> None:
    seen = []
    for state in tour(zoomed_page, site):
        assert_no_sideways_scroll(zoomed_page, state)
        seen.append(state)
    assert len(seen) >= 10, seen
