"""The manage link: the guest changes the time, the party or the date, their details and
notes, or cancels after a confirmation step; the page then shows the booking as it is."""

from __future__ import annotations

from datetime import time
from typing import Any

from playwright.sync_api import expect
from served import Bookings, Site
from steps import ON_MONDAY, booked, expect_heading, fill, summary, time_button


def open_manage(page: Any, site: Site, **booking: Any) -> None:
    made = booked(site, **booking)
    page.goto(site.at(made.manage_path))
    expect_heading(page, "Your booking at The White Horse")


def test_a_guest_moves_their_booking_to_another_time(
    page: Any, site: Site, front_desk: Bookings
) -> None:
    open_manage(page, site, party=2, at=time(19, 30))

    page.get_by_role("link", name="Change date, time or party").click()
    expect_heading(page, "Change your booking")
    expect(page.get_by_text(f"Now: 2 people, {ON_MONDAY} at 19:30.")).to_be_visible()
    time_button(page, "20:15").click()

    expect(page.get_by_role("status")).to_have_text("Your booking has been changed.")
    assert summary(page)["Time"].startswith("20:15 to 21:15")
    assert [one["time"] for one in front_desk()] == ["20:15"]


def test_a_guest_changes_the_party_and_the_date(
    page: Any, site: Site, front_desk: Bookings
) -> None:
    open_manage(page, site, party=2, at=time(19, 30))
    page.get_by_role("link", name="Change date, time or party").click()

    page.get_by_label("Party size").select_option("5")
    page.get_by_label("Date").fill("2026-12-08")
    page.get_by_role("button", name="Show times").click()
    expect(
        page.get_by_role("heading", name="Times on Tuesday 8 December 2026 for 5")
    ).to_be_visible()
    time_button(page, "19:30").click()

    expect(page.get_by_role("status")).to_have_text("Your booking has been changed.")
    shown = summary(page)
    assert (shown["Party"], shown["Date"]) == ("5 people", "Tuesday 8 December 2026")
    assert front_desk() == []
    assert [(one["party_size"], one["time"]) for one in front_desk("2026-12-08")] == [(5, "19:30")]


def test_a_change_to_a_full_time_offers_the_nearest_free_ones(
    page: Any, site: Site, front_desk: Bookings
) -> None:
    open_manage(page, site, party=2, at=time(19, 30), name="Ada Lovelace")
    fill(site, 8, time(19, 30))
    page.get_by_role("link", name="Change date, time or party").click()
    page.get_by_label("Party size").select_option("8")
    page.get_by_role("button", name="Show times").click()

    page.get_by_role("link", name="19:30 full").click()

    alternatives = page.get_by_role("region", name="19:30 is full: the nearest free times")
    alternatives.get_by_role("button", name=f"17:45 on {ON_MONDAY}").click()
    expect(page.get_by_role("status")).to_have_text("Your booking has been changed.")
    shown = summary(page)
    assert (shown["Party"], shown["Time"][:5]) == ("8 people", "17:45")
    mine = [one for one in front_desk() if one["guest"]["name"] == "Ada Lovelace"]
    assert [(one["party_size"], one["time"]) for one in mine] == [(8, "17:45")]


def test_a_guest_edits_their_notes_and_contact_details(
    page: Any, site: Site, front_desk: Bookings
) -> None:
    open_manage(page, site, name="Grace Hopper", notes="")
    assert page.get_by_label("Name").input_value() == "Grace Hopper"

    page.get_by_label("Name").fill("Grace Brewster Hopper")
    page.get_by_label("Email").fill("grace.hopper@example.com")
    page.get_by_label("Phone").fill("+44 1223 860000")
    page.get_by_label("Notes for the restaurant").fill("Window seat if you can.\nNo nuts.")
    page.get_by_role("button", name="Save details").click()

    expect(page.get_by_role("status")).to_have_text("Your details have been saved.")
    shown = summary(page)
    assert shown["Name"] == "Grace Brewster Hopper"
    assert shown["Notes"] == "Window seat if you can.\nNo nuts."
    assert page.get_by_label("Phone").input_value() == "+44 1223 860000"
    (booking,) = front_desk()
    assert booking["guest"] == {
        "name": "Grace Brewster Hopper",
        "email": "grace.hopper@example.com",
        "phone": "+44 1223 860000",
    }


def test_details_that_will_not_do_are_refused_beside_their_fields(
    page: Any, site: Site, front_desk: Bookings
) -> None:
    open_manage(page, site, name="Grace Hopper")

    page.get_by_label("Email").fill("grace@")
    page.get_by_label("Phone").fill("call me")
    page.get_by_role("button", name="Save details").click()

    summary_box = page.get_by_role("alert")
    expect(summary_box).to_contain_text("There are 2 problems")
    expect(summary_box).to_be_focused()
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Enter an email address like name@example.com.").first).to_be_visible()
    assert front_desk()[0]["guest"]["email"] == "grace@example.com"


def test_a_guest_cancels_after_a_confirmation_step(
    page: Any, site: Site, front_desk: Bookings
) -> None:
    open_manage(page, site)

    page.get_by_role("link", name="Cancel booking").click()
    expect_heading(page, "Cancel this booking?")
    page.get_by_role("link", name="No, keep it").click()
    assert summary(page)["Status"] == "Confirmed"
    page.get_by_role("link", name="Cancel booking").click()
    page.get_by_role("button", name="Yes, cancel the booking").click()

    expect(page.get_by_role("status")).to_have_text("Your booking has been cancelled.")
    assert summary(page)["Status"] == "Cancelled"
    expect(page.get_by_role("link", name="Cancel booking")).to_have_count(0)
    expect(page.get_by_role("link", name="Change date, time or party")).to_have_count(0)
    assert [one["status"] for one in front_desk()] == ["cancelled"]
    page.reload()
    assert summary(page)["Status"] == "Cancelled"
