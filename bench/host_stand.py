"""How long the host stand's day page takes the server on a busy day, and where the time goes.

It starts the server as ``bench.pages`` does (an embedded PostgreSQL in a temporary
directory, the White Horse, ``reserve serve`` with one worker) and a staff key, and signs
in at ``/host/sign-in`` as a host would: the form's CSRF cookie and token, then the key.

The busy day (``--date``, by default the next Monday) is filled through the public
booking API: a block first, then ``--fill`` (200) guests' bookings round the day's starts,
parties of 1 to 10, and two parties too large to book online (pending approval). Staff
then run the day up to 14:00 through the staff API (``POST /v1/bookings/{id}/status``):
the parties whose time is over have left (a few were no-shows), those at table are seated,
and a few later ones are cancelled. The API refuses to seat a party more than half an hour
before its time, so these calls go to the same app built in this process over the same
database, its clock set to the moment of each change. Last, a few guests hold tables (each
placed again before it would expire).

Then one client (httpx, keep-alive) asks for the day page ``/host/r/white-horse?date=``
``--requests`` times for the busy day and as many for the quiet day after it (nothing on
the book), alternately, after a warm-up, so that other work on the machine shows in both.
The server's time of each request is read from ``/metrics`` (the growth of
``reserve_request_seconds_sum`` for the page's route), as ``bench.pages`` reads it; the
client's is wall time on loopback. The CPU the server and PostgreSQL spent is read from
``/proc`` around each request.

Where the time goes is measured in this process, without HTTP: the page through the app
with its transactions and its template render timed, and the parts it is made of on
their own (``services.floor.bookings_of_day`` and ``timeline``, ``web.timeline.grid``).

Target: the busy day's page under 50 ms median on the server.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from statistics import fmean, median, quantiles
from typing import Any, TypeVar
from uuid import uuid4
from zoneinfo import ZoneInfo

import httpx
import jinja2
from fastapi.testclient import TestClient
from prometheus_client import generate_latest
from rich.table import Table

from bench.booking_http import CpuMeter
from bench.common import console, machine, write_results
from bench.pages import Server, bench_server, busy_day, growth, route_totals
from reserve.api.app import create_app
from reserve.config import Settings
from reserve.db.database import Connection, Database, Transactions
from reserve.db.embedded import embedded_database_url
from reserve.domain.booking import Booking
from reserve.domain.venue import Venue
from reserve.services import floor
from reserve.services.authorisation import Caller
from reserve.services.availability import booking_window
from reserve.services.context import Context
from reserve.services.floor import TableDay, bookings_of_day, timeline
from reserve.services.keys import authenticate
from reserve.services.venue_state import VenueStates
from reserve.web.timeline import grid

T = TypeVar("T")

SECRET = "bench-secret-bench-secret-bench-secret"  # bench.pages starts the server with it
SLUG = "white-horse"
ROUTE = "/host/r/{slug}"  # the day page's route template, as the metrics name it
TARGET_MEDIAN_MS = 50.0
WARM_UP = 20  # untimed requests of each day first
# The parties the fill books, in turn at each start: mostly twos and fours, a few large.
FILL_PARTIES = (2, 4, 2, 3, 2, 6, 4, 2, 5, 2, 8, 4, 1, 3, 2, 10)
PENDING_PARTIES = ((14, "13:00"), (16, "19:30"))  # above the online limit: for approval
BLOCK = {"tables": ["OG-05", "OG-06"], "start": "12:00", "end": "17:00", "reason": "repairs"}
HOLDS = 3  # guests holding tables (party of two) while the page is measured
HOLD_MARGIN = timedelta(seconds=20)  # a hold closer than this to its end is placed again
OPENS, CLOSES = "12:00", "22:00"  # the White Horse's weekdays
SERVICE_NOW = "14:00"  # how far the busy day has run when its page is measured
NO_SHOW_EVERY = 12  # of the parties whose time is over, every 12th did not come
CANCEL_EVERY = 20  # of the parties still to come, every 20th has cancelled
FIRST_NAMES = ("Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Ivy")
SURNAMES = ("Smith", "Patel", "Jones", "Williams", "Brown", "Taylor", "Davies", "Evans")
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
TABLE = re.compile(r'<table class="([^"]*)".*?</table>', re.DOTALL)
COUNTED = ("tr", "td", "form", "button")  # elements counted in each page


# --- pure helpers --------------------------------------------------------------------


def summary(samples: Sequence[float]) -> dict[str, float]:
    """Median, p95, p99 and mean of ``samples``."""
    if not samples:
        return {"median": 0.0, "p95": 0.0, "p99": 0.0, "mean": 0.0}
    if len(samples) == 1:
        return dict.fromkeys(("median", "p95", "p99", "mean"), samples[0])
    cuts = quantiles(samples, n=100, method="inclusive")
    return {"median": median(samples), "p95": cuts[94], "p99": cuts[98], "mean": fmean(samples)}


def weight(html: str) -> dict[str, Any]:
    """Bytes of a page in each of its tables (by class) and in the rest, and how many of
    some elements it has."""
    tables: dict[str, int] = {}
    rest = len(html.encode())
    for found in TABLE.finditer(html):
        size = len(found.group(0).encode())
        name = found.group(1) or "table"
        tables[name] = tables.get(name, 0) + size
        rest -= size
    counts = {tag: len(re.findall(rf"<{tag}[\s>]", html)) for tag in COUNTED}
    return {"tables_bytes": tables, "rest_bytes": rest, "elements": counts}


def guest_name(n: int) -> str:
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {SURNAMES[n * 7 % len(SURNAMES)]}"


def planned_status(
    booking: dict[str, Any], now: datetime, index: int
) -> list[tuple[str, datetime]]:
    """The changes staff have made to a confirmed booking by ``now``: each new status and
    the moment it was made."""
    start = datetime.fromisoformat(booking["start_at"])
    end = datetime.fromisoformat(booking["end_at"])
    if end <= now:
        if index % NO_SHOW_EVERY == NO_SHOW_EVERY - 1:
            return [("no_show", start + timedelta(minutes=20))]
        return [("seated", start), ("completed", end - timedelta(minutes=5))]
    if start <= now:
        return [("seated", start)]
    if index % CANCEL_EVERY == CANCEL_EVERY - 1:
        return [("cancelled", now)]
    return []


# --- signing in ----------------------------------------------------------------------


def sign_in(client: httpx.Client | TestClient, key: str) -> None:
    """Sign in as a host does: the form (its CSRF cookie and token), then the key."""
    form = client.get("/host/sign-in")
    found = CSRF.search(form.text)
    if form.status_code != 200 or found is None:
        raise SystemExit(f"the sign-in form: {form.status_code} {form.text[:200]}")
    answer = client.post(
        "/host/sign-in", data={"csrf_token": found.group(1), "key": key}, follow_redirects=False
    )
    if answer.status_code != 303 or "reserve_host" not in client.cookies:
        raise SystemExit(f"signing in: {answer.status_code} {answer.text[:200]}")


# --- the busy day --------------------------------------------------------------------


@dataclass(slots=True)
class Fill:
    day: date
    asked: int = 0
    booked: int = 0
    refused: int = 0  # no table free for that party at that time
    covers: int = 0
    pending: int = 0
    blocks: int = 0
    holds: int = 0
    holds_placed_again: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    table_time_taken_pct: float = 0.0  # of the tables' open time, as the timeline shows it


def _book(client: httpx.Client, day: date, at: str, party: int, n: int) -> httpx.Response:
    name = guest_name(n)
    return client.post(
        f"/v1/restaurants/{SLUG}/bookings",
        json={
            "party_size": party,
            "date": day.isoformat(),
            "time": at,
            "guest": {"name": name, "email": f"{name.replace(' ', '.').lower()}@example.com"},
        },
        headers={"Idempotency-Key": str(uuid4())},
    )


def _offered(client: httpx.Client, day: date, party: int) -> list[dict[str, Any]]:
    answer = client.get(
        f"/v1/restaurants/{SLUG}/availability",
        params={"date": day.isoformat(), "party_size": party},
    )
    answer.raise_for_status()
    slots: list[dict[str, Any]] = answer.json()["slots"]
    return slots


def fill_day(guests: httpx.Client, staff: httpx.Client, day: date, target: int) -> Fill:
    """A block, then ``target`` guests' bookings round the day's starts (fewer if the day
    fills first), and the parties that need approval."""
    fill = Fill(day)
    answer = staff.post(f"/v1/restaurants/{SLUG}/blocks", json={**BLOCK, "date": str(day)})
    if answer.status_code != 201:
        raise SystemExit(f"placing a block: {answer.status_code} {answer.text}")
    fill.blocks = 1
    offered = {
        party: {slot["time"] for slot in _offered(guests, day, party)}
        for party in set(FILL_PARTIES)
    }
    starts = sorted(set().union(*offered.values()))
    turn = 0
    while fill.booked < target:
        gained = 0
        for at in starts:
            party = FILL_PARTIES[turn % len(FILL_PARTIES)]
            turn += 1
            if at not in offered[party]:  # it would stay past closing time
                continue
            fill.asked += 1
            answer = _book(guests, day, at, party, fill.asked)
            if answer.status_code == 201:
                fill.booked, fill.covers, gained = fill.booked + 1, fill.covers + party, gained + 1
            elif answer.status_code == 409:
                fill.refused += 1
            else:
                raise SystemExit(f"filling the day: {answer.status_code} {answer.text}")
            if fill.booked >= target:
                break
        if not gained:
            break
    for party, at in PENDING_PARTIES:
        answer = _book(guests, day, at, party, fill.asked + party)
        if answer.status_code != 202:
            raise SystemExit(f"booking for approval: {answer.status_code} {answer.text}")
        fill.pending += 1
    return fill


class Clock:
    """The in-process app's clock: real time, or a moment set by hand."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at or datetime.now(UTC)


def run_service(app: TestClient, clock: Clock, key: str, fill: Fill) -> None:
    """Staff's changes up to SERVICE_NOW on the busy day, each at its moment, through the
    staff API of the app in this process."""
    staff = {"Authorization": f"Bearer {key}"}
    now = local(fill.day, SERVICE_NOW, venue_zone(app))
    answer = app.get(
        f"/v1/restaurants/{SLUG}/bookings", params={"date": str(fill.day)}, headers=staff
    )
    answer.raise_for_status()
    bookings = [b for b in answer.json()["bookings"] if b["status"] == "confirmed"]
    bookings.sort(key=lambda b: (b["start_at"], b["reference"]))
    try:
        for index, booking in enumerate(bookings):
            for status, moment in planned_status(booking, now, index):
                clock.at = moment
                answer = app.post(
                    f"/v1/bookings/{booking['id']}/status", json={"status": status}, headers=staff
                )
                if answer.status_code != 200:
                    raise SystemExit(f"{status} at {moment}: {answer.status_code} {answer.text}")
    finally:
        clock.at = None
    answer = app.get(
        f"/v1/restaurants/{SLUG}/bookings", params={"date": str(fill.day)}, headers=staff
    )
    for booking in answer.json()["bookings"]:
        fill.statuses[booking["status"]] = fill.statuses.get(booking["status"], 0) + 1


def venue_zone(client: httpx.Client | TestClient) -> ZoneInfo:
    answer = client.get(f"/v1/restaurants/{SLUG}")
    answer.raise_for_status()
    return ZoneInfo(answer.json()["timezone"])


def local(day: date, at: str, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.strptime(at, "%H:%M").time(), zone)


def table_time_taken(staff: httpx.Client, day: date) -> float:
    """The share of the tables' open time something occupies, in per cent."""
    answer = staff.get(f"/v1/restaurants/{SLUG}/timeline", params={"date": str(day)})
    answer.raise_for_status()
    tables = answer.json()["tables"]
    zone = venue_zone(staff)
    opens, closes = local(day, OPENS, zone), local(day, CLOSES, zone)
    taken = 0.0
    for table in tables:
        for use in table["allocations"]:
            start = max(opens, datetime.fromisoformat(use["start_at"]))
            end = min(closes, datetime.fromisoformat(use["end_at"]))
            taken += max(0.0, (end - start).total_seconds())
    return 100.0 * taken / (len(tables) * (closes - opens).total_seconds())


class Holds:
    """Guests holding tables on the busy day, each placed again shortly before it ends."""

    def __init__(self, client: httpx.Client, day: date) -> None:
        self.client, self.day = client, day
        self.held: dict[str, tuple[str, datetime]] = {}  # time -> (hold id, expires at)
        self.again = 0

    def place(self, starts: Sequence[str]) -> None:
        for at in starts:
            answer = self.client.post(
                f"/v1/restaurants/{SLUG}/holds",
                json={"party_size": 2, "date": str(self.day), "time": at},
            )
            if answer.status_code == 201:
                hold = answer.json()
                self.held[at] = (hold["id"], datetime.fromisoformat(hold["expires_at"]))
            elif answer.status_code != 409:
                raise SystemExit(f"placing a hold: {answer.status_code} {answer.text}")

    def keep(self) -> None:
        ending = [
            at
            for at, (_, expires) in self.held.items()
            if expires - datetime.now(UTC) < HOLD_MARGIN
        ]
        for at in ending:
            hold_id, _ = self.held.pop(at)
            self.client.delete(f"/v1/holds/{hold_id}")
        self.place(ending)
        self.again += len(ending)


def place_holds(client: httpx.Client, day: date) -> Holds:
    """HOLDS holds for two at starts still free, spread over the rest of the day."""
    free = [slot["time"] for slot in _offered(client, day, 2) if slot["available"]]
    later = [at for at in free if at >= SERVICE_NOW] or free
    step = max(1, len(later) // HOLDS)
    holds = Holds(client, day)
    holds.place(later[::step][:HOLDS])
    return holds


# --- the day page over HTTP ----------------------------------------------------------


@dataclass(slots=True)
class Page:
    name: str
    path: str
    client_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    html: str = ""  # the last answer's
    server_cpu_s: float | None = None  # None: not measured (no /proc)
    postgres_cpu_s: float | None = None

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def cpu_ms(self, seconds: float | None) -> float | None:
        return None if seconds is None or not self.requests else 1000 * seconds / self.requests


def server_pid() -> int | None:
    """The ``reserve serve`` process this one started."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if parent == me and b"serve" in command:
            return int(entry.name)
    return None


def cpu_meter(server: Server) -> CpuMeter | None:
    pid = server_pid() if CpuMeter.available() else None
    pidfile = server.data / "postgres" / "postmaster.pid"
    if pid is None or not pidfile.exists():
        return None
    return CpuMeter(pid, int(pidfile.read_text().split()[0]))


def measure(
    client: httpx.Client, pages: Sequence[Page], requests: int, holds: Holds, meter: CpuMeter | None
) -> None:
    """Each page in turn, ``requests`` times each after a warm-up."""
    for _ in range(WARM_UP):
        for page in pages:
            client.get(page.path)
    last = route_totals(client.get("/metrics").text)
    for _ in range(requests):
        for page in pages:
            holds.keep()
            before = meter.read() if meter else None
            began = time.perf_counter()
            answer = client.get(page.path)
            page.client_ms.append(1000 * (time.perf_counter() - began))
            if meter and before:
                after = meter.read()
                page.server_cpu_s = (page.server_cpu_s or 0.0) + after[0] - before[0]
                page.postgres_cpu_s = (page.postgres_cpu_s or 0.0) + after[1] - before[1]
            page.statuses[answer.status_code] = page.statuses.get(answer.status_code, 0) + 1
            page.html = answer.text
            now = route_totals(client.get("/metrics").text)
            seconds, count = growth(last, now, ROUTE)
            if count == 1:  # the one request, as the app timed it
                page.server_ms.append(1000 * seconds)
            last = now


# --- where the time goes, in this process --------------------------------------------


class Tally:
    """Time added up over calls: the wall clock's, and the CPU of the threads making them."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.calls = 0

    def reset(self) -> None:
        self.wall = self.cpu = 0.0
        self.calls = 0

    @contextmanager
    def timing(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.thread_time() - cpu
            self.calls += 1


class TimedTransactions:
    """The services' unit of work, each transaction timed."""

    def __init__(self, inner: Transactions) -> None:
        self.inner = inner
        self.tally = Tally()

    def run(self, work: Callable[[Connection], T], *, pipeline: bool = False) -> T:
        with self.tally.timing():
            done: T = self.inner.run(work, pipeline=pipeline)
        return done


@contextmanager
def timed_renders() -> Iterator[Tally]:
    """Every Jinja template render in this process, timed."""
    original = jinja2.Template.render
    tally = Tally()

    def render(self: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        with tally.timing():
            html: str = original(self, *args, **kwargs)
        return html

    jinja2.Template.render = render  # type: ignore[method-assign]
    try:
        yield tally
    finally:
        jinja2.Template.render = original  # type: ignore[method-assign]


class Collections:
    """Garbage collections in this process (any thread): the time of each, by generation."""

    def __init__(self) -> None:
        self.seconds = 0.0  # since the last reset
        self.by_generation: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        took = time.perf_counter() - self._began
        self.seconds += took
        self.by_generation[info["generation"]].append(took)


@contextmanager
def timed_collections() -> Iterator[Collections]:
    collections = Collections()
    gc.callbacks.append(collections)
    try:
        yield collections
    finally:
        gc.callbacks.remove(collections)


@dataclass(slots=True)
class Parts:
    """Milliseconds of each part of a day's page, a sample a request: wall clock and, where
    taken, the CPU of the thread doing it (the database's own work is not in that)."""

    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    transactions: list[int] = field(default_factory=list)

    def add(self, part: str, wall: float, cpu: float | None = None) -> None:
        self.wall.setdefault(part, []).append(1000 * wall)
        if cpu is not None:
            self.cpu.setdefault(part, []).append(1000 * cpu)


PART_NAMES = {
    "page": "the page, in the app",
    "database": "  in its transactions",
    "render": "  rendering the template",
    "rest": "  the rest: framework, session, grid, sorting",
    "collecting": "  of all that, collecting garbage",
    "bookings_of_day": "services.floor.bookings_of_day alone",
    "timeline": "services.floor.timeline alone",
    "floor_of_day": "services.floor.floor_of_day alone (both reads)",
    "grid": "web.timeline.grid alone",
    "empty_transaction": "a transaction with no statement",
}


def grid_call(
    venue: Venue, day: date, tables: list[TableDay], bookings: list[Booking], now: datetime
) -> Callable[[], object] | None:
    """``web.timeline.grid`` given what it asks for, by the names of its parameters (it
    gains some as the page grows); None when it asks for something else."""
    known: dict[str, Any] = {
        "venue": venue,
        "day": day,
        "tables": tables,
        "bookings": bookings,
        "now": now,
    }
    given: dict[str, Any] = {}
    for name, parameter in inspect.signature(grid).parameters.items():
        if name in known:
            given[name] = known[name]
        elif parameter.default is inspect.Parameter.empty:
            return None
    return partial(grid, **given)


def _nothing(conn: Connection) -> None:
    return None


def _timed(parts: Parts, name: str, work: Callable[[], T]) -> T:
    tally = Tally()
    with tally.timing():
        done = work()
    parts.add(name, tally.wall, tally.cpu)
    return done


@dataclass(frozen=True, slots=True)
class InProcess:
    parts: list[Parts]
    collections: dict[int, list[float]]  # seconds of each collection during the pages


def in_process(
    app: TestClient,
    ctx: Context,
    timed: TimedTransactions,
    key: str,
    days: Sequence[date],
    n: int,
    between: Callable[[], None],
) -> InProcess:
    """The page through the app in this process (no socket), its transactions and render
    timed; then its parts on their own. Days alternate, as over HTTP; ``between`` runs
    before each, untimed."""
    sign_in(app, key)
    principal = authenticate(timed.inner, SECRET, key)
    assert principal is not None
    caller = Caller(principal=principal)
    venue = booking_window(ctx, SLUG).venue
    parts = [Parts() for _ in days]
    paths = [f"/host/r/{SLUG}?date={day}" for day in days]
    database = timed.tally
    with timed_renders() as renders, timed_collections() as collections:
        for _ in range(WARM_UP):
            for path in paths:
                app.get(path)
        for generation in collections.by_generation.values():
            generation.clear()
        last = route_totals(generate_latest().decode())
        for _ in range(n):
            for path, part in zip(paths, parts, strict=True):
                between()
                database.reset()
                renders.reset()
                collections.seconds = 0.0
                cpu = time.process_time()
                if app.get(path).status_code != 200:
                    raise SystemExit(f"{path}: not 200 in process")
                cpu = time.process_time() - cpu
                now = route_totals(generate_latest().decode())
                seconds, count = growth(last, now, ROUTE)
                last = now
                if count != 1:
                    continue
                part.add("page", seconds, cpu)
                part.add("database", database.wall, database.cpu)
                part.transactions.append(database.calls)
                part.add("render", renders.wall, renders.cpu)
                part.add("collecting", collections.seconds)
                part.add("rest", seconds - database.wall - renders.wall)
    zone = ZoneInfo(venue.timezone)
    one_read = getattr(floor, "floor_of_day", None)  # both reads in one transaction
    for _ in range(n):
        for day, part in zip(days, parts, strict=True):
            between()
            booked = _timed(
                part, "bookings_of_day", partial(bookings_of_day, ctx, SLUG, day, None, caller)
            )
            tables = _timed(part, "timeline", partial(timeline, ctx, SLUG, day, caller))
            if one_read is not None:
                _timed(part, "floor_of_day", partial(one_read, ctx, SLUG, day, caller))
            drawn = grid_call(venue, day, tables, booked, datetime.now(zone))
            if drawn is not None:
                _timed(part, "grid", drawn)
            _timed(part, "empty_transaction", partial(timed.inner.run, _nothing))
    return InProcess(parts, collections.by_generation)


@contextmanager
def app_in_process(url: str) -> Iterator[tuple[TestClient, Context, TimedTransactions, Clock]]:
    """The server's app in this process over the same database, on a clock of its own."""
    settings = Settings(database_url=url, secret_key=SECRET, public_rate_limit=1_000_000)
    database = Database(url, min_size=1, max_size=4)
    timed = TimedTransactions(database)
    clock = Clock()
    ctx = Context(timed, VenueStates(), SECRET, clock=clock)
    app = create_app(settings, database, ctx, background=False)
    with TestClient(app) as client:
        yield client, ctx, timed, clock


# --- the report ----------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return " ✓" if ok else " ✗"


def describe(fill: Fill, quiet: date) -> str:
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(fill.statuses.items()))
    return (
        f"Busy day {fill.day:%A} {fill.day} (open {OPENS}-{CLOSES}, run up to {SERVICE_NOW}): "
        f"{fill.booked} bookings placed of {fill.asked} asked for ({fill.refused} refused, no "
        f"table free), {fill.covers} covers, and {fill.pending} for approval; by status: "
        f"{statuses}. {fill.blocks} block, {fill.holds} holds. The tables' open time taken: "
        f"{fill.table_time_taken_pct:.0f}%. Quiet day: {quiet:%A} {quiet}, nothing booked."
    )


def page_report(pages: Sequence[Page], requests: int) -> Table:
    table = Table(title=f"The day page: {requests} requests each, one keep-alive client, in turn")
    for column in (
        "day",
        "status",
        "HTML KB",
        "server p50 ms",
        "p95",
        "p99",
        "client p50 ms",
        "p95",
        "p99",
        "CPU ms/req server",
        "PostgreSQL",
    ):
        table.add_column(column, justify="left" if column == "day" else "right")
    for page in pages:
        server, client = summary(page.server_ms), summary(page.client_ms)
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(page.statuses.items()))
        server_cpu = page.cpu_ms(page.server_cpu_s)
        postgres_cpu = page.cpu_ms(page.postgres_cpu_s)
        table.add_row(
            page.name,
            statuses,
            f"{len(page.html.encode()) / 1000:.1f}",
            f"{server['median']:.1f}" + _mark(server["median"] < TARGET_MEDIAN_MS),
            f"{server['p95']:.1f}",
            f"{server['p99']:.1f}",
            f"{client['median']:.1f}",
            f"{client['p95']:.1f}",
            f"{client['p99']:.1f}",
            "-" if server_cpu is None else f"{server_cpu:.1f}",
            "-" if postgres_cpu is None else f"{postgres_cpu:.1f}",
        )
    return table


def parts_report(names: Sequence[str], measured: InProcess, n: int) -> Table:
    table = Table(
        title=f"Where the time goes, in this process without HTTP: ms, {n} requests of each day"
    )
    table.add_column("part")
    for name in names:
        table.add_column(f"{name} p50", justify="right")
        table.add_column("mean", justify="right")
        table.add_column("CPU p50", justify="right")
    for key, label in PART_NAMES.items():
        row = [label]
        for part in measured.parts:
            wall, cpu = part.wall.get(key, []), part.cpu.get(key, [])
            row += [f"{median(wall):.2f}", f"{fmean(wall):.2f}"] if wall else ["-", "-"]
            row.append(f"{median(cpu):.2f}" if cpu else "-")
        table.add_row(*row)
    row = ["transactions a page"]
    for part in measured.parts:
        row += [f"{median(part.transactions):.0f}" if part.transactions else "-", "", ""]
    table.add_row(*row)
    return table


def collections_line(collections: dict[int, list[float]]) -> str:
    said = []
    for generation, took in collections.items():
        if took:
            said.append(
                f"generation {generation}: {len(took)}, median {1000 * median(took):.1f} ms, "
                f"longest {1000 * max(took):.1f} ms"
            )
    return "Garbage collections during the in-process pages: " + ("; ".join(said) or "none")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.host_stand", description=__doc__)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per day")
    parser.add_argument("--fill", type=int, default=200, help="guests' bookings on the busy day")
    parser.add_argument(
        "--in-process", type=int, default=100, help="requests of each day timed in this process"
    )
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        help="the busy day (default: next Monday; a weekday within the booking horizon)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    day = args.date or busy_day(date.today())
    quiet = day + timedelta(days=1)
    began = time.perf_counter()
    with bench_server() as server:
        url = embedded_database_url(server.data)  # the one bench_server started
        staff_headers = {"Authorization": f"Bearer {server.key}"}
        with (
            httpx.Client(base_url=server.base_url, timeout=30) as guests,
            httpx.Client(base_url=server.base_url, headers=staff_headers, timeout=30) as staff,
            httpx.Client(base_url=server.base_url, timeout=30) as host,
            app_in_process(url) as (app, ctx, timed, clock),
        ):
            fill = fill_day(guests, staff, day, args.fill)
            run_service(app, clock, server.key, fill)
            holds = place_holds(guests, day)
            fill.holds = len(holds.held)
            fill.table_time_taken_pct = table_time_taken(staff, day)
            console.print(describe(fill, quiet))
            sign_in(host, server.key)
            pages = [
                Page("busy", f"/host/r/{SLUG}?date={day}"),
                Page("quiet", f"/host/r/{SLUG}?date={quiet}"),
            ]
            measure(host, pages, args.requests, holds, cpu_meter(server))
            measured = in_process(
                app, ctx, timed, server.key, [day, quiet], args.in_process, holds.keep
            )
            fill.holds_placed_again = holds.again
    load = os.getloadavg()
    console.print(page_report(pages, args.requests))
    for page in pages:
        shape = weight(page.html)
        tables = ", ".join(
            f"{name} table {size / 1000:.1f}" for name, size in shape["tables_bytes"].items()
        )
        elements = ", ".join(f"{n} {tag}" for tag, n in shape["elements"].items())
        console.print(
            f"{page.name} page, KB: {tables}, the rest {shape['rest_bytes'] / 1000:.1f}; "
            f"elements: {elements}"
        )
    console.print(parts_report([page.name for page in pages], measured, args.in_process))
    console.print(collections_line(measured.collections))
    console.print(
        f"target: the busy day's page under {TARGET_MEDIAN_MS:g} ms median on the server. "
        "Over HTTP, CPU per request is read from /proc around each request (in clock ticks, "
        "so only its mean over the run means anything). In this process, CPU is the thread's "
        "own (the database's work is not in it), and the page's is the whole process's, the "
        "test client's included. Load average at the end: "
        f"{load[0]:.2f} on {os.cpu_count()} CPUs."
    )
    path = write_results(
        "host_stand",
        {
            "day": day,
            "quiet_day": quiet,
            "service_run_up_to": SERVICE_NOW,
            "requests": args.requests,
            "target_median_ms": TARGET_MEDIAN_MS,
            "fill": asdict(fill),
            "pages": [
                {
                    "name": page.name,
                    "path": page.path,
                    "statuses": page.statuses,
                    "html_bytes": len(page.html.encode()),
                    "weight": weight(page.html),
                    "server_ms": summary(page.server_ms),
                    "client_ms": summary(page.client_ms),
                    "server_cpu_ms_per_request": page.cpu_ms(page.server_cpu_s),
                    "postgres_cpu_ms_per_request": page.cpu_ms(page.postgres_cpu_s),
                }
                for page in pages
            ],
            "in_process": {
                "requests": args.in_process,
                "days": {
                    page.name: {
                        "wall_ms": {key: summary(ms) for key, ms in part.wall.items()},
                        "cpu_ms": {key: summary(ms) for key, ms in part.cpu.items()},
                        "transactions": median(part.transactions) if part.transactions else 0,
                    }
                    for page, part in zip(pages, measured.parts, strict=True)
                },
                "collections_ms": {
                    str(generation): [1000 * seconds for seconds in took]
                    for generation, took in measured.collections.items()
                },
            },
            **machine(began),
        },
    )
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
