"""What the server's own observation costs as the book grows: the integrity pass it runs on
a schedule, and the database's figures it reads at every ``/metrics`` scrape.

It starts its own embedded PostgreSQL in a temporary directory, migrates it, and saves
``--venues`` (4) restaurants: the White Horse and copies of it under other slugs, since the
report reads every restaurant. The book is filled the ordinary way, through the booking
use cases in this process (``services.booking.book``, ``services.changes``), with the use
cases' clock set to the moment of each step, in ``--threads`` (2) threads, each on its own
restaurant and day:

- the open days ahead (the next five), booked less the further they are: guests on the
  web, every fifth party by staff on the phone, and a few cancelled with the guest's
  manage token. These are the live bookings, the same at every size;
- then past days, back from yesterday, ``--per-day`` (60) bookings a restaurant each,
  made hours to four weeks ahead, then run: most parties seated at their time and
  completed near their end (which ends their tables' windows), some no-shows, some
  cancelled before the day, until the book holds the next of ``--sizes`` bookings.

At each size (after ``VACUUM ANALYZE``, as autovacuum would leave the tables):

- **the pass**: ``services.observation.run_integrity_pass`` as the server runs it (as the
  schema's owner, every statement bounded by ``INTEGRITY_STATEMENT_TIMEOUT_MS``), once to
  warm up, then ``--runs`` (5) times: wall time, this process's CPU, and PostgreSQL's (every
  process of the server, read from ``/proc`` in clock ticks, so a mean over the runs);
- **its checks**: each check of ``services.integrity`` run on its own, as the report runs it
  (its ``_RUNS``, on one unit of work as the owner), ``--runs`` times: wall, this thread's
  CPU, and the backend's (``/proc/<pid>``, ticks); then every statement a check sent,
  again under ``EXPLAIN (ANALYZE, FORMAT JSON)``: its execution time and the plan nodes
  that take it;
- **the overlaps check** (the check that grows fastest): ``db.integrity.overlapping_allocations``
  on its own, ``--runs`` times;
- **the scrape's figures**: ``db.observation.figures`` on the application's login as the
  server's collector calls it (a new connection each time), ``--scrapes`` (40) times, and its
  parts: the connection alone, ``reserve_observe()`` alone on an open connection.

After the largest size, the stored booking results are padded (copies of real ones) to
each of ``--results`` (99,000 and 200,000) rows and analysed, and the figures measured
again: counted exactly below 100,000 rows, the planner's estimate above. Last,
``--more-restaurants`` (60) restaurants with a few bookings each are added and everything
measured again: what restaurants add.

Where the overlaps check would reach the statement timeout is extrapolated from its time at
``--sizes``: fitted against the allocations as n log n (its sort) and as linear growth, by
the closer fit. At the smallest size, damage is planted in a transaction that is rolled back,
and the check must find exactly the pairs of allocations that overlap.

The share of one CPU is the pass's CPU (PostgreSQL's and this process's) over the
server's default ``RESERVE_INTEGRITY_SECONDS``, and the scrape's over the
``scrape_interval`` of ``ops/prometheus.yml``.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from statistics import median
from typing import Any, cast
from uuid import uuid4
from zoneinfo import ZoneInfo

import psycopg
from psycopg.conninfo import make_conninfo
from rich.table import Table

from bench.booking_http import CLOCK_TICKS, CpuMeter
from bench.common import console, machine, write_results
from bench.server import scratch_database
from reserve.config import Settings
from reserve.db import integrity as store
from reserve.db.database import (
    IDLE_IN_TRANSACTION_TIMEOUT_MS,
    STATEMENT_TIMEOUT_MS,
    Connection,
    Database,
    OperatorDatabase,
    connect,
)
from reserve.db.embedded import postmaster_pid
from reserve.db.observation import CONNECT_TIMEOUT_SECONDS, figures
from reserve.db.observation import STATEMENT_TIMEOUT_MS as FIGURES_TIMEOUT_MS
from reserve.db.urls import app_login
from reserve.db.venues import save_venue
from reserve.domain.access import Role
from reserve.domain.booking import Booking, Guest, Source, Status
from reserve.domain.errors import NoAvailability
from reserve.domain.timing import offered_times
from reserve.domain.venue import Venue
from reserve.services import integrity
from reserve.services.authorisation import Caller
from reserve.services.booking import BookingRequest, book
from reserve.services.changes import cancel, set_status
from reserve.services.context import Context
from reserve.services.keys import authenticate, create_key
from reserve.services.observation import (
    INTEGRITY_STATEMENT_TIMEOUT_MS,
    IntegrityTurn,
    run_integrity_pass,
)
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

SECRET = "bench-secret-bench-secret-bench-secret"
PROMETHEUS = Path(__file__).resolve().parent.parent / "ops" / "prometheus.yml"
INTEGRITY_SECONDS = float(Settings.model_fields["integrity_seconds"].default)
HOLD_GRACE_SECONDS = float(Settings.model_fields["prune_seconds"].default)  # as serve passes it
EXACT_UP_TO = 100_000  # reserve_observe() counts the results up to this many rows
PARTIES = (2, 2, 2, 3, 4, 2, 4, 2, 5, 2, 6, 4, 2, 3, 8, 2)  # mostly twos and fours
AHEAD_DAYS = 5  # open days ahead with bookings on them
LEAD_DAYS = (0, 1, 2, 3, 5, 7, 7, 10, 14, 21, 28)  # how long before their day guests booked
PHONE_EVERY = 5  # every fifth party books through staff, on the phone
CANCELLED_SHARE = 0.06  # of the parties booked, cancelled before the day
NO_SHOW_SHARE = 0.04  # of the rest, did not come
EXTRA_BOOKINGS = 5  # each of the --more-restaurants has this many bookings ahead
FILL_TIMEOUT_MS = 60_000
OPEN_DAYS_A_YEAR = 5 * 52  # the White Horse opens Monday to Friday
GUEST = Caller()
FIRST_NAMES = ("Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Ivy")
SURNAMES = ("Smith", "Patel", "Jones", "Williams", "Brown", "Taylor", "Davies", "Evans")

# Copies of real stored results under new keys, numbered from ``first`` to ``last``.
PAD_RESULTS = """
WITH source AS (
    SELECT r, row_number() OVER (ORDER BY r.created_at, r.idempotency_key) - 1 AS i
      FROM booking_confirmation_results AS r
     WHERE r.idempotency_key NOT LIKE 'padding:%%'
)
INSERT INTO booking_confirmation_results
SELECT p.*
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
  JOIN source AS s ON s.i = g %% %(sources)s
 CROSS JOIN LATERAL jsonb_populate_record(
        NULL::booking_confirmation_results,
        to_jsonb(s.r) || jsonb_build_object('idempotency_key', 'padding:' || g)) AS p
"""


def scrape_seconds() -> float:
    """Prometheus's scrape interval, as ``ops/prometheus.yml`` sets it."""
    found = re.search(r"scrape_interval:\s*(\d+)s", PROMETHEUS.read_text(encoding="utf-8"))
    return float(found.group(1)) if found else 15.0


# --- the database --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bench:
    url: str  # the schema's owner: the embedded server's superuser
    data: Path
    venues: list[Venue]


def copies(slugs: Sequence[str]) -> list[Venue]:
    """The White Horse under each of ``slugs`` (its own slug keeps it as it is)."""
    first = read_venue_file(DEMO_VENUE)
    return [
        first if slug == first.slug else replace(first, slug=slug, name=f"{first.name} ({slug})")
        for slug in slugs
    ]


def save_venues(url: str, venues: Sequence[Venue]) -> None:
    with connect(url) as conn:
        for venue in venues:
            save_venue(conn, venue)


@contextmanager
def bench_database(venues: int) -> Iterator[Bench]:
    """A fresh embedded PostgreSQL, migrated, with the restaurants saved. Leaving the block
    stops it and removes its directory."""
    with scratch_database("reserve-bench-observation-") as (url, data):
        chosen = copies(["white-horse"] + [f"white-horse-{i}" for i in range(2, venues + 1)])
        save_venues(url, chosen)
        yield Bench(url, data, chosen)


def vacuum(url: str) -> None:
    with connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def book_shape(url: str) -> dict[str, Any]:
    """What the book holds: bookings by status, allocations, history and results."""
    with connect(url) as conn:
        statuses = {
            row["status"]: row["n"]
            for row in conn.execute("SELECT status, count(*) AS n FROM bookings GROUP BY status")
        }
        row = conn.execute(
            "SELECT (SELECT count(*) FROM restaurants) AS restaurants,"
            " (SELECT count(*) FROM allocations) AS allocations,"
            " (SELECT count(*) FROM booking_status_history) AS history,"
            " (SELECT count(*) FROM booking_confirmation_results) AS results,"
            " (SELECT count(DISTINCT (restaurant_id, service_date)) FROM bookings) AS days,"
            " (SELECT count(DISTINCT service_date) FROM bookings"
            "   WHERE service_date < current_date) AS history_days,"
            " (SELECT min(service_date) FROM bookings) AS first_day,"
            " (SELECT max(service_date) FROM bookings) AS last_day,"
            " pg_total_relation_size('bookings') + pg_total_relation_size('allocations')"
            " + pg_total_relation_size('booking_status_history') AS bytes"
        ).fetchone()
    assert row is not None
    return {
        "bookings": sum(statuses.values()),
        "statuses": statuses,
        "live": statuses.get("confirmed", 0) + statuses.get("seated", 0),
        **row,
    }


# --- filling the book ----------------------------------------------------------------


class Clocks:
    """The use cases' clock: real time, or the moment the calling thread has set."""

    def __init__(self) -> None:
        self._mine = threading.local()

    def __call__(self) -> datetime:
        at: datetime | None = getattr(self._mine, "at", None)
        return at or datetime.now(UTC)

    def set(self, at: datetime | None) -> None:
        self._mine.at = at


@dataclass(frozen=True, slots=True)
class Filler:
    ctx: Context
    clocks: Clocks
    staff: Caller  # an admin key: staff of every restaurant


@dataclass(frozen=True, slots=True)
class Task:
    venue: Venue
    day: date
    wanted: int
    past: bool


@dataclass(slots=True)
class Tally:
    asked: int = 0
    booked: int = 0
    refused: int = 0  # no table free
    statuses: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.asked += other.asked
        self.booked += other.booked
        self.refused += other.refused
        self.statuses.update(other.statuses)


def is_open(venue: Venue, day: date) -> bool:
    return bool(offered_times(venue, day, 2))


def plan(venues: Sequence[Venue], per_day: int, today: date) -> Iterator[Task]:
    """The days ahead, each booked less the further it is, then past days back from
    yesterday, each at ``per_day`` bookings a restaurant."""
    day, ahead = today, 0
    while ahead < AHEAD_DAYS:
        day += timedelta(days=1)
        if is_open(venues[0], day):
            ahead += 1
            wanted = round(per_day * (1 - ahead / (AHEAD_DAYS + 1)))
            yield from (Task(venue, day, wanted, past=False) for venue in venues)
    day = today
    while True:
        day -= timedelta(days=1)
        if is_open(venues[0], day):
            yield from (Task(venue, day, per_day, past=True) for venue in venues)


def guest(n: int) -> Guest:
    name = f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {SURNAMES[n * 7 % len(SURNAMES)]}"
    return Guest(name, f"{name.replace(' ', '.').lower()}{n}@example.com")


def book_day(filler: Filler, task: Task, wanted: int, seed: int) -> Tally:
    """Book ``wanted`` parties on the task's day; for a past day, then run the day."""
    rng = random.Random(f"{seed}:{task.venue.slug}:{task.day}")
    offers = {party: offered_times(task.venue, task.day, party) for party in set(PARTIES)}
    tally = Tally()
    made: list[tuple[Booking, str | None]] = []
    for n in range(wanted):
        party = PARTIES[rng.randrange(len(PARTIES))]
        if not offers[party]:
            continue
        offer = rng.choice(offers[party])
        phone = n % PHONE_EVERY == PHONE_EVERY - 1
        request = BookingRequest(
            party, task.day, offer.local_time, guest(n), source=Source.PHONE if phone else None
        )
        ahead = timedelta(days=rng.choice(LEAD_DAYS), hours=rng.uniform(1, 12))
        filler.clocks.set(offer.start_at - ahead if task.past else None)
        tally.asked += 1
        try:
            booked = book(
                filler.ctx,
                task.venue.slug,
                request,
                str(uuid4()),
                filler.staff if phone else GUEST,
            )
        except NoAvailability:
            tally.refused += 1
            continue
        tally.booked += 1
        made.append((booked.booking, booked.manage_token))
    try:
        for booking, token in made:
            tally.statuses[run_booking(filler, booking, token, rng, task.past).value] += 1
    finally:
        filler.clocks.set(None)
    return tally


def run_booking(
    filler: Filler, booking: Booking, token: str | None, rng: random.Random, past: bool
) -> Status:
    """What became of a booking: cancelled ahead, or (on a past day) a no-show, or seated
    at its time and completed near its end."""
    if booking.status is not Status.CONFIRMED:
        return booking.status
    ctx, clocks, staff = filler.ctx, filler.clocks, filler.staff
    roll = rng.random()
    if roll < CANCELLED_SHARE:
        if past:
            clocks.set(booking.created_at + (booking.start_at - booking.created_at) * rng.random())
        # A guest cancels with the booking's manage token; staff cancel what they booked.
        caller = staff if token is None else Caller(manage_token=token)
        return cancel(ctx, booking.id, caller).status
    if not past:
        return booking.status
    if roll < CANCELLED_SHARE + NO_SHOW_SHARE:
        clocks.set(booking.start_at + timedelta(minutes=30))
        return set_status(ctx, booking.id, Status.NO_SHOW, staff).status
    clocks.set(booking.start_at - timedelta(minutes=rng.uniform(0, 10)))
    set_status(ctx, booking.id, Status.SEATED, staff)
    clocks.set(booking.end_at - timedelta(minutes=rng.uniform(0, 20)))
    return set_status(ctx, booking.id, Status.COMPLETED, staff).status


def fill_to(
    filler: Filler,
    tasks: Iterator[Task],
    target: int,
    tally: Tally,
    pool: ThreadPoolExecutor,
    threads: int,
    seed: int,
) -> None:
    """Book days from ``tasks``, ``threads`` at a time, until ``target`` bookings are made."""
    while tally.booked < target:
        batch = list(islice(tasks, threads))
        share = max(1, math.ceil((target - tally.booked) / len(batch)))
        for done in [
            pool.submit(book_day, filler, task, min(task.wanted, share), seed) for task in batch
        ]:
            tally.add(done.result())


@contextmanager
def filler_for(url: str) -> Iterator[Filler]:
    # Longer bounds than the server's 5 s: on a shared machine a commit can wait that long,
    # and the fill is not what is measured.
    database = Database(url, min_size=2, max_size=4, statement_timeout_ms=FILL_TIMEOUT_MS)
    database.open()
    try:
        clocks = Clocks()
        ctx = Context(database, VenueStates(), SECRET, clock=clocks)
        _, key = create_key(
            OperatorDatabase(url), SECRET, role=Role.ADMIN, restaurant=None, name="bench"
        )
        principal = authenticate(database, SECRET, key)
        assert principal is not None
        yield Filler(ctx, clocks, Caller(principal=principal))
    finally:
        database.close()


# --- the integrity pass --------------------------------------------------------------


def backend_seconds(pid: int) -> float:
    """CPU seconds a backend has used (user and system), in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def postgres_seconds(meter: CpuMeter) -> float:
    """Every PostgreSQL process's CPU so far; those that exited count once reaped."""
    time.sleep(0.1)  # a backend that has just ended is reaped by then
    return meter.read()[1]


@dataclass(slots=True)
class Samples:
    """Milliseconds, a sample a run: wall, this process's (or thread's) CPU, PostgreSQL's."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    postgres: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        return {
            "wall_ms": median(self.wall),
            "wall_min_ms": min(self.wall),
            "wall_max_ms": max(self.wall),
            "cpu_ms": median(self.cpu),
            "postgres_cpu_ms": sum(self.postgres) / len(self.postgres),  # ticks: the mean
        }


def integrity_pass(url: str, meter: CpuMeter, runs: int) -> dict[str, float]:
    """``run_integrity_pass`` as the server runs it, once to warm up, then ``runs`` times."""
    turn = IntegrityTurn(url)
    samples = Samples()
    try:
        run_integrity_pass(url, turn, HOLD_GRACE_SECONDS)
        for _ in range(runs):
            postgres = postgres_seconds(meter)
            cpu, began = time.process_time(), time.perf_counter()
            if not run_integrity_pass(url, turn, HOLD_GRACE_SECONDS):
                raise SystemExit("the integrity pass did not run: another holds its turn")
            samples.wall.append(1000 * (time.perf_counter() - began))
            samples.cpu.append(1000 * (time.process_time() - cpu))
            samples.postgres.append(1000 * (postgres_seconds(meter) - postgres))
    finally:
        turn.close()
    return samples.summary()


class Recorder:
    """A connection that remembers each statement sent through it, by the check sending it."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.check = ""
        self.sent: list[tuple[str, str, Any]] = []

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        self.sent.append((self.check, query, params))
        return self._conn.execute(query, params, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def check_times(url: str, runs: int) -> dict[str, dict[str, Any]]:
    """Each check as the report runs it, in one unit of work as the owner: ``runs`` times
    each, then each statement it sent under EXPLAIN ANALYZE."""
    timed = {name: Samples() for name in integrity._RUNS}
    statements: list[tuple[str, str, Any]] = []
    cutoff = datetime.now(UTC) - timedelta(seconds=HOLD_GRACE_SECONDS)

    def work(conn: Connection) -> None:
        found = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()
        assert found is not None
        pid = found["pid"]
        restaurants = store.restaurants(conn, None)
        for run in range(runs):
            recorder = Recorder(conn)
            context = integrity._Context(cast(Connection, recorder), restaurants, cutoff)
            for name, check in integrity._RUNS.items():
                recorder.check = name
                backend, cpu = backend_seconds(pid), time.thread_time()
                began = time.perf_counter()
                list(check(context))
                timed[name].wall.append(1000 * (time.perf_counter() - began))
                timed[name].cpu.append(1000 * (time.thread_time() - cpu))
                timed[name].postgres.append(1000 * (backend_seconds(pid) - backend))
            if run == 0:
                statements.extend(recorder.sent)
        for name, query, params in statements:
            if not re.match(r"\s*(SELECT|WITH)\b", str(query), re.IGNORECASE):
                continue
            row = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {query}", params).fetchone()
            assert row is not None
            explained[name].append(next(iter(row.values()))[0])

    explained: dict[str, list[dict[str, Any]]] = {name: [] for name in integrity._RUNS}
    OperatorDatabase(url).run(work)
    return {
        name: {
            **timed[name].summary(),
            "statements": len(explained[name]),
            "explained_ms": sum(plan["Execution Time"] for plan in explained[name]),
            "slowest_statement_ms": max(
                (plan["Execution Time"] for plan in explained[name]), default=0.0
            ),
            "hot_nodes": hot_nodes(explained[name]),
        }
        for name in integrity._RUNS
    }


def hot_nodes(plans: Sequence[dict[str, Any]], top: int = 3) -> list[dict[str, Any]]:
    """The plan nodes that take the most time of their own, over ``plans``."""
    nodes: list[dict[str, Any]] = []

    def walk(node: dict[str, Any]) -> None:
        loops = node.get("Actual Loops", 1)
        children = node.get("Plans", [])
        own = node.get("Actual Total Time", 0.0) * loops - sum(
            child.get("Actual Total Time", 0.0) * child.get("Actual Loops", 1) for child in children
        )
        what = node["Node Type"]
        if "Relation Name" in node:
            what += f" on {node['Relation Name']}"
        if "Index Name" in node:
            what += f" using {node['Index Name']}"
        nodes.append({"node": what, "ms": max(own, 0.0), "loops": loops})
        for child in children:
            walk(child)

    for plan in plans:
        walk(plan["Plan"])
    nodes.sort(key=lambda node: -node["ms"])
    return nodes[:top]


# --- the overlaps check ----------------------------------------------------------------

# Damage planted to test the check: windows copied from real allocations (their tables and
# bookings), each kind as many times.
DAMAGE = (
    ("tstzrange(lower(occupied) + interval '30 minutes', upper(occupied) + '30 minutes')", 30),
    ("tstzrange(upper(occupied), upper(occupied) + interval '1 hour')", 5),  # touching its own
    ("tstzrange(lower(occupied) - interval '2 hours', lower(occupied), '[]')", 3),
    ("tstzrange(lower(occupied) - interval '1 hour', lower(occupied), '(]')", 2),
    ("tstzrange(lower(occupied) + interval '10 minutes', NULL)", 2),  # unbounded
    ("tstzrange(NULL, lower(occupied) + interval '1 minute')", 2),
    ("occupied", 3),  # the same window twice
    ("'empty'::tstzrange", 2),
)
DAMAGE_ROWS = """
INSERT INTO allocations (restaurant_id, table_id, booking_id, service_date, occupied)
SELECT restaurant_id, table_id, booking_id, service_date, {window}
  FROM allocations WHERE booking_id IS NOT NULL
 ORDER BY md5(id::text || %(kind)s) LIMIT %(n)s
"""
# What stops the damage being written; dropped in the transaction, which is rolled back.
GUARDS = ("allocations_no_overlap", "allocations_window_bounded", "allocations_window_short")
# What overlapping means, pair by pair: what the check must find on the damaged book.
EVERY_OVERLAP = """
SELECT a.id AS first_id, o.id AS second_id
  FROM allocations a
  JOIN allocations o ON o.restaurant_id = a.restaurant_id AND o.table_id = a.table_id
                    AND a.id < o.id AND a.occupied && o.occupied
"""


def damage_found(url: str) -> dict[str, Any]:
    """Whether the check finds every overlapping pair, and no other, with ``DAMAGE``
    planted in a transaction that is rolled back."""
    with connect(url) as conn:
        drops = ", ".join(f"DROP CONSTRAINT {guard}" for guard in GUARDS)
        conn.execute(f"ALTER TABLE allocations {drops}")
        for kind, (window, n) in enumerate(DAMAGE):
            conn.execute(DAMAGE_ROWS.format(window=window), {"kind": str(kind), "n": n})
        ids = [restaurant.id for restaurant in store.restaurants(conn, None)]
        found = {(o.first.id, o.second.id) for o in store.overlapping_allocations(conn, ids)}
        every = {(row["first_id"], row["second_id"]) for row in conn.execute(EVERY_OVERLAP)}
        conn.rollback()
    return {
        "planted": sum(n for _, n in DAMAGE),
        "pairs": len(every),
        "found": len(found),
        "same": found == every,
    }


def overlaps(url: str, runs: int) -> dict[str, Any]:
    """``store.overlapping_allocations`` on its own, once to warm up, then ``runs`` times, in
    one transaction as the owner."""
    with connect(url) as conn:
        ids = [restaurant.id for restaurant in store.restaurants(conn, None)]
        found = len(store.overlapping_allocations(conn, ids))
        took = timed_ms(lambda: store.overlapping_allocations(conn, ids), runs)
    return {"overlaps": found, "ms": median(took)}


# --- the scrape's figures ------------------------------------------------------------


def scrape_login(url: str) -> str:
    """How the server's collector logs in: the pool's login (``Database.conninfo``)."""
    return app_login(
        url,
        statement_timeout_ms=STATEMENT_TIMEOUT_MS,
        idle_in_transaction_timeout_ms=IDLE_IN_TRANSACTION_TIMEOUT_MS,
    )


def timed_ms(work: Callable[[], object], n: int) -> list[float]:
    took = []
    for _ in range(n):
        began = time.perf_counter()
        work()
        took.append(1000 * (time.perf_counter() - began))
    return took


def scrape_figures(url: str, meter: CpuMeter, scrapes: int) -> dict[str, Any]:
    """``figures()`` as the collector calls it, and its parts: the connection, the function
    on an open connection, and (as the owner) the count it may make."""
    conninfo = scrape_login(url)
    for _ in range(3):
        found = figures(conninfo)
    postgres, cpu = postgres_seconds(meter), time.process_time()
    walls = timed_ms(lambda: figures(conninfo), scrapes)
    cpu_ms = 1000 * (time.process_time() - cpu) / scrapes
    postgres_ms = 1000 * (postgres_seconds(meter) - postgres) / scrapes
    login = make_conninfo(conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    options = f"-c statement_timeout={FIGURES_TIMEOUT_MS}"

    def connection() -> None:
        psycopg.connect(login, options=options, autocommit=True).close()

    connecting = timed_ms(connection, scrapes)
    with psycopg.connect(login, options=options, autocommit=True) as observer:
        observing = timed_ms(lambda: observer.execute("SELECT * FROM reserve_observe()"), scrapes)
    with connect(url, autocommit=True) as owner:
        counting = timed_ms(
            lambda: owner.execute("SELECT count(*) FROM booking_confirmation_results"), scrapes
        )
        row = owner.execute(
            "SELECT reltuples::bigint AS estimate,"
            " (SELECT count(*) FROM booking_confirmation_results) AS rows"
            " FROM pg_class WHERE oid = 'booking_confirmation_results'::regclass"
        ).fetchone()
    assert row is not None
    return {
        "results_rows": row["rows"],
        "results_estimate": row["estimate"],
        "reported_rows": found.results_rows,
        "counted": 0 <= row["estimate"] <= EXACT_UP_TO or row["estimate"] < 0,
        "wall_ms": median(walls),
        "wall_p95_ms": sorted(walls)[max(0, math.ceil(0.95 * len(walls)) - 1)],
        "cpu_ms": cpu_ms,
        "postgres_cpu_ms": postgres_ms,
        "connect_ms": median(connecting),
        "observe_ms": median(observing),
        "count_ms": median(counting),
    }


def pad_results(url: str, rows: int) -> None:
    """Copies of the stored results under new keys until there are ``rows``, analysed."""
    with connect(url, autocommit=True) as conn:
        counted = conn.execute(
            "SELECT count(*) FILTER (WHERE idempotency_key NOT LIKE 'padding:%%') AS real,"
            " count(*) FILTER (WHERE idempotency_key LIKE 'padding:%%') AS padded"
            " FROM booking_confirmation_results"
        ).fetchone()
        assert counted is not None
        have = counted["real"] + counted["padded"]
        if rows > have:
            first = counted["padded"]
            conn.execute(
                PAD_RESULTS,
                {"first": first, "last": first + rows - have - 1, "sources": counted["real"]},
            )
        conn.execute("VACUUM ANALYZE booking_confirmation_results")


# --- growth --------------------------------------------------------------------------


# How the overlaps check's time may grow with the allocations ``n``: a sort, or one pass.
GROWTHS: dict[str, Callable[[float], float]] = {
    "n log n": lambda n: n * math.log(n),
    "linear": lambda n: n,
}


def fitted(
    points: Sequence[tuple[float, float]], grows: Callable[[float], float]
) -> dict[str, float]:
    """``ms = fixed + per * grows(n)`` fitted to ``(n, ms)`` by least squares on relative
    error, and that error's root mean square."""
    weights = [1 / ms**2 for _, ms in points]
    xs, ys = [grows(n) for n, _ in points], [ms for _, ms in points]
    total = sum(weights)
    mean_x = sum(w * x for w, x in zip(weights, xs, strict=True)) / total
    mean_y = sum(w * y for w, y in zip(weights, ys, strict=True)) / total
    spread = sum(w * (x - mean_x) ** 2 for w, x in zip(weights, xs, strict=True))
    per = (
        sum(w * (x - mean_x) * (y - mean_y) for w, x, y in zip(weights, xs, ys, strict=True))
        / spread
    )
    fixed = mean_y - per * mean_x
    errors = [(fixed + per * x - y) / y for x, y in zip(xs, ys, strict=True)]
    return {
        "fixed_ms": fixed,
        "per": per,
        "error": math.sqrt(sum(e * e for e in errors) / len(errors)),
    }


def timeout_reached(
    sizes: Sequence[dict[str, Any]], venues: int, limit_ms: float
) -> dict[str, Any] | None:
    """Where the overlaps check would reach ``limit_ms``: its time on its own at each size,
    fitted against the allocations as n log n and as linear growth, extrapolated by the
    closer fit. In allocations and bookings on this book, and in years of history for
    these restaurants and for one alone (whose windows are a share of the sort)."""
    points = [(size["book"]["allocations"], size["overlaps"]["ms"]) for size in sizes]
    if len({n for n, _ in points}) < 2:
        return None
    fits = {name: fitted(points, grows) for name, grows in GROWTHS.items()}
    name = min(fits, key=lambda name: fits[name]["error"])  # a tie keeps n log n
    fit, grows = fits[name], GROWTHS[name]
    if fit["per"] <= 0:
        return None
    low, high = points[-1][0], points[-1][0]
    while fit["fixed_ms"] + fit["per"] * grows(high) < limit_ms:
        low, high = high, 2 * high
    while high - low > 1:
        middle = (low + high) / 2
        low, high = (
            (middle, high)
            if fit["fixed_ms"] + fit["per"] * grows(middle) < limit_ms
            else (low, middle)
        )
    book = sizes[-1]["book"]
    factor = high / book["allocations"]
    years = book["history_days"] * factor / OPEN_DAYS_A_YEAR
    return {
        "growth": name,
        "fits": fits,
        "allocations": high,
        "bookings": book["bookings"] * factor,
        "years": years,
        "years_for_one_restaurant": years * venues,
    }


def share(cpu_ms: float, every_seconds: float) -> float:
    """Percent of one CPU that ``cpu_ms`` every ``every_seconds`` takes."""
    return 100 * cpu_ms / (1000 * every_seconds)


# --- the report ----------------------------------------------------------------------


def pass_table(sizes: Sequence[dict[str, Any]], runs: int) -> Table:
    table = Table(
        title=f"The integrity pass: median of {runs} runs (CPU of PostgreSQL: the mean), "
        f"and its share of one CPU every {INTEGRITY_SECONDS:g} s"
    )
    for column in (
        "book",
        "bookings",
        "live",
        "allocations",
        "restaurants",
        "wall ms",
        "range",
        "CPU ms: PostgreSQL",
        "this process",
        "% of a CPU",
    ):
        table.add_column(column, justify="left" if column == "book" else "right")
    for size in sizes:
        shape, measured = size["book"], size["pass"]
        cpu = measured["postgres_cpu_ms"] + measured["cpu_ms"]
        table.add_row(
            size["name"],
            f"{shape['bookings']:,}",
            f"{shape['live']:,}",
            f"{shape['allocations']:,}",
            f"{shape['restaurants']}",
            f"{measured['wall_ms']:,.0f}",
            f"{measured['wall_min_ms']:,.0f}-{measured['wall_max_ms']:,.0f}",
            f"{measured['postgres_cpu_ms']:,.0f}",
            f"{measured['cpu_ms']:,.0f}",
            f"{share(cpu, INTEGRITY_SECONDS):.3f}",
        )
    return table


def checks_table(sizes: Sequence[dict[str, Any]]) -> Table:
    table = Table(
        title="Where the pass goes: each check, wall ms (median) / the backend's CPU ms (mean)"
        " / EXPLAIN ANALYZE ms of its statements"
    )
    table.add_column("check")
    for size in sizes:
        table.add_column(size["name"], justify="right")
    for name in integrity._RUNS:
        row = [name]
        for size in sizes:
            check = size["checks"][name]
            row.append(
                f"{check['wall_ms']:,.1f} / {check['postgres_cpu_ms']:,.0f}"
                f" / {check['explained_ms']:,.1f}"
            )
        table.add_row(*row)
    return table


def figures_table(rows: Sequence[dict[str, Any]], scrapes: int, every: float) -> Table:
    table = Table(
        title=f"The scrape's figures: figures() {scrapes} times, a new connection each "
        f"(ms, median), and its share of one CPU every {every:g} s"
    )
    for column in (
        "book",
        "results rows",
        "read as",
        "figures() ms",
        "p95",
        "connect",
        "reserve_observe()",
        "the count alone",
        "CPU ms: PostgreSQL",
        "this process",
        "% of a CPU",
    ):
        table.add_column(column, justify="left" if column == "book" else "right")
    for row in rows:
        measured = row["figures"]
        cpu = measured["postgres_cpu_ms"] + measured["cpu_ms"]
        table.add_row(
            row["name"],
            f"{measured['results_rows']:,}",
            "counted" if measured["counted"] else "estimated",
            f"{measured['wall_ms']:.2f}",
            f"{measured['wall_p95_ms']:.2f}",
            f"{measured['connect_ms']:.2f}",
            f"{measured['observe_ms']:.2f}",
            f"{measured['count_ms']:.2f}",
            f"{measured['postgres_cpu_ms']:.2f}",
            f"{measured['cpu_ms']:.2f}",
            f"{share(cpu, every):.3f}",
        )
    return table


def overlaps_table(sizes: Sequence[dict[str, Any]]) -> Table:
    table = Table(
        title="The overlaps check, store.overlapping_allocations: on its own (ms, median), "
        "and as the pass runs it, its share of the pass"
    )
    for column in ("book", "allocations", "found", "on its own", "µs an allocation", "in the pass"):
        table.add_column(column, justify="left" if column == "book" else "right")
    for size in sizes:
        found, allocations = size["overlaps"], size["book"]["allocations"]
        check = size["checks"]["overlapping_allocations"]["wall_ms"]
        table.add_row(
            size["name"],
            f"{allocations:,}",
            f"{found['overlaps']:,}",
            f"{found['ms']:,.1f}",
            f"{1000 * found['ms'] / allocations:.2f}" if allocations else "-",
            f"{check:,.1f} ms, {100 * check / size['pass']['wall_ms']:.0f}%",
        )
    return table


def hot_lines(size: dict[str, Any], top: int = 3) -> list[str]:
    """The checks that take the most, at ``size``, with the plan nodes that take their time."""
    checks = sorted(size["checks"].items(), key=lambda item: -item[1]["wall_ms"])[:top]
    lines = []
    for name, check in checks:
        nodes = "; ".join(
            f"{node['node']} {node['ms']:,.0f} ms ({node['loops']:,} loops)"
            for node in check["hot_nodes"]
        )
        lines.append(
            f"  {name}: {check['wall_ms']:,.0f} ms, {check['statements']} statements, "
            f"slowest {check['slowest_statement_ms']:,.0f} ms; {nodes}"
        )
    return lines


# --- the run -------------------------------------------------------------------------


def measure(bench: Bench, meter: CpuMeter, name: str, runs: int, scrapes: int) -> dict[str, Any]:
    vacuum(bench.url)
    shape = book_shape(bench.url)
    measured: dict[str, Any] = {
        "name": name,
        "book": shape,
        "pass": integrity_pass(bench.url, meter, runs),
        "checks": check_times(bench.url, runs),
        "overlaps": overlaps(bench.url, runs),
        "figures": scrape_figures(bench.url, meter, scrapes),
    }
    console.print(
        f"{name}: {shape['bookings']:,} bookings over {shape['days']:,} restaurant-days "
        f"({shape['first_day']} to {shape['last_day']}), pass {measured['pass']['wall_ms']:,.0f} ms"
    )
    return measured


def more_restaurants(
    bench: Bench, filler: Filler, pool: ThreadPoolExecutor, n: int, today: date
) -> None:
    """``n`` more restaurants, each with ``EXTRA_BOOKINGS`` bookings on the next open day."""
    extra = copies([f"more-{i}" for i in range(1, n + 1)])
    save_venues(bench.url, extra)
    day = next(plan(extra[:1], 1, today)).day
    tasks = [Task(venue, day, EXTRA_BOOKINGS, past=False) for venue in extra]
    for done in [pool.submit(book_day, filler, task, task.wanted, 0) for task in tasks]:
        done.result()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Fill and measure at every size, then pad the results, then add restaurants."""
    every = scrape_seconds()
    sizes: list[dict[str, Any]] = []
    padded: list[dict[str, Any]] = []
    more: dict[str, Any] | None = None
    damage: dict[str, Any] | None = None
    tally, filling = Tally(), 0.0
    with bench_database(args.venues) as bench:
        postmaster = postmaster_pid(bench.data)
        assert postmaster is not None
        meter = CpuMeter(os.getpid(), postmaster)
        today = datetime.now(ZoneInfo(bench.venues[0].timezone)).date()
        with (
            filler_for(bench.url) as filler,
            ThreadPoolExecutor(args.threads, thread_name_prefix="fill") as pool,
        ):
            tasks = plan(bench.venues, args.per_day, today)
            for target in args.sizes:
                started = time.perf_counter()
                fill_to(filler, tasks, target, tally, pool, args.threads, args.seed)
                filling += time.perf_counter() - started
                console.print(
                    f"filled to {tally.booked:,} bookings ({tally.refused:,} refused, no table "
                    f"free) in {filling:.0f} s"
                )
                sizes.append(measure(bench, meter, f"{target:,}", args.runs, args.scrapes))
                if damage is None:
                    damage = damage_found(bench.url)
            for rows in args.results:
                pad_results(bench.url, rows)
                padded.append(
                    {
                        "name": f"{sizes[-1]['name']} (padded)",
                        "figures": scrape_figures(bench.url, meter, args.scrapes),
                    }
                )
            if args.more_restaurants:
                more_restaurants(bench, filler, pool, args.more_restaurants, today)
                name = f"{sizes[-1]['name']} + {args.more_restaurants} restaurants"
                more = measure(bench, meter, name, args.runs, args.scrapes)
    return {
        "venues": args.venues,
        "per_day": args.per_day,
        "runs": args.runs,
        "scrapes": args.scrapes,
        "integrity_seconds": INTEGRITY_SECONDS,
        "scrape_seconds": every,
        "statement_timeout_ms": INTEGRITY_STATEMENT_TIMEOUT_MS,
        "fill": {
            "asked": tally.asked,
            "booked": tally.booked,
            "refused": tally.refused,
            "statuses": dict(tally.statuses),
            "seconds": filling,
            "threads": args.threads,
        },
        "sizes": sizes,
        "results_padded": padded,
        "more_restaurants": more,
        "damage_found": damage,
        "overlaps_reach_timeout": timeout_reached(
            sizes, args.venues, INTEGRITY_STATEMENT_TIMEOUT_MS
        ),
    }


def report(result: dict[str, Any]) -> None:
    sizes, more = result["sizes"], result["more_restaurants"]
    measured = [*sizes, *([more] if more else [])]
    console.print(pass_table(measured, result["runs"]))
    console.print(checks_table(measured))
    console.print("The checks that take the most at the largest size, and their plans' hot nodes:")
    for line in hot_lines(sizes[-1]):
        console.print(line)
    scrapes = [{"name": size["name"], "figures": size["figures"]} for size in sizes]
    every = result["scrape_seconds"]
    console.print(figures_table(scrapes + result["results_padded"], result["scrapes"], every))
    console.print(overlaps_table(measured))
    damage = result["damage_found"]
    console.print(
        f"With {damage['planted']} damaged allocations planted at the smallest size, the check "
        + (
            f"found the {damage['pairs']} pairs that overlap, and no other."
            if damage["same"]
            else f"found {damage['found']} pairs, NOT the {damage['pairs']} that overlap."
        )
    )
    reached = result["overlaps_reach_timeout"]
    if reached is not None:
        limit = f"{INTEGRITY_STATEMENT_TIMEOUT_MS / 1000:g} s"
        fits = ", ".join(
            f"{name} {100 * fit['error']:.0f}%" for name, fit in reached["fits"].items()
        )
        console.print(
            f"The overlaps check grows as {reached['growth']} (fits' error over the sizes: "
            f"{fits}) and would reach the {limit} statement timeout at about "
            f"{reached['allocations']:,.0f} allocations, {reached['bookings']:,.0f} bookings: "
            f"{reached['years']:.0f} years of these {result['venues']} restaurants' history, "
            f"{reached['years_for_one_restaurant']:.0f} years of one alone."
        )
    if more is not None:
        n = more["book"]["restaurants"] - sizes[-1]["book"]["restaurants"]
        before, after = sizes[-1]["overlaps"], more["overlaps"]
        loading = more["checks"]["over_capacity"]["wall_ms"]
        loading -= sizes[-1]["checks"]["over_capacity"]["wall_ms"]
        console.print(
            f"{n} more restaurants ({EXTRA_BOOKINGS} bookings each) change the pass by "
            f"{more['pass']['wall_ms'] - sizes[-1]['pass']['wall_ms']:+,.0f} ms: the overlaps "
            f"check by {after['ms'] - before['ms']:+,.0f} ms, and "
            f"loading their venues (over_capacity) by {loading:+,.0f} ms, {loading / n:.1f} ms "
            "each."
        )
    fill = result["fill"]
    console.print(
        f"Filling: {fill['booked']:,} bookings of {fill['asked']:,} asked for in "
        f"{fill['seconds']:.0f} s, {fill['threads']} threads; by status: "
        + ", ".join(f"{n:,} {status}" for status, n in sorted(fill["statuses"].items()))
    )


def sizes_list(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",")]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.observation", description=__doc__)
    parser.add_argument(
        "--sizes",
        type=sizes_list,
        default=[1_000, 10_000, 30_000],
        help="bookings on the book at each measurement, ascending",
    )
    parser.add_argument("--venues", type=int, default=4, help="restaurants the book is spread over")
    parser.add_argument("--per-day", type=int, default=60, help="bookings a restaurant a past day")
    parser.add_argument("--runs", type=int, default=5, help="timed integrity passes per size")
    parser.add_argument("--scrapes", type=int, default=40, help="timed figures() calls per size")
    parser.add_argument(
        "--results",
        type=sizes_list,
        default=[99_000, 200_000],
        help="stored booking results to pad to after the largest size",
    )
    parser.add_argument("--more-restaurants", type=int, default=60)
    parser.add_argument("--threads", type=int, default=2, help="threads filling the book")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not CpuMeter.available():
        raise SystemExit("this benchmark reads CPU times from /proc (Linux)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.perf_counter()
    result = run(args)
    load = os.getloadavg()
    report(result)
    console.print(f"Load average at the end: {load[0]:.2f} on {os.cpu_count()} CPUs.")
    console.print(f"wrote {write_results('observation', {**result, **machine(began)})}")


if __name__ == "__main__":
    main()
