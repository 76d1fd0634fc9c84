"""The journey on a phone 320 px wide, and with the keyboard alone (Tab, Shift+Tab, Enter
and Space to move and act; typing only into fields), focus landing where it should."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from served import Bookings, Site
from steps import ON_MONDAY, assert_no_sideways_scroll, expect_heading, summary, time_button

TARGET = 44  # px: every control at least this tall (site.css), above WCAG 2.5.8's 24


def assert_fits(page: Any, state: str) -> None:
    assert_no_sideways_scroll(page, state)
    for control in page.locator("main button:visible, main select, main .slot").all():
        box = control.bounding_box()
        assert box is not None
        assert box["height"] >= TARGET, f"{state}: {control.inner_text()!r} is {box}"
        assert box["x"] >= 0, f"{state}: {box}"
        assert box["x"] + box["width"] <= 320, f"{state}: {box}"


def test_on_a_phone_320_px_wide_a_guest_books_and_nothing_scrolls_sideways(
    phone_page: Any, site: Site, front_desk: Bookings
) -> None:
    page = phone_page
    page.goto(site.at("/"))
    assert_fits(page, "venues")
    page.get_by_role("link", name="The White Horse").last.tap()
    expect_heading(page, "Book a table at The White Horse")
    page.get_by_label("Party size").select_option("4")
    expect(
        page.get_by_role("heading", name="Times on Tuesday 1 December 2026 for 4")
    ).to_be_visible()
    page.get_by_role("link", name="Mon 7 Dec").tap()
    expect(page.get_by_role("heading", name=f"Times on {ON_MONDAY} for 4")).to_be_visible()
    assert_fits(page, "times")

    time_button(page, "19:30").tap()
    expect_heading(page, "Your details")
    assert_fits(page, "details")
    page.get_by_role("button", name="Book this table").tap()
    expect(page.get_by_role("alert").first).to_contain_text("There are 2 problems")
    assert_fits(page, "details with errors")
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Book this table").tap()

    expect_heading(page, "You are booked")
    assert_fits(page, "confirmation")
    page.get_by_role("link", name="Change date, time or party").tap()
    expect_heading(page, "Change your booking")
    assert_fits(page, "change")
    page.get_by_role("link", name="Keep the booking as it is").tap()
    page.get_by_role("link", name="Cancel booking").tap()
    expect_heading(page, "Cancel this booking?")
    assert_fits(page, "cancel")
    assert [(one["party_size"], one["time"]) for one in front_desk()] == [(4, "19:30")]


# --- the keyboard alone ------------------------------------------------------------------


def focused(locator: Any) -> bool:
    return bool(locator.evaluate("element => element === document.activeElement"))


def tab_to(page: Any, locator: Any, most: int, key: str = "Tab") -> int:
    """Press Tab (or Shift+Tab) until ``locator`` has focus, at most ``most`` times; how many
    presses it took."""
    for pressed in range(1, most + 1):
        page.keyboard.press(key)
        if focused(locator):
            return pressed
    raise AssertionError(f"{locator} not reached in {most} presses of {key}")


def choose_by_keyboard(page: Any) -> None:
    """From the list of venues to a held time: 19:30 on Monday for 4."""
    keys = page.keyboard
    keys.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    keys.press("Enter")
    expect(page.locator("main")).to_be_focused()
    keys.press("Tab")
    expect(page.get_by_role("link", name="The White Horse").last).to_be_focused()
    keys.press("Enter")

    # The booking page: skip link, the venue's name, then the party size.
    expect_heading(page, "Book a table at The White Horse")
    party = page.get_by_label("Party size")
    assert tab_to(page, party, 3) == 3
    keys.type("4")  # a list picks its option by what is typed, as a field takes text
    expect(
        page.get_by_role("heading", name="Times on Tuesday 1 December 2026 for 4")
    ).to_be_visible()
    expect(party).to_be_focused()  # the new times came without moving the guest
    tab_to(page, page.get_by_role("link", name="Mon 7 Dec"), 12)
    keys.press("Enter")
    expect(page.get_by_role("heading", name=f"Times on {ON_MONDAY} for 4")).to_be_visible()
    tab_to(page, time_button(page, "19:30"), 50)
    keys.press("Enter")


def give_details_by_keyboard(page: Any) -> None:
    """Send nothing first: the error summary takes focus and leads to the field."""
    keys = page.keyboard
    expect_heading(page, "Your details")
    name = page.get_by_label("Name")
    assert tab_to(page, name, 3) == 3  # straight after the skip link and the venue's name
    tab_to(page, page.get_by_role("button", name="Book this table"), 5)
    keys.press("Enter")

    error_summary = page.get_by_role("alert").filter(has_text="There are 2 problems")
    expect(error_summary).to_be_focused()
    keys.press("Tab")
    expect(page.get_by_role("link", name="Enter the name the booking is under.")).to_be_focused()
    keys.press("Enter")
    expect(name).to_be_focused()
    keys.type("Ada Lovelace")
    keys.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    keys.type("ada@example.com")
    keys.press("Tab")
    expect(page.get_by_label("Phone")).to_be_focused()
    keys.press("Tab")
    expect(page.get_by_label("Notes for the restaurant")).to_be_focused()
    keys.press("Tab")
    expect(page.get_by_role("button", name="Book this table")).to_be_focused()
    keys.press("Space")


def cancel_by_keyboard(page: Any) -> None:
    tab_to(page, page.get_by_role("link", name="Cancel booking"), 12)
    page.keyboard.press("Enter")
    expect_heading(page, "Cancel this booking?")
    cancel = page.get_by_role("button", name="Yes, cancel the booking")
    tab_to(page, page.get_by_role("link", name="No, keep it"), 8)
    assert tab_to(page, cancel, 1, key="Shift+Tab") == 1
    page.keyboard.press("Space")


def test_a_guest_books_and_cancels_with_the_keyboard_alone(
    page: Any, site: Site, front_desk: Bookings
) -> None:
    page.goto(site.at("/"))

    choose_by_keyboard(page)
    give_details_by_keyboard(page)
    expect_heading(page, "You are booked")
    assert [(one["party_size"], one["time"]) for one in front_desk()] == [(4, "19:30")]
    cancel_by_keyboard(page)

    expect(page.get_by_role("status")).to_have_text("Your booking has been cancelled.")
    assert summary(page)["Status"] == "Cancelled"
    assert [one["status"] for one in front_desk()] == ["cancelled"]
