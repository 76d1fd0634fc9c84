"""A guest books a table, as a person would: by role and label, with script on and off."""

from __future__ import annotations

import re
from typing import Any

from served import Site

MONDAY = "2026-12-07"


def choose(page: Any, site: Site, party: str = "4", day: str = MONDAY) -> None:
    page.goto(site.at("/"))
    page.get_by_role("link", name="The White Horse").click()
    page.get_by_label("Party size").select_option(party)
    page.get_by_label("Date").fill(day)


def give_details(page: Any, name: str = "Ada Lovelace", email: str = "ada@example.com") -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)


def test_a_guest_books_a_table_with_script_on(page: Any, site: Site) -> None:
    choose(page, site)
    heading = page.get_by_role("heading", name="Times on Monday 7 December 2026 for 4")
    heading.wait_for()  # the times came without a reload
    page.get_by_role("button", name="19:30", exact=True).click()
    page.get_by_role("heading", name="Your details").wait_for()
    give_details(page)
    page.get_by_role("button", name="Book this table").click()
    page.get_by_role("heading", name="You are booked").wait_for()
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{6,12}", reference)
    assert page.get_by_text("Monday 7 December 2026").first.is_visible()
    assert "/b/" in page.get_by_label("Your manage link").input_value()


def test_a_guest_books_a_table_with_script_off(no_script_page: Any, site: Site) -> None:
    page = no_script_page
    choose(page, site)
    page.get_by_role("button", name="Show times").click()
    page.get_by_role("heading", name="Times on Monday 7 December 2026 for 4").wait_for()
    page.get_by_role("button", name="19:30", exact=True).click()
    give_details(page)
    page.get_by_role("button", name="Book this table").click()
    page.get_by_role("heading", name="You are booked").wait_for()
