"""How long the guest pages take the server, and what each weighs.

It starts its own embedded PostgreSQL in a temporary directory, migrates it, loads the
White Horse, and starts ``reserve serve`` (one worker, so that ``/metrics`` is the whole
server's) with the public rate limit out of the way. It then fills a busy day through the
JSON API with a staff key (``--fill`` bookings spread over the day's times, and 19:30
booked out for a party of four), and asks one client (httpx, keep-alive) for each page in
turn, ``--requests`` times each, round robin so that noise reaches every page alike:

- **booking**: ``/r/white-horse?party=4&date=D``, the busy day D;
- **times**: ``/r/white-horse/times?party=4&date=D``, the fragment the page's script fetches;
- **alternatives**: the same fragment with ``&time=19:30``, full for four;
- **details**: ``/r/white-horse/hold/{id}``, a hold's details form (a new hold replaces
  one about to expire, on the next day so the busy day stays as filled);
- **manage**: ``/b/{id}/{token}?new=1``, the confirmation of a booking made by a guest.

Times are the client's (wall time on loopback) and the server's own: after each timed
request the client reads ``/metrics``, and the growth of ``reserve_request_seconds_sum``
for the page's route is the time the app spent on that one request. The run's mean per
route (the growth of ``_sum`` over that of ``_count``) is reported too.

A page's weight is its HTML and every ``/static/...`` file it links (style sheet, script,
icon), uncompressed, as a first visit loads them.

Targets: a median under 20 ms, and under 50 KB.
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
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import median, quantiles
from typing import Any
from uuid import uuid4

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rich.table import Table

from bench.common import console, machine, write_results
from bench.server import free_port, stop_postgres, stop_server, wait_ready
from reserve.db import migrations
from reserve.db.database import OperatorDatabase, connect
from reserve.db.embedded import embedded_database_url
from reserve.db.venues import save_venue
from reserve.domain.access import Role
from reserve.services.keys import create_key
from reserve.services.venues import DEMO_VENUE, read_venue_file

SECRET = "bench-secret-bench-secret-bench-secret"
SLUG = "white-horse"
TARGET_MEDIAN_MS = 20.0
TARGET_KB = 50.0
FULL_TIME = "19:30"
PARTY = 4
# The parties the fill books, in turn at each start: mostly twos and fours.
FILL_PARTIES = (2, 4, 2, 3, 4, 2, 6, 2, 5, 4)
WARM_UP = 20  # untimed requests of each page first: caches, prepared statements
HOLD_MARGIN = timedelta(seconds=15)  # a hold closer than this to its end is replaced
REQUEST_METRIC = "reserve_request_seconds"


# --- pure helpers --------------------------------------------------------------------


def busy_day(today: date) -> date:
    """The Monday after ``today``: a day the White Horse opens, within its horizon."""
    return today + timedelta(days=7 - today.weekday())


STATIC_URL = re.compile(r"""(?:href|src)=["'](/static/[^"']+)["']""")


def static_urls(html: str) -> list[str]:
    """The ``/static/...`` files a page links, each once, in order."""
    return list(dict.fromkeys(STATIC_URL.findall(html)))


def route_totals(exposition: str, metric: str = REQUEST_METRIC) -> dict[str, tuple[float, int]]:
    """Seconds and requests so far per route template, from a ``/metrics`` text: the
    histogram's ``_sum`` and ``_count``, over every method and status."""
    totals: dict[str, tuple[float, int]] = {}
    for family in text_string_to_metric_families(exposition):
        if family.name != metric:
            continue
        for sample in family.samples:
            route = sample.labels.get("route", "")
            seconds, count = totals.get(route, (0.0, 0))
            if sample.name == f"{metric}_sum":
                totals[route] = (seconds + sample.value, count)
            elif sample.name == f"{metric}_count":
                totals[route] = (seconds, count + int(sample.value))
    return totals


def growth(
    before: Mapping[str, tuple[float, int]], after: Mapping[str, tuple[float, int]], route: str
) -> tuple[float, int]:
    """The seconds and requests a route gained between two readings."""
    seconds, count = after.get(route, (0.0, 0))
    was_seconds, was_count = before.get(route, (0.0, 0))
    return seconds - was_seconds, count - was_count


def median_p99(samples: Sequence[float]) -> tuple[float, float]:
    if not samples:
        return 0.0, 0.0
    if len(samples) == 1:
        return samples[0], samples[0]
    return median(samples), quantiles(samples, n=100, method="inclusive")[98]


# --- the server ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Server:
    base_url: str
    key: str
    data: Path


@contextmanager
def bench_server(workers: int = 1, settings: Mapping[str, str] | None = None) -> Iterator[Server]:
    """``reserve serve`` over a fresh embedded database holding the White Horse, and a
    staff key. Leaving the block (Ctrl+C too) stops the server, then PostgreSQL, then
    removes the directory."""
    data = Path(tempfile.mkdtemp(prefix="reserve-bench-pages-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        url = embedded_database_url(data)
        migrations.upgrade(url)
        with connect(url) as conn:
            save_venue(conn, read_venue_file(DEMO_VENUE))
        _, key = create_key(
            OperatorDatabase(url), SECRET, role=Role.STAFF, restaurant=SLUG, name="bench"
        )
        port = free_port()
        env = {
            **os.environ,
            "RESERVE_DATABASE_URL": url,
            "RESERVE_SECRET_KEY": SECRET,
            "RESERVE_LOG_LEVEL": "warning",
            "RESERVE_PUBLIC_RATE_LIMIT": "1000000",  # pages are limited per client address
            **(settings or {}),
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reserve",
                "serve",
                *("--port", str(port)),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(data / "server.log").open("wb"),
            # Its own session: a Ctrl+C reaches this process only, which stops it in order.
            start_new_session=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        wait_ready(base_url, server, data / "server.log")
        yield Server(base_url, key, data)
    finally:
        # A second Ctrl+C (uv run passes each on as well) must not cut the clean-up short;
        # it takes seconds at most.
        interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            if server is not None:
                stop_server(server)
            stop_postgres(data / "postgres")
            shutil.rmtree(data, ignore_errors=True)
        finally:
            signal.signal(signal.SIGINT, interrupt)


# --- the busy day --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fill:
    bookings: int
    covers: int
    free_for_party: int  # starts still free for PARTY on the day
    starts: int


def _book(client: httpx.Client, day: date, at: str, party: int, **headers: str) -> httpx.Response:
    return client.post(
        f"/v1/restaurants/{SLUG}/bookings",
        json={
            "party_size": party,
            "date": day.isoformat(),
            "time": at,
            "guest": {"name": "Bench Guest", "email": "bench@example.com"},
        },
        headers={"Idempotency-Key": str(uuid4()), **headers},
    )


def _starts(client: httpx.Client, day: date, party: int) -> list[dict[str, Any]]:
    answer = client.get(
        f"/v1/restaurants/{SLUG}/availability",
        params={"date": day.isoformat(), "party_size": party},
    )
    answer.raise_for_status()
    slots: list[dict[str, Any]] = answer.json()["slots"]
    return slots


def fill_day(server: Server, day: date, target: int) -> Fill:
    """Book about ``target`` parties over the day's starts, round after round, then book
    FULL_TIME out for PARTY."""
    staff = {"Authorization": f"Bearer {server.key}"}
    booked = covers = 0
    with httpx.Client(base_url=server.base_url, headers=staff, timeout=30) as client:
        offered = {
            party: {slot["time"] for slot in _starts(client, day, party)}
            for party in set(FILL_PARTIES)
        }
        starts = sorted(set().union(*offered.values()))
        turn = 0
        while booked < target:
            gained = 0
            for at in starts:
                party = FILL_PARTIES[turn % len(FILL_PARTIES)]
                turn += 1
                if at not in offered[party]:  # it would stay past closing time
                    continue
                answer = _book(client, day, at, party)
                if answer.status_code in (201, 202):
                    booked, covers, gained = booked + 1, covers + party, gained + 1
                elif answer.status_code != 409:
                    raise SystemExit(f"filling the day: {answer.status_code} {answer.text}")
                if booked >= target:
                    break
            if not gained:
                break
        while (answer := _book(client, day, FULL_TIME, PARTY)).status_code in (201, 202):
            booked, covers = booked + 1, covers + PARTY
        slots = _starts(client, day, PARTY)
    if any(slot["time"] == FULL_TIME and slot["available"] for slot in slots):
        raise SystemExit(f"{FULL_TIME} is still free for {PARTY} after filling the day")
    free = sum(slot["available"] for slot in slots)
    return Fill(booked, covers, free, len(slots))


# --- the pages -----------------------------------------------------------------------


@dataclass(slots=True)
class Page:
    name: str
    route: str  # the route template the server's metrics name it by
    path: str
    client_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Weight:
    html_bytes: int
    static: dict[str, int]  # each linked file's bytes, by path

    @property
    def total_bytes(self) -> int:
        return self.html_bytes + sum(self.static.values())


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    route: str
    path: str
    requests: int
    statuses: dict[int, int]
    client_median_ms: float
    client_p99_ms: float
    server_median_ms: float
    server_p99_ms: float
    route_mean_ms: float  # the run's _sum / _count growth for the route (pages may share it)
    html_bytes: int
    static_bytes: dict[str, int]
    total_bytes: int


class Holds:
    """A hold to show the details page of, replaced by a new one near its end."""

    expires_at: datetime | None

    def __init__(self, client: httpx.Client, day: date) -> None:
        self.client, self.day = client, day
        self.id, self.expires_at = "", None

    def current(self) -> str:
        if self.expires_at is None or self.expires_at - datetime.now(UTC) < HOLD_MARGIN:
            answer = self.client.post(
                f"/v1/restaurants/{SLUG}/holds",
                json={"party_size": 2, "date": self.day.isoformat(), "time": "19:00"},
            )
            if answer.status_code != 201:
                raise SystemExit(f"placing a hold: {answer.status_code} {answer.text}")
            hold = answer.json()
            self.id, self.expires_at = hold["id"], datetime.fromisoformat(hold["expires_at"])
        return f"/r/{SLUG}/hold/{self.id}"


def guest_booking(client: httpx.Client, day: date) -> str:
    """A guest's booking (no staff key), and the path of its confirmation page."""
    answer = _book(client, day, "19:00", 2)
    if answer.status_code != 201:
        raise SystemExit(f"booking as a guest: {answer.status_code} {answer.text}")
    booking = answer.json()
    return f"/b/{booking['id']}/{booking['manage_token']}?new=1"


def weigh(client: httpx.Client, path: str) -> Weight:
    html = client.get(path).text
    static = {url: len(client.get(url).content) for url in static_urls(html)}
    return Weight(len(html.encode()), static)


def measure(server: Server, day: date, requests: int) -> list[Result]:
    quiet = day + timedelta(days=1)  # a Tuesday: open, and not the busy day
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        holds = Holds(client, quiet)
        pages = [
            Page("booking", "/r/{slug}", f"/r/{SLUG}?party={PARTY}&date={day}"),
            Page("times", "/r/{slug}/times", f"/r/{SLUG}/times?party={PARTY}&date={day}"),
            Page(
                "alternatives",
                "/r/{slug}/times",
                f"/r/{SLUG}/times?party={PARTY}&date={day}&time={FULL_TIME}",
            ),
            Page("details", "/r/{slug}/hold/{hold_id}", holds.current()),
            Page("manage", "/b/{booking_id}/{token}", guest_booking(client, quiet)),
        ]
        weights = {page.name: weigh(client, page.path) for page in pages}
        for _ in range(WARM_UP):
            for page in pages:
                client.get(page.path)
        first = last = route_totals(client.get("/metrics").text)
        for _ in range(requests):
            for page in pages:
                if page.name == "details":
                    page.path = holds.current()
                began = time.perf_counter()
                answer = client.get(page.path)
                page.client_ms.append(1000 * (time.perf_counter() - began))
                page.statuses[answer.status_code] = page.statuses.get(answer.status_code, 0) + 1
                now = route_totals(client.get("/metrics").text)
                seconds, count = growth(last, now, page.route)
                if count == 1:  # the one request, as the app timed it
                    page.server_ms.append(1000 * seconds)
                last = now
    results = []
    for page in pages:
        seconds, count = growth(first, last, page.route)
        weight = weights[page.name]
        results.append(
            Result(
                page.name,
                page.route,
                page.path,
                len(page.client_ms),
                page.statuses,
                *median_p99(page.client_ms),
                *median_p99(page.server_ms),
                1000 * seconds / count if count else 0.0,
                weight.html_bytes,
                weight.static,
                weight.total_bytes,
            )
        )
    return results


# --- the report ----------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return " ✓" if ok else " ✗"


def report(results: Sequence[Result], requests: int) -> Table:
    table = Table(
        title=f"Guest pages: {requests} requests each, one keep-alive client, round robin"
    )
    for column in (
        "page",
        "status",
        "client p50 ms",
        "client p99 ms",
        "server p50 ms",
        "server p99 ms",
        "route mean ms",
        "HTML KB",
        "+ static KB",
        "weight KB",
    ):
        table.add_column(column, justify="left" if column == "page" else "right")
    for result in results:
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(result.statuses.items()))
        table.add_row(
            result.name,
            statuses,
            f"{result.client_median_ms:.1f}" + _mark(result.client_median_ms < TARGET_MEDIAN_MS),
            f"{result.client_p99_ms:.1f}",
            f"{result.server_median_ms:.1f}" + _mark(result.server_median_ms < TARGET_MEDIAN_MS),
            f"{result.server_p99_ms:.1f}",
            f"{result.route_mean_ms:.1f}",
            f"{result.html_bytes / 1000:.1f}",
            f"{sum(result.static_bytes.values()) / 1000:.1f}",
            f"{result.total_bytes / 1000:.1f}" + _mark(result.total_bytes / 1000 < TARGET_KB),
        )
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument("--fill", type=int, default=300, help="bookings made on the busy day")
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        help="the busy day (default: next Monday; it must be within the booking horizon)",
    )
    args = parser.parse_args(argv)
    # A kill (not only Ctrl+C) still stops the server and PostgreSQL on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    day = args.date or busy_day(date.today())
    began = time.perf_counter()
    with bench_server() as server:
        fill = fill_day(server, day, args.fill)
        console.print(
            f"{day:%A} {day}: {fill.bookings} bookings, {fill.covers} covers; "
            f"{fill.free_for_party} of {fill.starts} starts still free for {PARTY}, "
            f"{FULL_TIME} full"
        )
        results = measure(server, day, args.requests)
    load = os.getloadavg()
    console.print(report(results, args.requests))
    console.print(
        f"targets: median < {TARGET_MEDIAN_MS:g} ms, weight < {TARGET_KB:g} KB (HTML and the "
        "/static files it links, uncompressed; KB = 1000 bytes). The route mean is the "
        "histogram's over the run; times and alternatives share their route. Load average "
        f"at the end: {load[0]:.2f} on {os.cpu_count()} CPUs."
    )
    path = write_results(
        "pages",
        {
            "day": day,
            "requests": args.requests,
            "fill": asdict(fill),
            "target_median_ms": TARGET_MEDIAN_MS,
            "target_kb": TARGET_KB,
            "pages": [asdict(result) for result in results],
            **machine(began),
        },
    )
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
