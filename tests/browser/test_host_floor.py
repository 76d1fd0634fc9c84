"""A host at the stand seats a walk-in, runs the waitlist and blocks tables past midnight,
by role and label as a person would; each page passes axe-core and fits a tablet and a
phone without scrolling sideways."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect
from served import Site
from steps import assert_accessible, assert_no_sideways_scroll, expect_heading

from reserve.config import PLACEHOLDER_SECRET
from reserve.db.database import OperatorDatabase
from reserve.domain.access import Role
from reserve.services.keys import create_key

TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 320, "height": 720}
HOST = "/host/r/white-horse"
DINNER = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)  # a Tuesday, on GMT


@pytest.fixture
def key(site: Site, operator: OperatorDatabase) -> str:
    site.clock.now = DINNER
    _, made = create_key(
        operator, PLACEHOLDER_SECRET, role=Role.STAFF, restaurant="white-horse", name="stand"
    )
    return made


@pytest.fixture
def tablet(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=TABLET)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def sign_in_at(page: Any, site: Site, key: str, path: str) -> None:
    """Open ``path`` of the host stand, signing in on the way."""
    page.goto(site.at(HOST + path))
    page.get_by_label("Staff key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def notice(page: Any) -> Any:
    return page.locator("main .notice[role=status]")


def test_a_walk_in_seated_at_the_suggested_table_is_seated_on_the_days_timeline(
    tablet: Any, site: Site, key: str
) -> None:
    page = tablet
    sign_in_at(page, site, key, "/walk-in")
    expect_heading(page, "Seat a walk-in")
    expect(page.get_by_role("link", name="Walk-in")).to_have_attribute("aria-current", "page")
    assert_accessible(page, "the walk-in page")

    page.get_by_label("Party size").focus()
    page.keyboard.type("3")
    page.get_by_label("Name").fill("Grace Hopper")
    page.keyboard.press("Enter")
    ways = page.get_by_role("button", name=re.compile(r"^Seat at .+ for Grace Hopper$"))
    expect(ways.first).to_be_visible()
    assert ways.count() > 1  # the allocator's choice, then other ways
    suggested = ways.first.inner_text().removeprefix("Seat at ")
    assert_accessible(page, "the ways to seat a walk-in")
    assert_no_sideways_scroll(page, "the ways to seat a walk-in")
    ways.first.click()

    expect(notice(page)).to_contain_text(
        f"Grace Hopper, party of 3, seated at {suggested} until 20:15: booking "
    )
    page.get_by_role("link", name="See the day").click()
    table = page.get_by_role("table", name="Each table across the day")
    bar = table.get_by_role("cell", name="Grace Hopper, 3")
    expect(bar).to_contain_text("Seated")


def test_a_waiting_party_goes_over_its_quote_and_is_seated_at_a_table_the_page_offers(
    tablet: Any, site: Site, key: str
) -> None:
    page = tablet
    sign_in_at(page, site, key, "/waitlist")
    expect_heading(page, "Waitlist")
    expect(page.get_by_text("Nobody is waiting.")).to_be_visible()
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Phone").fill("01223 000000")
    page.get_by_label("Party size").fill("2")
    page.get_by_label("Quoted wait in minutes").fill("10")
    page.get_by_role("button", name="Add to the waitlist").click()
    expect(notice(page)).to_have_text(
        "Ada Lovelace, party of 2, added to the waitlist, quoted 10 min."
    )
    party = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Ada Lovelace")
    )
    expect(party).to_contain_text("Waited 0 min, quoted 10 min")
    expect(party).not_to_contain_text("over by")

    site.clock.advance(minutes=14)
    page.reload()
    expect(party).to_contain_text("Waited 14 min, quoted 10 min: over by 4 min")
    assert_accessible(page, "the waitlist, a party over its quote")
    assert_no_sideways_scroll(page, "the waitlist")
    seat = party.get_by_role("button", name=re.compile(r"^Seat at .+ for Ada Lovelace$")).first
    tables = seat.inner_text().removeprefix("Seat at ")
    seat.click()

    expect(notice(page)).to_contain_text(f"Ada Lovelace, party of 2, seated at {tables} until")
    expect(page.get_by_text("Nobody is waiting.")).to_be_visible()
    expect(party).to_have_count(0)


def test_a_block_past_midnight_is_made_shown_on_both_days_and_removed(
    tablet: Any, site: Site, key: str
) -> None:
    page = tablet
    sign_in_at(page, site, key, "/blocks")
    expect_heading(page, "Blocks: Tuesday 1 December 2026")
    assert_accessible(page, "the blocks page")
    assert_no_sideways_scroll(page, "the blocks page")
    page.get_by_role("group", name="Main Dining").get_by_label("MD-01").check()
    page.get_by_label("MD-02").check()
    page.get_by_label("From").fill("22:00")
    page.get_by_label("To", exact=True).fill("02:00")
    page.get_by_label("Reason").fill("Deep clean")
    page.get_by_role("button", name="Block these tables").click()

    expect(notice(page)).to_have_text(
        "Blocked MD-01, MD-02 from 22:00 on Tue 1 Dec to 02:00 on Wed 2 Dec."
    )
    row = page.get_by_role("row", name=re.compile("MD-01, MD-02"))
    expect(row).to_contain_text("22:00")
    expect(row).to_contain_text("02:00 Wed 2 Dec")
    expect(row).to_contain_text("Deep clean")
    assert_accessible(page, "the blocks page with a block")
    page.get_by_role("link", name="Next day").click()
    expect_heading(page, "Blocks: Wednesday 2 December 2026")
    expect(row).to_contain_text("22:00 Tue 1 Dec")
    row.get_by_role("button", name="Remove the block of MD-01, MD-02 from 22:00 to 02:00").click()

    expect(notice(page)).to_have_text("Block removed: MD-01, MD-02 are back in service.")
    expect(page.get_by_text("No tables are blocked on this day.")).to_be_visible()


@pytest.mark.parametrize("path", ["/walk-in?party=4", "/waitlist", "/blocks"])
def test_each_page_fits_a_phone(browser: Any, site: Site, key: str, path: str) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in_at(page, site, key, path)
        expect(page.get_by_role("navigation", name="Host stand")).to_be_visible()
        assert_no_sideways_scroll(page, f"{path} on a phone")
        assert_accessible(page, f"{path} on a phone")
    finally:
        context.close()
