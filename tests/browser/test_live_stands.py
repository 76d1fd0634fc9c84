"""Two hosts at two stands see each other's changes, and a guest's booking, within two
seconds without reloading; the one who is looking at a button keeps it, and the one who is
typing keeps what they type; a stand whose key is revoked goes to sign in; without script
the page reloads itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time
from typing import Any

import pytest
from playwright.sync_api import expect
from served import Site
from steps import (
    MONDAY,
    ON_MONDAY,
    book_this_table,
    booked,
    expect_heading,
    give_details,
    hold,
)

from reserve.config import PLACEHOLDER_SECRET
from reserve.db.database import OperatorDatabase
from reserve.domain.access import Role
from reserve.services.keys import create_key, list_keys, revoke_key
from reserve.web import live

PROMPTLY_MS = 2000
DAY = f"/host/r/white-horse?date={MONDAY}"
LIVE = re.compile(r"^Live: ")


@pytest.fixture
def stand_key(site: Site, operator: OperatorDatabase) -> str:
    _, key = create_key(
        operator, PLACEHOLDER_SECRET, role=Role.STAFF, restaurant="white-horse", name="stand"
    )
    return key


@pytest.fixture
def stands(browser: Any) -> Iterator[Any]:
    """Open a host stand: a browser of its own, as a second tablet at the door would be."""
    contexts: list[Any] = []

    def stand() -> Any:
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield stand
    for context in contexts:
        context.close()


def sign_in_to_monday(page: Any, site: Site, key: str) -> None:
    page.goto(site.at(DAY))
    page.get_by_label("Staff key").fill(key)
    page.keyboard.press("Enter")
    expect_heading(page, ON_MONDAY)
    expect(page.get_by_role("status").filter(has_text=LIVE)).to_be_visible()


def bookings_of(page: Any) -> Any:
    return page.get_by_role("table", name=f"Bookings on {ON_MONDAY}")


def test_a_host_seats_a_party_and_the_other_stand_shows_it_seated_without_a_reload(
    site: Site, stands: Any, stand_key: str
) -> None:
    grace = booked(site, 2, time(19, 30), name="Grace Hopper")
    ada = booked(site, 4, time(19, 45), name="Ada Lovelace")
    site.clock.now = datetime.fromisoformat("2026-12-07T19:10:00+00:00")  # London keeps GMT
    door, bar = stands(), stands()
    sign_in_to_monday(door, site, stand_key)
    sign_in_to_monday(bar, site, stand_key)
    looking_at = bar.get_by_role("button", name=f"Seat Ada Lovelace ({ada.reference})")
    looking_at.focus()
    bar.evaluate("window.notReloaded = true")

    door.get_by_role("button", name=f"Seat Grace Hopper ({grace.reference})").click()

    row = bookings_of(bar).get_by_role("row", name="Grace Hopper")
    expect(row.get_by_role("cell", name="Seated", exact=True)).to_be_visible(timeout=PROMPTLY_MS)
    assert bar.evaluate("window.notReloaded") is True
    expect(looking_at).to_be_focused()  # the host's place is kept
    timeline = bar.get_by_role("table", name="Each table across the day")
    expect(timeline.get_by_role("cell", name="Grace Hopper, 2")).to_contain_text("Seated")
    expect(bar.get_by_role("status").filter(has_text="Live: updated at")).to_be_visible()


def test_a_guests_booking_appears_on_the_open_host_stand(
    site: Site, stands: Any, stand_key: str, page: Any
) -> None:
    stand = stands()
    sign_in_to_monday(stand, site, stand_key)
    expect(stand.get_by_text("No bookings on this day yet.")).to_be_visible()

    hold(page, site, 3, "20:00")
    give_details(page, name="Katherine Johnson", email="katherine@example.com")
    reference = book_this_table(page)

    row = bookings_of(stand).get_by_role("row", name="Katherine Johnson")
    expect(row).to_be_visible(timeout=PROMPTLY_MS)
    expect(row).to_contain_text(reference)
    expect(stand.get_by_text(re.compile(r"^1 booking, 3 covers"))).to_be_visible()


def test_a_booking_of_another_day_leaves_the_page_alone(
    site: Site, stands: Any, stand_key: str
) -> None:
    stand = stands()
    sign_in_to_monday(stand, site, stand_key)
    stand.evaluate("document.getElementById('floor').dataset.marked = 'yes'")
    stand.evaluate(
        """() => {
          const fetch = window.fetch;
          window.fetches = 0;
          window.fetch = (...asked) => (window.fetches++, fetch(...asked));
        }"""
    )

    booked(site, 2, time(19, 30), day=datetime(2026, 12, 8).date(), name="Tuesday Guest")
    booked(site, 2, time(19, 30), name="Monday Guest")

    expect(bookings_of(stand).get_by_role("row", name="Monday Guest")).to_be_visible(
        timeout=PROMPTLY_MS
    )
    assert stand.evaluate("window.fetches") == 1
    expect(stand.get_by_role("row", name="Tuesday Guest")).to_have_count(0)


def test_without_script_the_host_stand_reloads_itself(
    site: Site, no_script_page: Any, stand_key: str
) -> None:
    no_script_page.goto(site.at(DAY))
    no_script_page.get_by_label("Staff key").fill(stand_key)
    no_script_page.get_by_role("button", name="Sign in").click()
    expect_heading(no_script_page, ON_MONDAY)
    refresh = no_script_page.locator("meta[http-equiv=refresh]")
    expect(refresh).to_have_attribute("content", f"30; url=/host/r/white-horse?date={MONDAY}")
    # The host may stop it (WCAG 2.2.1), and start it again.
    no_script_page.get_by_role("link", name="Stop reloading").click()
    expect(refresh).to_have_count(0)
    no_script_page.get_by_role("link", name="Reload this page every 30 seconds").click()
    expect(refresh).to_have_attribute("content", f"30; url=/host/r/white-horse?date={MONDAY}")


def test_the_floor_waits_while_the_host_types_in_it(
    site: Site, stands: Any, stand_key: str
) -> None:
    stand = stands()
    sign_in_to_monday(stand, site, stand_key)
    stand.evaluate(
        """() => {
          const form = document.createElement("form");
          form.setAttribute("action", "/host/r/white-horse/notes");
          form.innerHTML =
            '<label for="note">Note for the kitchen</label><input id="note" name="note">';
          document.getElementById("floor").prepend(form);
        }"""
    )  # a form of the floor, as the waitlist's will be
    stand.get_by_label("Note for the kitchen").fill("Birthday at table 4")

    booked(site, 2, time(19, 30), name="Monday Guest")

    stand.wait_for_timeout(PROMPTLY_MS + 500)
    expect(bookings_of(stand)).to_have_count(0)  # what the host is typing stays as it is
    expect(stand.get_by_label("Note for the kitchen")).to_have_value("Birthday at table 4")
    stand.get_by_role("button", name="Show").focus()
    expect(bookings_of(stand).get_by_role("row", name="Monday Guest")).to_be_visible(timeout=5000)


def test_an_open_stand_goes_to_sign_in_when_its_key_is_revoked(
    site: Site,
    stands: Any,
    stand_key: str,
    operator: OperatorDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.3)
    stand = stands()
    sign_in_to_monday(stand, site, stand_key)

    for key in list_keys(operator):
        revoke_key(operator, key.prefix)

    expect(stand.get_by_role("heading", name="Sign in to the host stand")).to_be_visible(
        timeout=live.RETRY_MS + 3000
    )


def test_a_host_whose_button_goes_keeps_focus_in_its_row(
    site: Site, stands: Any, stand_key: str
) -> None:
    grace = booked(site, 2, time(19, 30), name="Grace Hopper")
    site.clock.now = datetime.fromisoformat("2026-12-07T19:10:00+00:00")
    door, bar = stands(), stands()
    sign_in_to_monday(door, site, stand_key)
    sign_in_to_monday(bar, site, stand_key)
    bar.get_by_role("button", name=f"Seat Grace Hopper ({grace.reference})").focus()

    door.get_by_role("button", name=f"Seat Grace Hopper ({grace.reference})").click()

    # The button became "Complete": focus stays in the party's row, on its first control.
    complete = bar.get_by_role("button", name=f"Complete Grace Hopper ({grace.reference})")
    expect(complete).to_be_focused(timeout=PROMPTLY_MS)


def test_a_host_pauses_the_live_floor_and_it_catches_up_on_resuming(
    site: Site, stands: Any, stand_key: str
) -> None:
    stand = stands()
    sign_in_to_monday(stand, site, stand_key)
    pause = stand.get_by_role("button", name="Pause live updates")
    pause.click()
    expect(stand.get_by_role("button", name="Resume live updates")).to_have_attribute(
        "aria-pressed", "true"
    )

    booked(site, 2, time(19, 30), name="Monday Guest")

    expect(stand.get_by_role("status").filter(has_text="there are changes to show")).to_be_visible(
        timeout=PROMPTLY_MS
    )
    expect(stand.get_by_role("row", name="Monday Guest")).to_have_count(0)
    stand.get_by_role("button", name="Resume live updates").click()
    expect(bookings_of(stand).get_by_role("row", name="Monday Guest")).to_be_visible(
        timeout=PROMPTLY_MS
    )
