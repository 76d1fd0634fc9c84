"""A host signs in at the stand by keyboard, sees the day's bookings, and signs out; the
pages pass axe-core and fit a tablet."""

from __future__ import annotations

from typing import Any

from served import Site
from steps import MONDAY, assert_accessible, assert_no_sideways_scroll, booked, expect_heading

from reserve.config import PLACEHOLDER_SECRET
from reserve.db.database import OperatorDatabase
from reserve.domain.access import Role
from reserve.services.keys import create_key

TABLET = {"width": 1024, "height": 768}


def test_a_host_signs_in_by_keyboard_sees_the_day_and_signs_out(
    browser: Any, site: Site, operator: OperatorDatabase
) -> None:
    _, key = create_key(
        operator, PLACEHOLDER_SECRET, role=Role.STAFF, restaurant="white-horse", name="stand"
    )
    booked(site, 4, name="Grace Hopper")
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    try:
        page.goto(site.at(f"/host/r/white-horse?date={MONDAY}"))
        expect_heading(page, "Sign in to the host stand")
        assert_accessible(page, "sign-in")
        page.keyboard.press("Tab")  # the skip link
        page.keyboard.press("Tab")  # the host stand's name
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "field-key"
        page.keyboard.type("rsv_wrong")
        page.keyboard.press("Enter")
        expect_heading(page, "Sign in to the host stand")
        assert page.evaluate("document.activeElement.className") == "error-summary"
        page.get_by_label("Staff key").fill(key)
        page.keyboard.press("Enter")
        expect_heading(page, "Monday 7 December 2026")  # back to the page asked for
        bookings = page.get_by_role("table", name="Bookings on Monday 7 December 2026")
        assert "Booked" in bookings.get_by_role("row", name="Grace Hopper").inner_text()
        table = page.get_by_role("table", name="Each table across the day")
        bar = table.get_by_role("cell", name="Grace Hopper, 4")
        assert "19:30 to" in bar.inner_text()  # its times, for a screen reader
        assert_accessible(page, "the day")
        assert_no_sideways_scroll(page, "the day")  # the timeline scrolls in its own region
        page.get_by_role("button", name="Sign out").click()
        expect_heading(page, "Sign in to the host stand")
        page.goto(site.at(f"/host/r/white-horse?date={MONDAY}"))
        expect_heading(page, "Sign in to the host stand")
    finally:
        context.close()
