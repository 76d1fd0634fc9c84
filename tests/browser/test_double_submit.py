"""The details sent twice (twice at once, back and send again, from a page left open, by a
double click) make one booking: the hold is the booking's idempotency key."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from served import Bookings, Site
from steps import book_this_table, expect_heading, give_details, hold

SEND_TWICE_AT_ONCE = """form => Promise.all([1, 2].map(() =>
    fetch(form.action, {method: "POST", body: new URLSearchParams(new FormData(form))})
        .then(answer => [answer.status, answer.url])))"""


def test_the_details_sent_twice_at_once_make_one_booking(
    no_script_page: Any, site: Site, front_desk: Bookings
) -> None:
    page = no_script_page
    hold(page, site)
    give_details(page)

    # The page's own form, posted twice before either answer comes back (a browser's
    # repeated submit, or a second tab with the same cookies).
    answers = page.locator("form.details").evaluate(SEND_TWICE_AT_ONCE)

    first, second = answers
    assert first == second, answers  # the same confirmation
    status, confirmation = first
    assert status == 200
    assert "/b/" in confirmation
    assert confirmation.endswith("?new=1")
    assert len(front_desk()) == 1
    page.goto(confirmation)
    expect_heading(page, "You are booked")


def test_back_after_booking_offers_no_second_booking_and_resending_shows_the_first(
    no_script_page: Any, site: Site, front_desk: Bookings
) -> None:
    page = no_script_page
    details = hold(page, site)
    give_details(page)
    sent = page.locator("form.details").evaluate("form => Object.fromEntries(new FormData(form))")
    reference = book_this_table(page)
    confirmation = page.url

    page.go_back()

    expect_heading(page, "We could not find that hold")
    expect(page.get_by_text("If you booked it, your booking stands")).to_be_visible()
    expect(page.get_by_role("link", name="Choose a time")).to_be_visible()
    expect(page.get_by_role("button", name="Book this table")).to_have_count(0)
    # What a browser's "resend" posts: the same form, with the same cookies.
    resent = page.request.post(site.at(details), form=sent)
    assert (resent.status, resent.url) == (200, confirmation)
    page.go_forward()
    assert page.locator(".reference").inner_text() == reference
    assert len(front_desk()) == 1


def test_a_page_left_open_and_sent_again_after_booking_shows_the_same_booking(
    no_script_page: Any, site: Site, front_desk: Bookings
) -> None:
    first = no_script_page
    details = hold(first, site)
    same, changed = first.context.new_page(), first.context.new_page()
    for stale in (same, changed):
        stale.goto(site.at(details))
    give_details(first)
    reference = book_this_table(first)

    give_details(same)  # the same details again, as after going back and sending again
    assert book_this_table(same) == reference
    give_details(changed, name="Ada King")
    changed.get_by_role("button", name="Book this table").click()
    expect_heading(changed, "This hold is already booked")
    assert [one["guest"]["name"] for one in front_desk()] == ["Ada Lovelace"]


def test_a_double_click_with_script_makes_one_booking(
    page: Any, site: Site, front_desk: Bookings
) -> None:
    hold(page, site)
    give_details(page)

    page.get_by_role("button", name="Book this table").dblclick()

    expect_heading(page, "You are booked")
    assert len(front_desk()) == 1
