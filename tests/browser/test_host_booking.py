"""A host runs bookings from the day page and a booking's own page: seats and completes a
party (its tables stay on record), is refused a no-show before its time, moves a booking
by clicking it and then free tables (which pins them, the move in its history, until the
host unpins them), approves a pending party at the allocator's tables,
and changes a booking's time; the stand refuses a form without its token, sends an
expired session back to sign-in and shows nothing of another venue."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time
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
)

from reserve.config import PLACEHOLDER_SECRET
from reserve.db.database import OperatorDatabase
from reserve.domain.access import Role
from reserve.services.keys import create_key

TABLET = {"width": 1024, "height": 768}
SIGNED_IN = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)


@pytest.fixture
def host(browser: Any, site: Site, operator: OperatorDatabase) -> Iterator[Any]:
    """A tablet at the White Horse's stand, signed in with a staff key at 17:00 on Monday
    (the session lasts the service)."""
    site.clock.now = SIGNED_IN
    _, key = create_key(
        operator, PLACEHOLDER_SECRET, role=Role.STAFF, restaurant="white-horse", name="stand"
    )
    context = browser.new_context(viewport=TABLET)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(site.at(f"/host/r/white-horse?date={MONDAY}"))
    page.get_by_label("Staff key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect_heading(page, ON_MONDAY)
    yield page
    context.close()


def notice(page: Any, text: str) -> Any:
    """The status message saying ``text`` (the page has others, such as when it was last
    brought up to date)."""
    return page.get_by_role("status").filter(has_text=text)


def row(page: Any, name: str) -> Any:
    return page.get_by_role("table", name=f"Bookings on {ON_MONDAY}").get_by_role("row", name=name)


def timeline_row(page: Any, table: str) -> Any:
    timeline = page.get_by_role("table", name="Each table across the day")
    return timeline.get_by_role("row").filter(has=page.get_by_role("rowheader", name=table))


def test_a_party_is_seated_then_leaves_and_its_tables_stay_on_record(host: Any, site: Site) -> None:
    booked(site, 4, name="Grace Hopper")
    host.reload()
    site.clock.now = datetime(2026, 12, 7, 19, 25, tzinfo=UTC)  # five minutes early

    host.get_by_role("button", name="Seat Grace Hopper").click()
    expect(notice(host, "seated")).to_be_visible()
    expect(row(host, "Grace Hopper")).to_contain_text("Seated")
    site.clock.now = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)
    host.get_by_role("button", name="Complete Grace Hopper").click()
    expect(row(host, "Grace Hopper")).to_contain_text("Left")

    tables = row(host, "Grace Hopper").get_by_role("cell").nth(3).inner_text()
    assert tables
    assert tables != "none yet"
    host.get_by_role("link", name="Grace Hopper").first.click()
    expect_heading(host, "Grace Hopper, 4 at 19:30")
    history = host.get_by_role("region", name="History").get_by_role("listitem")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("made, booked, by the guest")
    expect(history.nth(1)).to_contain_text("Booked to Seated, by staff")
    expect(history.nth(2)).to_contain_text("Seated to Left")
    assert_accessible(host, "a completed booking")


def test_a_no_show_before_the_start_and_its_grace_is_refused_saying_why(
    host: Any, site: Site
) -> None:
    booked(site, 2, name="Ada Lovelace")
    site.clock.now = datetime(2026, 12, 7, 19, 35, tzinfo=UTC)  # five minutes after 19:30
    host.reload()

    host.get_by_role("button", name="No-show Ada Lovelace").click()

    refusal = host.get_by_role("alert")
    expect(refusal).to_contain_text("can be marked a no-show from 19:45")
    expect(refusal).to_be_focused()  # read out first
    expect(row(host, "Ada Lovelace")).to_contain_text("Booked")


def test_a_host_moves_a_booking_by_clicking_it_then_a_free_table(host: Any, site: Site) -> None:
    booked(site, 2, name="Ada Lovelace")
    host.reload()
    [before] = [
        label
        for label in _table_labels(host)
        if "Ada Lovelace" in timeline_row(host, label).inner_text()
    ]

    host.get_by_role("table", name="Each table across the day").get_by_role(
        "link", name="Ada Lovelace, 2"
    ).click()
    expect_heading(host, "Ada Lovelace, 2 at 19:30")
    assert_accessible(host, "a booking's page")
    assert_no_sideways_scroll(host, "a booking's page")
    own = _table_box(host, before)
    expect(own).to_be_checked()
    target = _free_like(host, before)
    own.uncheck()
    _table_box(host, target).check()
    host.get_by_role("button", name="Seat at the ticked tables").click()

    expect(notice(host, "moved to its new tables")).to_be_visible()
    host.get_by_role("link", name=f"Back to {ON_MONDAY}").click()
    expect(timeline_row(host, target)).to_contain_text("Ada Lovelace")
    expect(timeline_row(host, before)).not_to_contain_text("Ada Lovelace")


def test_tables_a_host_chose_are_shown_pinned_with_the_move_in_the_history_until_unpinned(
    host: Any, site: Site
) -> None:
    made = booked(site, 2, name="Ada Lovelace")
    host.goto(site.at(f"/host/r/white-horse/bookings/{made.id}"))
    before = host.get_by_role("checkbox", checked=True).get_attribute("value")
    assert before
    target = _free_like(host, before)
    _table_box(host, before).uncheck()
    _table_box(host, target).check()
    host.get_by_role("button", name="Seat at the ticked tables").click()

    expect(notice(host, "moved to its new tables")).to_be_visible()
    tables = host.get_by_role("definition").filter(has_text=target)
    expect(tables).to_contain_text("pinned (chosen by staff")
    history = host.get_by_role("region", name="History").get_by_role("listitem")
    expect(history).to_have_count(2)
    expect(history.nth(1)).to_contain_text(f"moved from {before} to {target}, by staff (key ")
    assert_accessible(host, "a booking with pinned tables")
    host.get_by_role("link", name=f"Back to {ON_MONDAY}").click()
    expect(row(host, "Ada Lovelace").get_by_role("cell").nth(3)).to_have_text(f"{target} pinned")

    host.get_by_role("link", name="Ada Lovelace").first.click()
    host.get_by_role("button", name="Unpin tables").click()

    expect(notice(host, "its tables are no longer pinned")).to_be_visible()
    expect(host.get_by_role("definition").filter(has_text=target)).not_to_contain_text("pinned")
    expect(host.get_by_role("button", name="Unpin tables")).to_have_count(0)
    expect(history).to_have_count(2)


def test_tables_that_cannot_seat_the_party_are_refused_beside_the_choice(
    host: Any, site: Site
) -> None:
    made = booked(site, 2, name="Ada Lovelace")
    host.goto(site.at(f"/host/r/white-horse/bookings/{made.id}"))
    free = host.get_by_role("checkbox", name="free", disabled=False)
    for n in range(3):
        free.nth(n).check()  # three tables for two: no allowed combination

    host.get_by_role("button", name="Seat at the ticked tables").click()

    expect(host.get_by_role("alert")).to_contain_text("cannot seat a party of 2")
    expect(host.get_by_role("group", name="Or tick the tables yourself")).to_contain_text(
        "Nothing was changed"
    )


def test_a_host_approves_a_pending_party_at_the_suggested_tables(host: Any, site: Site) -> None:
    booked(site, 13, at=time(19, 0), name="Large Party")
    host.reload()
    waiting = host.get_by_role("region", name="Waiting for tables")
    expect(waiting).to_contain_text("Large Party, 13 at 19:00")

    waiting.get_by_role("link", name="Large Party, 13 at 19:00").click()
    expect_heading(host, "Large Party, 13 at 19:00")
    choose = host.get_by_role("region", name="Approve: choose its tables")
    first = choose.get_by_role("button", name="Approve at").first
    expect(choose.get_by_role("listitem").first).to_contain_text("suggested")
    tables = first.inner_text().removeprefix("Approve at ").split(" + ")
    first.click()

    expect(notice(host, "approved")).to_be_visible()
    details = host.get_by_role("definition")
    expect(details.first).to_have_text("Booked")
    expect(host.get_by_text(", ".join(sorted(tables)), exact=True)).to_be_visible()
    host.get_by_role("link", name=f"Back to {ON_MONDAY}").click()
    expect(host.get_by_role("region", name="Waiting for tables")).to_have_count(0)


def test_a_host_changes_a_bookings_time_and_a_refused_change_keeps_it(
    host: Any, site: Site
) -> None:
    made = booked(site, 2, name="Ada Lovelace")
    host.goto(site.at(f"/host/r/white-horse/bookings/{made.id}"))

    host.get_by_label("Time", exact=True).fill("20:00")
    host.get_by_role("button", name="Change booking").click()
    expect(notice(host, "changed")).to_be_visible()
    expect_heading(host, "Ada Lovelace, 2 at 20:00")

    host.get_by_label("Party size", exact=True).fill("500")
    host.get_by_role("button", name="Change booking").click()
    expect(host.get_by_role("alert")).to_contain_text("cannot seat a party of 500")
    expect_heading(host, "Ada Lovelace, 2 at 20:00")
    expect(host.get_by_label("Party size", exact=True)).to_have_attribute("aria-invalid", "true")


def test_a_form_without_its_token_is_refused_and_changes_nothing(host: Any, site: Site) -> None:
    made = booked(site, 2, name="Ada Lovelace")
    site.clock.now = datetime(2026, 12, 7, 19, 30, tzinfo=UTC)
    host.goto(site.at(f"/host/r/white-horse/bookings/{made.id}"))
    host.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")

    host.get_by_role("button", name="Seat", exact=True).click()

    expect_heading(host, "Please send the form again")
    host.goto(site.at(f"/host/r/white-horse?date={MONDAY}"))
    expect(row(host, "Ada Lovelace")).to_contain_text("Booked")


def test_an_expired_session_goes_back_to_sign_in(host: Any, site: Site) -> None:
    site.clock.now = datetime(2026, 12, 8, 5, 1, tzinfo=UTC)  # twelve hours and a minute on
    host.reload()
    expect_heading(host, "Sign in to the host stand")
    expect(notice(host, "your session has ended")).to_be_visible()


def test_a_key_of_another_venue_sees_nothing_of_this_one(
    browser: Any, site: Site, operator: OperatorDatabase, load_venue: Any
) -> None:
    made = booked(site, 2, name="Ada Lovelace")
    load_venue(slug="the-anchor", name="The Anchor")
    _, key = create_key(
        operator, PLACEHOLDER_SECRET, role=Role.STAFF, restaurant="the-anchor", name="anchor"
    )
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    try:
        page.goto(site.at("/host"))
        page.get_by_label("Staff key").fill(key)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("link", name="Host stand: The Anchor")).to_be_visible()
        for path in (
            f"/host/r/white-horse?date={MONDAY}",
            f"/host/r/white-horse/bookings/{made.id}",
            f"/host/r/the-anchor/bookings/{made.id}",
        ):
            response = page.goto(site.at(path))
            assert response is not None, path
            assert response.status == 404, path
            assert "Ada Lovelace" not in page.content()
    finally:
        context.close()


def _table_labels(page: Any) -> list[str]:
    timeline = page.get_by_role("table", name="Each table across the day")
    heads = timeline.get_by_role("rowheader")
    return [heads.nth(n).inner_text().split(" ")[0] for n in range(heads.count())]


def _table_box(page: Any, label: str) -> Any:
    return page.get_by_role("checkbox", name=re.compile(rf"^{re.escape(label)} "))


def _free_like(page: Any, label: str) -> str:
    """Another table, free for the booking, of the same capacity as ``label``."""
    capacity = _table_box(page, label).evaluate("box => box.labels[0].innerText.split(' ')[1]")
    free = page.get_by_role("checkbox", name=re.compile(rf"^\S+ {re.escape(capacity)} free"))
    labels = [free.nth(n).get_attribute("value") for n in range(free.count())]
    return next(other for other in labels if other and other != label)


def test_the_timeline_opens_at_the_current_time(host: Any, site: Site) -> None:
    site.clock.now = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)  # the slots from 12:00 are wider
    host.reload()
    now = host.get_by_role("columnheader", name="Now")
    region = host.get_by_role("region", name="Tables")
    expect(now).to_be_visible()
    shown, box = region.bounding_box(), now.bounding_box()
    assert shown is not None
    assert box is not None
    assert shown["x"] < box["x"]
    assert box["x"] + box["width"] <= shown["x"] + shown["width"]  # scrolled into sight
    assert region.evaluate("region => region.scrollLeft") > 0
