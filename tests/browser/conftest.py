"""The pages in a real browser: Debian's Chromium driven by Playwright, against the app
served by uvicorn on a free port of this machine, on the test clock.

Without Chromium these tests skip with one line saying how to get it; with
``RESERVE_REQUIRE_BROWSER`` set (as CI sets it) they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from served import Bookings, LoadVenue, Site, serving
from tests.api.conftest import NOW, ManualClock

from reserve.config import PLACEHOLDER_SECRET
from reserve.db.database import Connection, OperatorDatabase
from reserve.db.venues import save_venue
from reserve.domain.access import Role
from reserve.domain.venue import Venue
from reserve.services.keys import create_key
from reserve.services.venues import DEMO_VENUE, read_venue_file

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 320, "height": 720}


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = _chromium()
    if found is None:
        message = "Chromium is not installed: apt-get install chromium (Debian) to run these"
        if os.environ.get("RESERVE_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """One Chromium per test module. Not per session: while Playwright's driver runs, the
    worker's thread counts as running an event loop, and a later test of another directory
    that calls ``asyncio.run`` would fail."""
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def load_venue(admin: Connection) -> LoadVenue:
    """Load the White Horse, with any of its settings changed."""

    def load(**changes: Any) -> Venue:
        venue = read_venue_file(DEMO_VENUE)
        if changes:
            venue = replace(venue, **changes)
        save_venue(admin, venue)
        return venue

    return load


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def site(database_url: str, clock: ManualClock, load_venue: LoadVenue) -> Iterator[Site]:
    """The White Horse served on the test clock (Tuesday 2026-12-01, 10:00 UTC)."""
    load_venue()
    with serving(database_url, clock) as served:
        yield served


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab (its own cookies), sized like a laptop."""
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def no_script_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def front_desk(site: Site, operator: OperatorDatabase) -> Bookings:
    """The day's bookings as the restaurant's staff read them through the API:
    ``front_desk()`` for Monday 2026-12-07, ``front_desk("2026-12-08")`` another day."""
    _, key = create_key(
        operator, PLACEHOLDER_SECRET, role=Role.STAFF, restaurant="white-horse", name="desk"
    )

    def bookings(day: str = "2026-12-07") -> list[dict[str, Any]]:
        response = httpx.get(
            site.at("/v1/restaurants/white-horse/bookings"),
            params={"date": day},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["bookings"]
        return found

    return bookings
