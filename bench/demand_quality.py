"""Seating quality through the booking service: booking limits learned from recorded demand
and pooled tables, on whole days of requests, against the offline optimum of each day.

For each floor (the White Horse, and the bistro of ``bench.floors``), in one embedded
PostgreSQL in a temporary directory, migrated:

- the floor is imported through the product's venue import, once per variant (below): each
  variant is a venue of its own, with its own history and flags;
- history: each venue books the traces (``bench.traces``) of the five Mondays before
  ``BENCH_DAY`` through ``reserve.services.booking.book``, in process, as a guest on the web,
  with the clock set to the evening before each of those days, so every request is recorded
  as demand for its service date, inside the lead time and the horizon. The history is
  booked with admission and pooling off: the forecast learns what was asked, whatever the
  answer;
- reported days: ``--days`` traces at ``--demand`` x the floor's seats (seeds of their own,
  apart from the history's and from the tuning seeds of ``bench.pooling_replay``), each on
  its own service date, the Mondays from ``BENCH_DAY`` on. Every reported day is booked
  with the clock the evening before ``BENCH_DAY``: the forecast reads the weeks before
  today, so each day learns from the same five history Mondays and none from another
  reported day. The four variants book a day in their own venues, so each sees the same
  requests, the same history (at its scale) and an empty day: the comparison is exact;
- before a day's first request its limits are solved (``admission.solve_limits_now``), as a
  guest looking at the day's times before booking would have had them solved. Otherwise the
  first solve runs beside the first booking, and whether it reads the day before or after
  that booking is a race: it made the same day differ by up to 14 covers between runs;
- a day's requests are booked in arrival order, one ``book()`` at a time. Requests arrive
  minutes apart in real life, and by the next one the limits solved after the last booking
  (in the limits' own thread, ``Context.limits``) have landed. So after each call the
  benchmark waits for that thread (``ctx.limits.settle``): each request reads the limits of
  the state the last request left, as a live venue's would. The wait is not in the
  booking's time. A refusal commits no change to the floor, so nothing asks for a new
  solve; a live venue's next request, minutes later, finds the limits older than 30 s and
  has them solved again, so after a refusal the benchmark asks for that solve at once. The
  least interval between two solves of a venue-day, which requests minutes apart never
  meet, is none here.

Variants:

- ``best-fit``: the same service with the venue's overrides ``allocator.admission=none``
  and ``allocator.pooling=false``: no admission, tables fixed at booking;
- ``limits + pooling``: the product's defaults, with the history above;
- ``... outlook 30% high`` / ``low``: the defaults, with a history booked from the same
  days asking for 1.3 and 0.7 times the reported days' demand.

Scored per day: the covers confirmed (the service's answers), the share of the offline
optimum of the same requests (``reserve.planning.optimum`` through ``bench.optimum``, at the
windows ``offered_time`` gives, started from the best seating the variants ended with, read
back from the day's bookings; the share is against its bound, which is the optimum itself
when HiGHS proved it), the bookings the pooling moved, the requests declined (a table free
but kept for expected demand) and refused as full, the time of each ``book()`` call
(``time.perf_counter`` around it), and the time of each solve of the limits: the linear
program alone (what ``reserve_booking_limits_solve_seconds`` observes) and the whole solve
(reading the day, the model, the program). Every seating is checked as every benchmark's is
(``bench.replay.check_seating``).

The costs table: (a) ``reserve.domain.pooling.place`` in memory on replayed White Horse days
with the product's policy and limits, for the requests that find a free table (the fast
path: no move, no repack; the limits are solved beforehand, off the clock); (b) a whole
booking with everything on, from the run above; (c) ``reserve slot-fill`` of a full White
Horse day at 64 clients against ``reserve serve --workers 2`` on an embedded database, three
times each at three copies of the White Horse: the defaults with five weeks of history, the
defaults without, and admission and pooling off. ``--costs`` runs (a) and (c) alone, into
``demand_quality_costs.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from statistics import mean
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from rich.table import Table

from bench.common import BENCH_DAY, console, machine, white_horse, write_results
from bench.floors import bistro
from bench.optimum import solve_optimum
from bench.pooling_replay import learn_history
from bench.replay import check_seating
from bench.server import free_port, scratch_database, stop_server, wait_ready
from bench.traces import DEFAULT_DEMAND, Trace, TraceRequest, generate_trace
from reserve.config import allocation_policy, effective_flags
from reserve.db.bookings import bookings_of_day
from reserve.db.database import Connection, Database, OperatorDatabase, connect
from reserve.domain.access import Role
from reserve.domain.allocator import TYPICAL_DEMAND, Admission, Lookahead, Occupancy, Request
from reserve.domain.booking import Guest, Status
from reserve.domain.errors import NoAvailability, ReserveError
from reserve.domain.floor import Floor
from reserve.domain.pooling import Placed, Placement, occupied, place
from reserve.domain.venue import Venue
from reserve.planning.limits import BookingLimits, LimitsModel
from reserve.planning.optimum import Optimum, highs_version
from reserve.services import demand as demand_service
from reserve.services.admission import solve_limits_now
from reserve.services.authorisation import Caller
from reserve.services.booking import BookingRequest, book
from reserve.services.context import Context
from reserve.services.day_limits import DayLimits, Key, Solver
from reserve.services.flags import set_override, unset_override
from reserve.services.keys import create_key
from reserve.services.venue_state import VenueState, VenueStates
from reserve.services.venues import import_venue

SECRET = "bench-secret-bench-secret-bench-secret"
WEB = Caller()  # a guest booking online: the lead time and the horizon apply
HISTORY_WEEKS = 5
DAYS = 10
TIME_LIMIT = 30.0
SETTLE_SECONDS = 120.0
STATEMENT_TIMEOUT_MS = 60_000  # a commit can wait long on a shared machine
# Seeds: the reported days', and the history's, far from them (the in-memory replay tunes
# on 101-105 and 201-205).
REPORTED_SEEDS = {"white-horse": 301, "bistro": 401}
HISTORY_SEEDS = {"white-horse": 90_001, "bistro": 91_001}
SLOT_FILL_HISTORY_SEED = 95_001
FAST_PATH_SEEDS = (351, 352, 353, 354)  # the first warms the caches, untimed
FAST_PATH_TARGET_US = 100.0
REPEATS = 6  # a free table's call again, for the best of them: the machine's noise aside
BOOKING_P99_TARGET_MS = 10.0  # single-digit milliseconds a booking (DESIGN.md)
SLOT_FILL_TARGET_SECONDS = 5.0
SLOT_FILL_CLIENTS = 64
SLOT_FILL_ROUNDS = 3  # the machine is shared: each venue's fill is run this many times
ANSWERS = ("confirmed", "full", "declined")  # any other answer is reported on its own
SLOWEST = 5  # the slowest bookings of each day, kept in the results
OFF = {"allocator.admission": "none", "allocator.pooling": False}


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    label: str  # in the tables
    suffix: str  # of the venue's slug: each variant is a venue of its own
    scale: float  # the history's demand against the reported days'
    flags: Mapping[str, object] = field(default_factory=dict)  # the venue's overrides


VARIANTS = (
    Variant("best-fit", "best-fit", "best-fit", 1.0, OFF),
    Variant("limits + pooling", "limits+pooling", "", 1.0),
    Variant("limits + pooling, outlook 30% high", "outlook +30%", "high", 1.3),
    Variant("limits + pooling, outlook 30% low", "outlook -30%", "low", 0.7),
)
LABELS = {variant.name: variant.label for variant in VARIANTS}
DEFAULT = VARIANTS[1].name


def slug_of(venue: Venue, variant: Variant) -> str:
    return f"{venue.slug}-{variant.suffix}" if variant.suffix else venue.slug


# --- the service, in process ---------------------------------------------------------


class Clock:
    """The use cases' clock: the moment the benchmark last set."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at


@dataclass(frozen=True, slots=True)
class Solve:
    key: Key
    began: float  # time.perf_counter
    ended: float
    program_seconds: float | None  # the linear program alone; None when nothing was solved

    @property
    def seconds(self) -> float:
        """The whole solve: reading the day, the model, the program."""
        return self.ended - self.began


class TimedLimits(DayLimits):
    """The product's booking limits, with every solve timed. Requests minutes apart never
    meet the least interval between two solves of a venue-day, so it is none here: the
    benchmark's requests follow one another at once, and would otherwise wait it out."""

    def __init__(self) -> None:
        super().__init__(interval_seconds=0.0)
        self.solves: list[Solve] = []
        self._recording = threading.Lock()

    def current(self, key: Key, solver: Solver) -> BookingLimits | None:
        return super().current(key, self._timed(key, solver))

    def solve_now(self, key: Key, solver: Solver) -> BookingLimits | None:
        return super().solve_now(key, self._timed(key, solver))

    def _timed(self, key: Key, solver: Solver) -> Solver:
        def timed(previous: Any) -> Any:
            began = time.perf_counter()
            solved = solver(previous)
            ended = time.perf_counter()
            program = None if solved.limits is None else solved.limits.seconds
            with self._recording:
                self.solves.append(Solve(key, began, ended, program))
            return solved

        return timed


@dataclass(frozen=True, slots=True)
class Service:
    url: str  # the schema's owner
    ctx: Context
    clock: Clock
    limits: TimedLimits

    def state(self, slug: str) -> VenueState:
        return self.ctx.database.run(lambda conn: self.ctx.venues.scoped(conn, slug))


@contextmanager
def service(url: str) -> Iterator[Service]:
    """The use cases over ``url`` as the app builds them: a committed change asks for new
    limits."""
    database = Database(url, min_size=2, max_size=4, statement_timeout_ms=STATEMENT_TIMEOUT_MS)
    database.open()
    try:
        clock, limits = Clock(), TimedLimits()
        ctx = Context(database, VenueStates(), SECRET, clock=clock, limits=limits)
        database.on_commit(limits.changed)
        yield Service(url, ctx, clock, limits)
    finally:
        database.close()


def set_flags(url: str, slug: str, flags: Mapping[str, object]) -> None:
    """The venue's overrides of the flags ``OFF`` names: as ``flags`` says, else none."""
    operator = OperatorDatabase(url)
    for name in OFF:
        if name in flags:
            set_override(operator, slug, name, flags[name])
        else:
            unset_override(operator, slug, name)


def evening_before(venue: Venue, day: date) -> datetime:
    return datetime.combine(day - timedelta(days=1), clock_time(18), ZoneInfo(venue.timezone))


@dataclass(frozen=True, slots=True)
class Answer:
    index: int
    party_size: int
    outcome: str  # confirmed, pending, or why it was refused (full, declined, ...)
    booking_id: UUID | None
    began: float  # time.perf_counter
    ended: float
    cpu_seconds: float  # of the booking's thread: the rest of its time it waited

    @property
    def seconds(self) -> float:
        return self.ended - self.began

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "party_size": self.party_size,
            "outcome": self.outcome,
            "ms": self.seconds * 1000,
            "cpu_ms": self.cpu_seconds * 1000,
        }


def book_request(svc: Service, slug: str, day: date, request: TraceRequest) -> Answer:
    asked = BookingRequest(
        request.party_size,
        day,
        request.local_time,
        Guest(f"Guest {request.index}", f"guest{request.index}@example.com"),
    )
    cpu, began = time.thread_time(), time.perf_counter()
    try:
        booked = book(svc.ctx, slug, asked, str(uuid4()), WEB)
    except NoAvailability as refusal:
        outcome, booking_id = refusal.reason, None
    except ReserveError as refusal:
        outcome, booking_id = type(refusal).__name__, None
    else:
        outcome, booking_id = str(booked.booking.status), booked.booking.id
    ended = time.perf_counter()
    return Answer(
        request.index,
        request.party_size,
        outcome,
        booking_id,
        began,
        ended,
        time.thread_time() - cpu,
    )


def book_history(svc: Service, venue: Venue, slug: str, seed: int, demand: float) -> int:
    """Book the traces of the ``HISTORY_WEEKS`` Mondays before ``BENCH_DAY`` at ``slug``,
    admission and pooling off; the requests made."""
    set_flags(svc.url, slug, OFF)
    made = 0
    for week in range(HISTORY_WEEKS, 0, -1):
        day = BENCH_DAY - timedelta(weeks=week)
        trace = generate_trace(venue, day, seed + week, demand)
        svc.clock.at = evening_before(venue, day)
        for request in trace.requests:
            book_request(svc, slug, day, request)
        made += len(trace.requests)
    return made


# --- one day, every variant ----------------------------------------------------------


@dataclass
class VariantDay:
    variant: str
    slug: str
    covers: int
    outcomes: dict[str, int]
    refused: dict[str, dict[int, int]]
    moves: int
    book_ms: list[float]
    solve_ms: list[float]
    program_ms: list[float]
    unsettled: int  # waits for the limits that ran out of time
    first_solve_ms: list[float]  # the empty day's, before its first request
    seating: dict[int, tuple[str, ...]]
    slowest: list[Answer]
    beside_solve: int  # bookings during which a solve of the limits ran
    share: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "slug": self.slug,
            "covers": self.covers,
            "share_of_bound": self.share,
            "outcomes": self.outcomes,
            "refused_covers_by_party": self.refused,
            "moves": self.moves,
            "book_ms": latency(self.book_ms),
            "solve_ms": latency(self.solve_ms),
            "program_ms": latency(self.program_ms),
            "solves": len(self.solve_ms),
            "unsettled": self.unsettled,
            "first_solve_ms": self.first_solve_ms,
            "beside_solve": self.beside_solve,
            "slowest": [answer.to_json() for answer in self.slowest],
        }


def run_variant(
    svc: Service, slug: str, variant: Variant, trace: Trace, booked_at: datetime
) -> VariantDay:
    svc.clock.at = booked_at
    state = svc.state(slug)
    first: list[float] = []
    if state.policy.admission is Admission.LIMITS:
        began = time.perf_counter()
        solve_limits_now(svc.ctx, state, trace.day)
        first.append((time.perf_counter() - began) * 1000)
    first_solve = len(svc.limits.solves)
    answers: list[Answer] = []
    unsettled = 0
    day_changed = [f"{state.restaurant_id} {trace.day.isoformat()}"]
    for request in trace.requests:
        answer = book_request(svc, slug, trace.day, request)
        answers.append(answer)
        if answer.booking_id is None:
            # Refused: nothing on the floor changed, so nothing asks for a new solve. A
            # live venue's next request, minutes later, finds the limits stale and has them
            # solved again; this asks for that solve now (no-op without limits).
            svc.limits.changed(day_changed)
        if not svc.limits.settle(SETTLE_SECONDS):
            unsettled += 1
    key = (state.restaurant_id, trace.day)
    solves = [s for s in svc.limits.solves[first_solve:] if s.key == key]
    beside = sum(any(s.began < a.ended and a.began < s.ended for s in solves) for a in answers)
    outcomes: dict[str, int] = {}
    refused: dict[str, dict[int, int]] = {}  # covers refused, by answer and party size
    for answer in answers:
        outcomes[answer.outcome] = outcomes.get(answer.outcome, 0) + 1
        if answer.outcome != Status.CONFIRMED:
            by_party = refused.setdefault(answer.outcome, {})
            by_party[answer.party_size] = by_party.get(answer.party_size, 0) + answer.party_size
    confirmed = [a for a in answers if a.outcome == Status.CONFIRMED]
    seating = seating_of(svc, slug, trace.day, {a.booking_id: a.index for a in confirmed})
    covers = sum(a.party_size for a in confirmed)
    if sum(trace.requests[i].party_size for i in seating) != covers:
        raise AssertionError(f"{slug} {trace.day}: the bookings read back are not those made")
    check_seating(state.floor, state.policy.rule, trace, seating)
    return VariantDay(
        variant=variant.name,
        slug=slug,
        covers=covers,
        outcomes=outcomes,
        refused={k: dict(sorted(v.items())) for k, v in refused.items()},
        moves=moves_of(svc.url, state.restaurant_id, trace.day),
        book_ms=[a.seconds * 1000 for a in answers],
        solve_ms=[s.seconds * 1000 for s in solves],
        program_ms=[s.program_seconds * 1000 for s in solves if s.program_seconds is not None],
        unsettled=unsettled,
        first_solve_ms=first,
        seating=seating,
        slowest=sorted(answers, key=lambda a: -a.seconds)[:SLOWEST],
        beside_solve=beside,
    )


def seating_of(
    svc: Service, slug: str, day: date, indices: Mapping[UUID | None, int]
) -> dict[int, tuple[str, ...]]:
    """Where the day's confirmed bookings sit now, by the arrival index of their request."""

    def work(conn: Connection) -> dict[int, tuple[str, ...]]:
        state = svc.ctx.venues.scoped(conn, slug)
        confirmed = bookings_of_day(
            conn, state.restaurant_id, day, [Status.CONFIRMED.value], state.venue
        )
        return {indices[b.id]: b.tables for b in confirmed}

    return svc.ctx.database.run(work)


def moves_of(url: str, restaurant_id: UUID, day: date) -> int:
    """How often the allocator moved a booking of the day to other tables."""
    with connect(url) as conn:
        row = conn.execute(
            """
            SELECT count(*) AS moves FROM booking_table_moves m
              JOIN bookings b ON b.restaurant_id = m.restaurant_id AND b.id = m.booking_id
             WHERE b.restaurant_id = %s AND b.service_date = %s
            """,
            (restaurant_id, day),
        ).fetchone()
    return 0 if row is None else int(row["moves"])


@dataclass
class Day:
    floor: str
    day: date
    seed: int
    requests: int
    requested_covers: int
    optimum: Optimum
    variants: list[VariantDay]
    load_average: float  # the machine's, over the last minute, once the day was booked
    pressure: dict[str, float]  # the share of that minute tasks waited for a CPU, for I/O

    def to_json(self) -> dict[str, Any]:
        return {
            "floor": self.floor,
            "day": self.day.isoformat(),
            "seed": self.seed,
            "requests": self.requests,
            "requested_covers": self.requested_covers,
            "optimum": self.optimum.to_json(),
            "load_average": self.load_average,
            "pressure_pct": self.pressure,
            "variants": [v.to_json() for v in self.variants],
        }


def run_day(svc: Service, venue: Venue, trace: Trace, time_limit: float) -> Day:
    booked_at = evening_before(venue, BENCH_DAY)
    variants = [run_variant(svc, slug_of(venue, v), v, trace, booked_at) for v in VARIANTS]
    state = svc.state(venue.slug)
    best = max(variants, key=lambda v: v.covers)
    optimum = solve_optimum(
        state.floor, state.policy.rule, trace, time_limit=time_limit, start=best.seating
    )
    for v in variants:
        v.share = v.covers / optimum.bound if optimum.bound else 1.0
    return Day(
        venue.slug,
        trace.day,
        trace.seed,
        len(trace.requests),
        trace.covers,
        optimum,
        variants,
        os.getloadavg()[0],
        pressure(),
    )


def forecast_of(svc: Service, slug: str) -> dict[str, Any]:
    """What the venue learned for the reported days, as the limits read it."""

    def work(conn: Connection) -> dict[str, Any]:
        state = svc.ctx.venues.scoped(conn, slug)
        learned = demand_service.forecast(svc.ctx, conn, state, BENCH_DAY)
        if learned is None:
            return {"days": 0}
        return {
            "days": learned.days,
            "same_weekday": learned.same_weekday,
            "requests_a_day": round(learned.requests, 1),
        }

    return svc.ctx.database.run(work)


def run_floor(
    svc: Service, venue: Venue, days: int, demand: float, time_limit: float
) -> tuple[list[Day], dict[str, Any]]:
    history: dict[str, Any] = {}
    for variant in VARIANTS:
        slug = slug_of(venue, variant)
        import_venue(
            OperatorDatabase(svc.url),
            replace(venue, slug=slug, name=f"{venue.name} ({variant.name})"),
        )
        seed = HISTORY_SEEDS[venue.slug]
        history[slug] = {"requests": book_history(svc, venue, slug, seed, demand * variant.scale)}
        set_flags(svc.url, slug, variant.flags)
    svc.clock.at = evening_before(venue, BENCH_DAY)
    for v in VARIANTS:
        history[slug_of(venue, v)]["forecast"] = forecast_of(svc, slug_of(venue, v))
    console.print(f"{venue.slug}: history and forecasts", history)
    results: list[Day] = []
    for i in range(days):
        day = BENCH_DAY + timedelta(weeks=i)
        trace = generate_trace(venue, day, REPORTED_SEEDS[venue.slug] + i, demand)
        results.append(run_day(svc, venue, trace, time_limit))
        console.print(day_line(results[-1]))
    return results, history


# --- (a) the fast path in memory -----------------------------------------------------


def fast_path(venue: Venue, seeds: Sequence[int], demand: float) -> dict[str, Any]:
    """``place`` on replayed days with the product's policy and limits learned from other
    days (``bench.pooling_replay.learn_history``), each call timed; split by what it did."""
    floor = Floor(venue)
    policy = allocation_policy(effective_flags({}))
    lookahead = Lookahead(floor, policy.rule, TYPICAL_DEMAND)
    fixed = Occupancy(floor, ())
    paths: dict[str, list[float]] = {"free table": [], "moved bookings": [], "refused": []}
    parts: dict[str, list[float]] = {"best of repeats": [], "occupancy": [], "admits": []}
    for n, seed in enumerate(seeds):
        trace = generate_trace(venue, BENCH_DAY, seed, demand)
        history = learn_history(venue, seed, demand)
        placed: dict[int, Placed] = {}
        model: LimitsModel | None = None
        for request in trace.requests:
            movable = list(placed.values())
            expected = history.remaining(request.index)
            if model is None or not model.covers(movable, expected):
                instants = [p.start for p in movable] + [kind[1] for kind in history.kinds]
                model = LimitsModel(floor, policy.rule, fixed, instants)
            limits = model.solve(movable, expected)
            ask = Request(request.party_size, request.start, request.occupied_until)
            began = time.perf_counter_ns()
            outcome = place(floor, fixed, movable, ask, policy, lookahead, limits=limits)
            took = (time.perf_counter_ns() - began) / 1000
            if not isinstance(outcome, Placement):
                path = "refused"
            else:
                path = "moved bookings" if outcome.moves else "free table"
                by_booking = {p.booking_id: i for i, p in placed.items()}
                for move in outcome.moves:
                    index = by_booking[move.booking_id]
                    placed[index] = replace(placed[index], tables=move.to_tables)
                placed[request.index] = Placed(
                    UUID(int=request.index),
                    request.party_size,
                    request.start,
                    request.occupied_until,
                    outcome.plan.tables,
                )
            if n > 0:  # the first day warms the caches
                paths[path].append(took)
                if path == "free table":
                    again = partial(place, floor, fixed, movable, ask, policy, lookahead)
                    best = min(_micros(partial(again, limits=limits)) for _ in range(REPEATS))
                    parts["best of repeats"].append(min(took, best))
                    parts["occupancy"].append(_micros(partial(occupied, fixed, movable)))
                    parts["admits"].append(_micros(partial(limits.admits, ask)))
    return {
        "seeds": list(seeds[1:]),
        "paths": {name: latency(us) for name, us in paths.items()},
        "free_table_parts": {name: latency(us) for name, us in parts.items()},
    }


def _micros(work: Callable[[], object]) -> float:
    began = time.perf_counter_ns()
    work()
    return (time.perf_counter_ns() - began) / 1000


# --- (c) slot-fill against reserve serve ---------------------------------------------


def next_monday(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def slot_fill(demand: float) -> list[dict[str, Any]]:
    """``reserve slot-fill`` of a full White Horse day at 64 clients against ``reserve serve
    --workers 2``, at three copies of the White Horse: with the defaults and five weeks of
    history before the day (the limits solve after every booking), with the defaults and no
    history (the limits have nothing to solve), and with admission and pooling off."""
    venue = white_horse()
    day = next_monday(datetime.now(ZoneInfo(venue.timezone)).date())
    fills = (
        (venue, "defaults, 5 weeks of history", {}),
        (replace(venue, slug=f"{venue.slug}-new"), "defaults, no history", {}),
        (replace(venue, slug=f"{venue.slug}-off"), "admission and pooling off", OFF),
    )
    runs: list[dict[str, Any]] = []
    with scratch_database("reserve-bench-slot-fill-") as (url, data):
        for each, told, flags in fills:
            import_venue(OperatorDatabase(url), replace(each, name=f"{venue.name} ({told})"))
            set_flags(url, each.slug, flags)
        today = datetime.now(ZoneInfo(venue.timezone)).date()
        with service(url) as svc:
            set_flags(url, venue.slug, OFF)
            for week in range(HISTORY_WEEKS, 0, -1):
                past = day - timedelta(weeks=week)
                if past >= today:  # not yet history: the forecast reads days before today
                    continue
                trace = generate_trace(venue, past, SLOT_FILL_HISTORY_SEED + week, demand)
                svc.clock.at = evening_before(venue, past)
                for request in trace.requests:
                    book_request(svc, venue.slug, past, request)
            set_flags(url, venue.slug, {})
        _, key = create_key(
            OperatorDatabase(url), SECRET, role=Role.ADMIN, restaurant=None, name="bench"
        )
        with serving(url, data) as base_url:
            for n in range(SLOT_FILL_ROUNDS):  # each round on a day of its own, same history
                for each, told, _ in fills:
                    on = day + timedelta(weeks=n)
                    runs.append(fill(url, base_url, key, each.slug, on, data, told))
    return runs


@contextmanager
def serving(url: str, data: Path) -> Iterator[str]:
    """``reserve serve --workers 2`` over ``url``; leaving the block stops it."""
    port = free_port()
    env = {
        **os.environ,
        "RESERVE_DATABASE_URL": url,
        "RESERVE_DATA_DIR": str(data),
        "RESERVE_SECRET_KEY": SECRET,
        "RESERVE_LOG_LEVEL": "warning",
    }
    log = data / "server.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "reserve", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_ready(base_url, server, log)
        yield base_url
    finally:
        stop_server(server)


def fill(
    url: str, base_url: str, key: str, slug: str, day: date, data: Path, told: str
) -> dict[str, Any]:
    logs = data / f"slot-fill-{slug}-{day.isoformat()}"
    command = [
        *("reserve", "slot-fill", "--restaurant", slug, "--date", day.isoformat()),
        *("--start", "12:00", "--end", "22:00", "--interval", "15", "--stress-max", "10"),
        *("--min-party-size", "1", "--max-party-size", "12"),
        *("--concurrency", str(SLOT_FILL_CLIENTS), "--seed", "7"),
        *("--base-url", base_url, "--api-key", key, "--log-dir", str(logs)),
    ]
    # slot-fill reads the integrity report from the server's database.
    env = {
        **os.environ,
        "RESERVE_DATABASE_URL": url,
        "RESERVE_DATA_DIR": str(data),
        "RESERVE_SECRET_KEY": SECRET,
    }
    load, waits = os.getloadavg()[0], pressure()
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", *command], capture_output=True, text=True, check=False, env=env
    )
    seconds = time.perf_counter() - began
    found = list(logs.rglob("slot-fill-metrics.json"))
    if not found:
        raise SystemExit(f"slot-fill wrote no metrics:\n{done.stdout}\n{done.stderr}")
    metrics = json.loads(found[0].read_text(encoding="utf-8"))
    level = metrics["comparison"][0]
    errors = metrics["levels"][0]["outcome_states"].get("error", {}).get("first", [])
    return {
        "restaurant": slug,
        "venue": told,
        "date": day.isoformat(),
        "command": " ".join([*command[:-6], "--base-url", base_url, "--api-key", "KEY"]),
        "exit_code": done.returncode,
        "command_seconds": seconds,
        "load_average_before": load,
        "pressure_pct_before": waits,
        "integrity_violations": metrics["integrity"]["violations"],
        "first_errors": [error["record"] for error in errors],
        **level,
    }


# --- figures and tables --------------------------------------------------------------


def code_version() -> dict[str, Any]:
    """The commit measured, and the files that differed from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no", "src")
    return {"commit": git("rev-parse", "HEAD"), "changed": changed.splitlines()}


def pressure() -> dict[str, float]:
    """The share of the last minute some task waited for a CPU, and for I/O (Linux's
    pressure stall information; empty elsewhere)."""
    shares: dict[str, float] = {}
    for resource in ("cpu", "io"):
        try:
            first = Path(f"/proc/pressure/{resource}").read_text().splitlines()[0]
        except (OSError, IndexError):
            continue
        fields = dict(part.split("=") for part in first.split()[1:])
        shares[resource] = float(fields["avg60"])
    return shares


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank: the smallest value at or above ``share`` of them."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else math.nan


def latency(values: Sequence[float]) -> dict[str, float]:
    return {
        "samples": len(values),
        "p50": percentile(values, 0.50),
        "p99": percentile(values, 0.99),
        "max": max(values, default=math.nan),
        "mean": mean(values) if values else math.nan,
    }


def day_line(day: Day) -> str:
    scores = ", ".join(f"{v.variant} {v.covers} ({v.share:.3f})" for v in day.variants)
    proven = "proven" if day.optimum.proven else f"bound {day.optimum.bound}"
    line = f"{day.floor} {day.day}: optimum {day.optimum.covers} ({proven}); {scores}"
    for v in day.variants:
        other = {k: n for k, n in v.outcomes.items() if k not in ANSWERS}
        if other or v.unsettled:
            line += f"; {v.variant}: {other}, {v.unsettled} waits for the limits ran out"
    return line


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def days_table(floor: str, days: Sequence[Day]) -> Table:
    table = Table(title=f"{floor}: each reported day (share against the optimum's bound)")
    columns = [
        *("date", "asked", "optimum", "variant", "covers", "share", "moves"),
        *("declined", "full", "book p50 ms", "p99", "LP p50 ms", "p99"),
    ]
    for column in columns:
        table.add_column(column, justify="left" if column in ("date", "variant") else "right")
    for day in days:
        optimum = f"{day.optimum.covers}" + ("" if day.optimum.proven else f"/{day.optimum.bound}")
        for n, v in enumerate(day.variants):
            book_ms, program = latency(v.book_ms), latency(v.program_ms)
            table.add_row(
                day.day.isoformat() if n == 0 else "",
                str(day.requested_covers) if n == 0 else "",
                optimum if n == 0 else "",
                LABELS[v.variant],
                str(v.covers),
                f"{v.share:.3f}",
                str(v.moves),
                str(v.outcomes.get("declined", 0)),
                str(v.outcomes.get("full", 0)),
                ms(book_ms["p50"]),
                ms(book_ms["p99"]),
                ms(program["p50"]),
                ms(program["p99"]),
                end_section=n == len(day.variants) - 1,
            )
    return table


def summary(days: Sequence[Day]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for floor in dict.fromkeys(day.floor for day in days):
        mine = [day for day in days if day.floor == floor]
        for variant in VARIANTS:
            runs = [v for day in mine for v in day.variants if v.variant == variant.name]
            rows.append(
                {
                    "floor": floor,
                    "variant": variant.name,
                    "days": len(runs),
                    "covers": mean(v.covers for v in runs),
                    "share_mean": mean(v.share for v in runs),
                    "share_worst": min(v.share for v in runs),
                    "moves": sum(v.moves for v in runs),
                    "declined": sum(v.outcomes.get("declined", 0) for v in runs),
                    "full": sum(v.outcomes.get("full", 0) for v in runs),
                    "book_ms": latency([ms for v in runs for ms in v.book_ms]),
                    "program_ms": latency([ms for v in runs for ms in v.program_ms]),
                    "solve_ms": latency([ms for v in runs for ms in v.solve_ms]),
                    "unsettled": sum(v.unsettled for v in runs),
                    "refused_covers_by_party": refused_covers(runs),
                    "optimum_covers": mean(day.optimum.covers for day in mine),
                    "proven_days": sum(day.optimum.proven for day in mine),
                }
            )
    return rows


def refused_covers(runs: Sequence[VariantDay]) -> dict[str, dict[int, int]]:
    total: dict[str, dict[int, int]] = {}
    for run in runs:
        for outcome, by_party in run.refused.items():
            into = total.setdefault(outcome, {})
            for party, covers in by_party.items():
                into[party] = into.get(party, 0) + covers
    return {outcome: dict(sorted(by_party.items())) for outcome, by_party in total.items()}


def summary_table(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(title="Per floor and variant, over the reported days")
    columns = [
        *("floor", "variant", "days", "covers", "share mean", "worst", "moves"),
        *("declined", "full", "book p50 ms", "p99", "max", "LP p50 ms", "p99"),
    ]
    for column in columns:
        table.add_column(column, justify="left" if column in ("floor", "variant") else "right")
    for n, row in enumerate(rows):
        book_ms, program = row["book_ms"], row["program_ms"]
        last = n == len(rows) - 1 or rows[n + 1]["floor"] != row["floor"]
        table.add_row(
            row["floor"],
            LABELS[row["variant"]],
            str(row["days"]),
            f"{row['covers']:.1f}",
            f"{row['share_mean']:.3f}",
            f"{row['share_worst']:.3f}",
            str(row["moves"]),
            str(row["declined"]),
            str(row["full"]),
            ms(book_ms["p50"]),
            ms(book_ms["p99"]),
            ms(book_ms["max"]),
            ms(program["p50"]),
            ms(program["p99"]),
            end_section=last,
        )
    return table


def costs_table(
    fast: Mapping[str, Any] | None,
    rows: Sequence[dict[str, Any]],
    fills: Sequence[Mapping[str, Any]],
) -> Table:
    table = Table(title="What it costs (p99 unless said; the machine's load average in detail)")
    for column in ("measure", "samples", "figure", "target", "met", "detail"):
        table.add_column(column, justify="left" if column in ("measure", "detail") else "right")

    def spread(figures: Mapping[str, float], unit: str) -> str:
        return f"p50 {figures['p50']:.1f}, max {figures['max']:.1f} {unit}"

    def met(value: float, target: float) -> str:
        return "yes" if value < target else "no"

    if fast is not None:
        free = fast["paths"]["free table"]
        table.add_row(
            "(a) place(), a free table, White Horse in memory, µs",
            str(free["samples"]),
            f"{free['p99']:.1f}",
            f"< {FAST_PATH_TARGET_US:.0f}",
            met(free["p99"], FAST_PATH_TARGET_US),
            spread(free, "µs"),
        )
        for name, told in (
            ("best of repeats", f"the same calls, best of {REPEATS + 1}"),
            ("occupancy", "of which the day's occupancy (pooling.occupied)"),
            ("admits", "of which the limits' test (admits)"),
        ):
            figures = fast["free_table_parts"][name]
            table.add_row(
                f"    {told}",
                str(figures["samples"]),
                f"{figures['p99']:.1f}",
                "",
                "",
                spread(figures, "µs"),
            )
        for name in ("moved bookings", "refused"):
            figures = fast["paths"][name]
            table.add_row(
                f"    place(), {name}",
                str(figures["samples"]),
                f"{figures['p99']:.1f}",
                "",
                "",
                spread(figures, "µs"),
            )
    for row in rows:
        if row["variant"] == DEFAULT:
            figures = row["book_ms"]
            table.add_row(
                f"(b) book(), everything on, {row['floor']}, ms",
                str(figures["samples"]),
                f"{figures['p99']:.1f}",
                f"< {BOOKING_P99_TARGET_MS:.0f}",
                met(figures["p99"], BOOKING_P99_TARGET_MS),
                spread(figures, "ms"),
            )
    for told in dict.fromkeys(run["venue"] for run in fills):
        runs = sorted((r for r in fills if r["venue"] == told), key=lambda r: r["wall_seconds"])
        middle = runs[(len(runs) - 1) // 2]
        walls = ", ".join(f"{r['wall_seconds']:.1f}" for r in runs)
        loads = ", ".join(f"{r['load_average_before']:.1f}" for r in runs)
        table.add_row(
            f"(c) slot-fill, a full day, {SLOT_FILL_CLIENTS} clients, {told}: wall s, median",
            f"{len(runs)} x {middle['requests']}",
            f"{middle['wall_seconds']:.2f}",
            f"< {SLOT_FILL_TARGET_SECONDS:.0f}",
            met(middle["wall_seconds"], SLOT_FILL_TARGET_SECONDS),
            f"runs {walls} s; median's submit p50 {middle['submit_p50_ms']:.0f},"
            f" p99 {middle['submit_p99_ms']:.0f} ms, {middle['bookings']} booked;"
            f" exits {sorted({r['exit_code'] for r in runs})}; load before {loads}",
        )
    return table


# --- the run -------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.demand_quality", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the White Horse, 2 days")
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--demand", type=float, default=DEFAULT_DEMAND)
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT, help="the optimum's")
    parser.add_argument(
        "--costs", action="store_true", help="only the costs (a) and (c), to their own JSON"
    )
    parser.add_argument("--no-slot-fill", action="store_true", help="leave out (c)")
    args = parser.parse_args(argv)
    # A kill (not only Ctrl+C) still stops the servers and PostgreSQL on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.perf_counter()
    version = code_version()
    floors = [white_horse()] if args.quick else [white_horse(), bistro()]
    days_each = min(args.days, 2) if args.quick else args.days
    days: list[Day] = []
    history: dict[str, Any] = {}
    if not args.costs:
        with scratch_database("reserve-bench-demand-") as (url, _), service(url) as svc:
            for venue in floors:
                made, booked = run_floor(svc, venue, days_each, args.demand, args.time_limit)
                days += made
                history |= booked
                console.print(days_table(venue.slug, made))
    rows = summary(days) if days else []
    if rows:
        console.print(summary_table(rows))
    seeds = FAST_PATH_SEEDS[:2] if args.quick else FAST_PATH_SEEDS
    fast = fast_path(white_horse(), seeds, args.demand)
    fills = [] if args.no_slot_fill else slot_fill(args.demand)
    console.print(costs_table(fast, rows, fills))
    path = write_results(
        "demand_quality_costs" if args.costs else "demand_quality",
        {
            "args": vars(args),
            "highs": highs_version(),
            "code": version,
            "bench_day": BENCH_DAY.isoformat(),
            "history_requests": history,
            "days": [day.to_json() for day in days],
            "summary": rows,
            "fast_path_us": fast,
            "slot_fill": fills,
            **machine(began),
        },
    )
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
