"""What the browser tests share: the steps a guest takes on the pages, bookings made behind
the pages' back (through the same booking service, on the server's own context), and the
checks every page must pass."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from typing import Any
from uuid import uuid4

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from served import Site

from reserve.domain.booking import Guest
from reserve.domain.errors import NoAvailability
from reserve.services.authorisation import Caller
from reserve.services.booking import BookingRequest, book

MONDAY = "2026-12-07"
ON_MONDAY = "Monday 7 December 2026"
SLUG = "white-horse"
BLOCKING = ("serious", "critical")
_axe = Axe()


# --- a guest's steps ---------------------------------------------------------------------


def open_day(page: Any, site: Site, party: int = 2, day: str = MONDAY, **query: str) -> None:
    """The booking page for a party and a date, as a link to it would open it."""
    extra = "".join(f"&{name}={value}" for name, value in query.items())
    page.goto(site.at(f"/r/{SLUG}?party={party}&date={day}{extra}"))


def time_button(page: Any, at: str) -> Any:
    return page.get_by_role("button", name=at, exact=True)


def hold(page: Any, site: Site, party: int = 2, at: str = "19:30", day: str = MONDAY) -> str:
    """Hold ``at`` for ``party`` from the booking page; the details page's path."""
    open_day(page, site, party, day)
    time_button(page, at).click()
    page.get_by_role("heading", name="Your details").wait_for()
    path: str = re.sub(r"^https?://[^/]+", "", page.url)
    return path


def hold_id(page: Any) -> str:
    found = re.search(r"/hold/([0-9a-f-]{36})", page.url)
    assert found, page.url
    return found.group(1)


def give_details(
    page: Any,
    name: str = "Ada Lovelace",
    email: str = "ada@example.com",
    phone: str | None = None,
    notes: str | None = None,
) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    if phone is not None:
        page.get_by_label("Phone").fill(phone)
    if notes is not None:
        page.get_by_label("Notes for the restaurant").fill(notes)


def book_this_table(page: Any) -> str:
    """Send the details; the booking's reference, read from its confirmation."""
    page.get_by_role("button", name="Book this table").click()
    page.get_by_role("heading", name="You are booked").wait_for()
    reference: str = page.locator(".reference").inner_text()
    return reference


def manage_link(page: Any) -> str:
    link: str = page.get_by_label("Your manage link").input_value()
    return link


def summary(page: Any) -> dict[str, str]:
    """The booking's summary as the page shows it, term by term."""
    terms = page.locator(".summary-list dt").all_inner_texts()
    values = page.locator(".summary-list dd").all_inner_texts()
    return dict(zip(terms, values, strict=True))


# --- behind the pages' back --------------------------------------------------------------


@dataclass(frozen=True)
class Made:
    id: str
    reference: str
    manage_path: str  # /b/{id}/{token}


def booked(
    site: Site,
    party: int = 2,
    at: time = time(19, 30),
    day: date = date(2026, 12, 7),
    name: str = "Grace Hopper",
    notes: str = "",
) -> Made:
    """A booking made through the service the pages call, as another guest would make it."""
    result = book(
        site.app.state.context,
        SLUG,
        BookingRequest(party, day, at, Guest(name, "grace@example.com"), notes),
        str(uuid4()),
        Caller(),
    )
    assert result.manage_token is not None
    return Made(
        str(result.booking.id),
        result.booking.reference,
        f"/b/{result.booking.id}/{result.manage_token}",
    )


def fill(site: Site, party: int, at: time, day: date = date(2026, 12, 7)) -> int:
    """Book parties of ``party`` at ``at`` until no table that seats one is left then; how
    many it took."""
    made = 0
    while True:
        try:
            booked(site, party, at, day, name=f"Filler {made}")
        except NoAvailability:
            return made
        made += 1


# --- what every page must pass -----------------------------------------------------------


def serious_violations(page: Any) -> list[dict[str, Any]]:
    found = _axe.run(page).response["violations"]
    return [
        {
            "id": one["id"],
            "impact": one["impact"],
            "help": one["help"],
            "nodes": [node["html"][:160] for node in one["nodes"]][:3],
        }
        for one in found
        if one["impact"] in BLOCKING
    ]


def assert_accessible(page: Any, state: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"{state} ({page.url}): {violations}"


def assert_no_sideways_scroll(page: Any, state: str) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{state} ({page.url}) scrolls sideways: {widths}"


def expect_heading(page: Any, name: str) -> None:
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
