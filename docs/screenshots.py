"""The guest pages as docs/pages/*.png: one full-page screenshot per step of the journey.

    uv run python -m docs.screenshots

It runs ``reserve demo`` in a temporary data directory on a free port (the real clock, an
empty embedded database), walks the journey in Debian's Chromium through Playwright, at a
phone's width (390 x 844) and, for the booking page, a laptop's (1024 x 800), and stops
the demo (and with it its PostgreSQL) at the end, however it ends. Every run rewrites the
same files; the dates in them are those of the day it runs.

The steps: the venues; the booking page with its times; a full time with the nearest
free ones (19:30 booked out for four through the JSON API first); the details page with
the hold counting down, then with errors; the confirmation; the manage page; the change
page; the cancel confirmation and the cancelled booking; and an expired hold, for which
the venue is imported with a 10-second hold (``reserve venue import``) and put back after.

Then the host stand on a tablet (1024 x 768), signed in with the demo's staff key, on
today's date (the current time marked while the venue is open): the timeline of a day
booked through the JSON API, a pending large party's page with the tables to approve it
at, and the waitlist with three parties on it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

import httpx
from bench.server import free_port, stop_postgres, stop_server, wait_ready
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from reserve.services.venues import DEMO_VENUE

OUT = Path(__file__).resolve().parent / "pages"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1024, "height": 800}
TABLET: ViewportSize = {"width": 1024, "height": 768}
SLUG = "white-horse"
SHORT_HOLD_SECONDS = 10  # the least a venue document allows


@dataclass(frozen=True, slots=True)
class Demo:
    url: str
    key: str
    env: dict[str, str]

    def at(self, path: str) -> str:
        return self.url + path


@contextmanager
def demo() -> Iterator[Demo]:
    """``reserve demo`` in a fresh data directory, stopped (Ctrl+C too) and removed after."""
    data = Path(tempfile.mkdtemp(prefix="reserve-screenshots-"))
    port = free_port()
    env = {**os.environ, "RESERVE_DATA_DIR": str(data), "RESERVE_LOG_LEVEL": "warning"}
    process = subprocess.Popen(
        [sys.executable, "-m", "reserve", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a Ctrl+C reaches this script, which stops the demo in order
    )
    try:
        key = _staff_key(process)
        url = f"http://127.0.0.1:{port}"
        wait_ready(url)
        yield Demo(url, key, env)
    finally:
        # A second Ctrl+C (uv run passes each on as well) must not cut the clean-up short.
        interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            stop_server(process)
            stop_postgres(data / "postgres")  # the demo stops it itself; this is in case not
            shutil.rmtree(data, ignore_errors=True)
        finally:
            signal.signal(signal.SIGINT, interrupt)


def _staff_key(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        found = re.search(r"staff key\s+(\S+)", line)
        if found:
            return found.group(1)
    raise SystemExit("reserve demo exited:\n" + "".join(seen))


def import_venue(site: Demo, text: str) -> None:
    """``reserve venue import`` of ``text`` into the demo's database."""
    with tempfile.NamedTemporaryFile("w", suffix=".toml", encoding="utf-8") as document:
        document.write(text)
        document.flush()
        subprocess.run(
            [sys.executable, "-m", "reserve", "venue", "import", document.name],
            env=site.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def book_out(site: Demo, day: date, at: str, party: int) -> int:
    """Book ``at`` for ``party`` through the JSON API until no table is left; how many."""
    booked = 0
    with httpx.Client(
        base_url=site.url, headers={"Authorization": f"Bearer {site.key}"}, timeout=30
    ) as client:
        while True:
            answer = client.post(
                f"/v1/restaurants/{SLUG}/bookings",
                json={
                    "party_size": party,
                    "date": day.isoformat(),
                    "time": at,
                    "guest": {"name": "Walk-through", "email": "walk@example.com"},
                },
                headers={"Idempotency-Key": str(uuid4())},
            )
            if answer.status_code == 409:
                return booked
            answer.raise_for_status()
            booked += 1


def shot(page: Page, name: str) -> None:
    page.wait_for_load_state("load")
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    print(f"  {path.relative_to(OUT.parent.parent)}  ({path.stat().st_size // 1000} KB)")


def _tab(browser: Browser, viewport: ViewportSize) -> Page:
    phone = viewport["width"] < 600
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=1,  # small files; the pages are drawn at the width a phone has
        is_mobile=phone,
        has_touch=phone,
        # As the pages are written. Date fields follow the browser's own language packs,
        # though: Debian's chromium without chromium-l10n draws them month first.
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def walk(site: Demo, browser: Browser, day: date) -> None:
    booking = site.at(f"/r/{SLUG}?party=2&date={day}")
    page = _tab(browser, PHONE)

    page.goto(site.at("/"))
    shot(page, "01-venues")

    page.goto(booking)
    shot(page, "02-booking-times")
    desktop = _tab(browser, DESKTOP)
    desktop.goto(booking)
    shot(desktop, "02-booking-times-desktop")

    book_out(site, day, "19:30", 4)
    page.goto(site.at(f"/r/{SLUG}?party=4&date={day}"))
    page.get_by_role("link", name="19:30 full").click()
    page.wait_for_url(re.compile(r"time=19(%3A|:)30"))
    shot(page, "03-full-time-alternatives")
    desktop.goto(page.url)
    shot(desktop, "03-full-time-alternatives-desktop")
    desktop.context.close()

    page.goto(booking)
    book_and_manage(page)

    expire_a_hold(site, page, booking)
    page.context.close()


def book_and_manage(page: Page) -> None:
    """From the booking page: hold 19:00, book it, then manage, change and cancel it."""
    page.get_by_role("button", name="19:00", exact=True).click()
    page.wait_for_url(re.compile(r"/hold/"))
    shot(page, "04-details-hold")

    page.get_by_label("Email").fill("ada.example.com")
    page.get_by_role("button", name="Book this table").click()
    page.get_by_role("heading", name=re.compile("problem")).wait_for()
    shot(page, "05-details-errors")

    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Phone").fill("+44 1223 000000")
    page.get_by_label("Notes for the restaurant").fill("A high chair, please.")
    page.get_by_role("button", name="Book this table").click()
    page.get_by_role("heading", name="You are booked").wait_for()
    shot(page, "06-confirmation")

    manage = page.get_by_label("Your manage link").input_value()
    page.goto(manage)
    shot(page, "07-manage")

    page.get_by_role("link", name="Change date, time or party").click()
    page.get_by_role("heading", name="Change your booking").wait_for()
    shot(page, "08-change")

    page.goto(manage)
    page.get_by_role("link", name="Cancel booking").click()
    page.get_by_role("heading", name="Cancel this booking?").wait_for()
    shot(page, "09-cancel")
    page.get_by_role("button", name="Yes, cancel the booking").click()
    page.get_by_text("Your booking has been cancelled.").wait_for()
    shot(page, "10-cancelled")


def expire_a_hold(site: Demo, page: Page, booking: str) -> None:
    """Hold 20:00 for the shortest time a venue may set, and come back after it ended."""
    original = DEMO_VENUE.read_text(encoding="utf-8")
    short, replaced = re.subn(
        r"(?m)^hold_ttl_seconds = \d+", f"hold_ttl_seconds = {SHORT_HOLD_SECONDS}", original
    )
    assert replaced == 1, "the demo venue names no hold_ttl_seconds"
    import_venue(site, short)
    try:
        page.goto(booking)
        page.get_by_role("button", name="20:00", exact=True).click()
        page.wait_for_url(re.compile(r"/hold/"))
        page.wait_for_timeout((SHORT_HOLD_SECONDS + 2) * 1000)
        page.reload()
        page.get_by_role("heading", name="Your hold has ended").wait_for()
        shot(page, "11-hold-expired")
    finally:
        import_venue(site, original)


def book_today(site: Demo, day: date) -> None:
    """Fill the rest of ``day`` for the host stand's pictures: parties of two to six at the
    times still free, and a party of 13, which waits for the restaurant's approval."""
    with (
        httpx.Client(
            base_url=site.url, headers={"Authorization": f"Bearer {site.key}"}, timeout=30
        ) as client,
        httpx.Client(base_url=site.url, timeout=30) as guest,
    ):

        def book(party: int, at: str, name: str, *, staff: bool = True) -> None:
            # A guest's request (no key) for a party above the online limit waits for
            # approval; staff would be seated at once.
            (client if staff else guest).post(
                f"/v1/restaurants/{SLUG}/bookings",
                json={
                    "party_size": party,
                    "date": day.isoformat(),
                    "time": at,
                    "guest": {"name": name, "email": "guest@example.com"},
                },
                headers={"Idempotency-Key": str(uuid4())},
            )

        names = iter(GUESTS * 10)
        for party in (2, 4, 2, 3, 6, 2, 5, 4):
            offered = client.get(
                f"/v1/restaurants/{SLUG}/availability",
                params={"date": day.isoformat(), "party_size": party},
            ).json()
            free = [slot["time"] for slot in offered["slots"] if slot["available"]]
            for at in free[:: max(1, len(free) // 3)]:
                book(party, at, next(names))
        if free:
            book(13, free[len(free) // 2], "Turing family", staff=False)


def host_stand(site: Demo, browser: Browser) -> None:
    page = _tab(browser, TABLET)
    page.goto(site.at("/host"))
    page.get_by_label("Staff key").fill(site.key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("table", name=re.compile("Each table across the day")).wait_for()
    book_today(site, date.today())
    page.reload()
    shot(page, "12-host-timeline")

    waiting = page.get_by_role("region", name="Waiting for tables")
    if waiting.count():
        waiting.get_by_role("link").first.click()
        page.get_by_role("heading", name=re.compile("Turing family")).wait_for()
        shot(page, "13-host-booking")

    with httpx.Client(
        base_url=site.url, headers={"Authorization": f"Bearer {site.key}"}, timeout=30
    ) as client:
        for name, party, quote in (
            ("Hedy Lamarr", 2, 15),
            ("Claude Shannon", 4, 30),
            ("Lise Meitner", 6, 45),
        ):
            client.post(
                f"/v1/restaurants/{SLUG}/waitlist",
                json={"name": name, "party_size": party, "quoted_wait_minutes": quote},
            ).raise_for_status()
    page.goto(site.at(f"/host/r/{SLUG}/waitlist"))
    page.get_by_role("heading", name="Waitlist", level=1).wait_for()
    shot(page, "14-host-waitlist")
    page.context.close()


GUESTS = (
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Kay",
    "Barbara Liskov",
    "Edsger Dijkstra",
    "Frances Allen",
    "Donald Knuth",
    "Karen Spärck Jones",
    "Ken Thompson",
    "Radia Perlman",
)


def next_monday(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m docs.screenshots", description=__doc__)
    parser.add_argument("--chromium", default=shutil.which("chromium") or CHROMIUM)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    OUT.mkdir(exist_ok=True)
    day = next_monday(date.today())
    print(f"screenshots of the White Horse on {day:%A} {day} into {OUT}")
    with demo() as site, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_FLAGS)
        try:
            walk(site, browser, day)
            host_stand(site, browser)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
