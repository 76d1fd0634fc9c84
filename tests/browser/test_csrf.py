"""Every form refuses a post whose CSRF token is missing or wrong, and does nothing; a manage
link with a wrong token is a page not found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from served import Bookings, LoadVenue, Site
from steps import booked, expect_heading, give_details, hold, hold_id, open_day, time_button

TAMPER = {
    "wrong": "input => { input.value = 'f'.repeat(64); }",
    "missing": "input => input.remove()",
}


@dataclass(frozen=True)
class Case:
    """How to reach a form, its submit button, and what must still be true after."""

    reach: Callable[[Any, Site, LoadVenue], None]
    button: str
    unchanged: Callable[[Any, Site, Bookings], None]


def _nothing_booked(page: Any, site: Site, front_desk: Bookings) -> None:
    assert front_desk() == []


def _hold_untouched(page: Any, site: Site, front_desk: Bookings) -> None:
    page.go_back()
    held = httpx.get(site.at(f"/v1/holds/{hold_id(page)}")).json()
    assert held["extensions_left"] == 10
    assert front_desk() == []


def _booking_as_made(page: Any, site: Site, front_desk: Bookings) -> None:
    (booking,) = front_desk()
    assert (booking["status"], booking["time"]) == ("confirmed", "19:30")
    assert booking["guest"]["name"] == "Grace Hopper"


def _holding(page: Any, site: Site, load_venue: LoadVenue) -> None:
    hold(page, site)


def _details_given(page: Any, site: Site, load_venue: LoadVenue) -> None:
    hold(page, site)
    give_details(page)


def _request_page(page: Any, site: Site, load_venue: LoadVenue) -> None:
    load_venue(max_online_party_size=6)
    open_day(page, site, party=8)
    time_button(page, "19:30").click()
    give_details(page)


def _manage(suffix: str) -> Callable[[Any, Site, LoadVenue], None]:
    def reach(page: Any, site: Site, load_venue: LoadVenue) -> None:
        page.goto(site.at(booked(site).manage_path + suffix))
        if not suffix:
            page.get_by_label("Name").fill("Someone Else")

    return reach


CASES = {
    "hold": Case(lambda page, site, _: open_day(page, site), "19:30", _nothing_booked),
    "book": Case(_details_given, "Book this table", _nothing_booked),
    "extend": Case(_details_given, "More time", _hold_untouched),
    "release": Case(_holding, "Let this table go and choose another time", _hold_untouched),
    "request": Case(_request_page, "Send the request", _nothing_booked),
    "change": Case(_manage("/change"), "20:00", _booking_as_made),
    "details": Case(_manage(""), "Save details", _booking_as_made),
    "cancel": Case(_manage("/cancel"), "Yes, cancel the booking", _booking_as_made),
}


@pytest.mark.parametrize("form", list(CASES))
def test_every_form_refuses_a_missing_or_wrong_csrf_token(
    no_script_page: Any, site: Site, load_venue: LoadVenue, front_desk: Bookings, form: str
) -> None:
    page = no_script_page
    case = CASES[form]
    case.reach(page, site, load_venue)
    here = page.url
    for tried, (how, tamper) in enumerate(TAMPER.items()):
        if tried:  # the form again, as reloading it would show it
            page.goto(here)
            if form in ("book", "extend", "request"):
                give_details(page)
        button = page.get_by_role("button", name=case.button, exact=True)
        button.evaluate(
            f"button => [...button.form.querySelectorAll('[name=csrf_token]')].forEach({tamper})"
        )

        with page.expect_response(lambda answer: answer.request.method == "POST") as sent:
            button.click()

        assert sent.value.status == 403, how
        expect_heading(page, "Please send the form again")
        expect(
            page.get_by_text("This form has expired or did not come from this site")
        ).to_be_visible()
    case.unchanged(page, site, front_desk)


def test_a_manage_link_with_a_wrong_token_is_not_found(page: Any, site: Site) -> None:
    made = booked(site)

    answer = page.goto(site.at(f"/b/{made.id}/wrong"))

    assert answer.status == 404
    expect_heading(page, "We could not find that")
    expect(page.get_by_text("Check that you copied the whole link")).to_be_visible()
    for suffix in ("/change", "/cancel", "/calendar.ics"):
        assert page.goto(site.at(f"/b/{made.id}/wrong{suffix}")).status == 404
