"""A slot-fill run: every concurrency level in turn on a freshly cleared day, each request
logged as it finishes, the integrity report taken after each level, and
``slot-fill-metrics.json`` written at the end.

A resumed run (``resume``) reads the log of the interrupted one: it keeps its run id, date
and seed, finishes the level it stopped in on the day as it was left (no clearing), from the
slot after the last completed one, and then runs the levels it never reached.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from uuid import uuid4

import httpx

from reserve.loadtest.client import (
    CLEARING_WIDTH,
    ApiError,
    Attempt,
    Cleared,
    VenueInfo,
    attempt,
    clear_day,
    day_bookings,
    fetch_venue,
    least_free_waste,
    new_client,
)
from reserve.loadtest.compare import Figures, conclude
from reserve.loadtest.lock import LockWait, read_lock_wait
from reserve.loadtest.log import (
    LOG_NAME,
    LogError,
    LogWriter,
    Outcome,
    Record,
    check_matches,
    done,
    read_log,
    remaining,
)
from reserve.loadtest.metrics import LevelMetrics, level_metrics
from reserve.loadtest.plan import Plan, PlannedRequest, Window
from reserve.loadtest.waste import FIT_CHECK_WITHOUT_HOLDS, Anomalies, find_anomalies

METRICS_NAME = "slot-fill-metrics.json"


@dataclass(frozen=True, slots=True)
class Options:
    restaurant: str
    day: date | None  # None: the venue's next open day, or the resumed run's
    window: Window
    stress_max: int
    min_party: int
    max_party: int
    levels: tuple[int, ...]
    base_url: str
    api_key: str
    log_dir: Path
    seed: int | None  # None: a random seed, recorded (or the resumed run's)
    two_phase: bool
    resume: bool
    poll_timeout: float


@dataclass(frozen=True, slots=True)
class Integrity:
    """The integrity report taken after a level, or why it could not be taken."""

    violations: int | None
    report: dict[str, Any] | None
    error: str | None = None

    @property
    def clean(self) -> bool:
        return self.violations == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": self.error is None,
            "violations": self.violations,
            "error": self.error,
            "report": self.report,
        }

    def verdict(self) -> str:
        if self.error is not None:
            return "[red]not checked[/red]"
        if self.violations:
            return f"[red]{self.violations} violations[/red]"
        return "clean"


IntegrityCheck = Callable[[], Integrity]


class Watcher(Protocol):
    """Who is told of progress (the live progress bar)."""

    def level(self, concurrency: int, total: int, done: int) -> None: ...

    def advance(self, record: Record) -> None: ...

    def checked(self, anomalies: int) -> None:
        """The level's seat-waste anomalies, once its bookings are compared with the
        tables still free."""


@dataclass(frozen=True, slots=True)
class LevelResult:
    metrics: LevelMetrics
    cleared: Cleared | None  # None: resumed on the day the interrupted run left
    integrity: Integrity | None  # None: the level was over before the interruption
    anomalies: Anomalies
    lock_wait: LockWait

    def to_json(self) -> dict[str, Any]:
        cleared = self.cleared
        return {
            **self.metrics.to_json(),
            "seat_waste_anomalies": self.anomalies.to_json(),
            "day_lock_wait": self.lock_wait.to_json(self.metrics.submit_total_ms),
            "cleared": None
            if cleared is None
            else {"bookings": cleared.bookings, "holds": cleared.holds},
            "integrity": None if self.integrity is None else self.integrity.to_json(),
        }

    def figures(self) -> Figures:
        metrics, lock = self.metrics, self.lock_wait
        return Figures(
            concurrency=metrics.concurrency,
            requests=metrics.requests,
            seat_waste_per_booking=metrics.seat_waste_per_booking,
            covers=metrics.covers_booked,
            submit_p50_ms=metrics.submit.p50,
            submit_p99_ms=metrics.submit.p99,
            submit_total_ms=metrics.submit_total_ms,
            lock_wait_ms=None if lock.seconds is None else lock.seconds * 1000,
            lock_error=lock.error,
            answered_pending=metrics.outcomes[Outcome.CONFIRMED_POLL]
            + metrics.outcomes[Outcome.PENDING_TIMEOUT],
            still_pending=metrics.outcomes[Outcome.PENDING_TIMEOUT],
        )

    def comparison_row(self) -> dict[str, Any]:
        lock = self.lock_wait
        return {
            **self.metrics.comparison_row(),
            "seat_waste_anomalies": len(self.anomalies.found),
            "day_lock_wait_ms_per_request": None
            if lock.seconds is None or not self.metrics.requests
            else round(lock.seconds * 1000 / self.metrics.requests, 3),
            "day_lock_share_of_submit_time": lock.share_of(self.metrics.submit_total_ms),
            "integrity_violations": None if self.integrity is None else self.integrity.violations,
        }


@dataclass(frozen=True, slots=True)
class Result:
    day: date
    seed: int
    levels: list[LevelResult]
    log_path: Path
    metrics_path: Path

    @property
    def errors(self) -> int:
        return sum(level.metrics.errors for level in self.levels)

    @property
    def violations(self) -> int:
        return sum(report.violations or 0 for report in self.reports())

    @property
    def passed(self) -> bool:
        return self.errors == 0 and all(report.clean for report in self.reports())

    def reports(self) -> list[Integrity]:
        """The integrity reports taken by this invocation."""
        return [level.integrity for level in self.levels if level.integrity is not None]

    def conclusion(self) -> list[str]:
        """How the figures move with concurrency, in plain sentences."""
        return conclude([level.figures() for level in self.levels])


@dataclass(frozen=True, slots=True)
class _Run:
    """Who the run is: a resumed run keeps the interrupted one's."""

    id: str
    day: date
    seed: int


def slot_fill(options: Options, check_integrity: IntegrityCheck, watcher: Watcher) -> Result:
    """Run the levels and write the log and the metrics. Raises ApiError or LogError for what
    stops a run before it starts; KeyboardInterrupt leaves a log that ``resume`` continues."""
    return asyncio.run(_slot_fill(options, check_integrity, watcher))


async def _slot_fill(options: Options, check_integrity: IntegrityCheck, watcher: Watcher) -> Result:
    log_path = options.log_dir / LOG_NAME
    earlier = read_log(log_path) if options.resume else []
    resumed = _resumed(options, earlier, log_path) if options.resume else None
    async with new_client(options.base_url, options.api_key, CLEARING_WIDTH) as staff:
        venue = await fetch_venue(staff, options.restaurant)
        run = resumed or _fresh(options, venue)
        plan = Plan(
            options.window, options.stress_max, options.min_party, options.max_party, run.seed
        )
        check_matches(plan, earlier)
        _check_levels(options.levels, earlier)
        await day_bookings(staff, venue.slug, run.day, ("pending",))  # refuses a wrong key
        result = Result(run.day, run.seed, [], log_path, options.log_dir / METRICS_NAME)
        if not options.resume:
            result.metrics_path.unlink(missing_ok=True)
        writer = LogWriter(log_path, fresh=not options.resume, lines=len(earlier))
        try:
            session = _Session(options, venue, run, plan, staff, writer, watcher, earlier)
            for concurrency in options.levels:
                level = await session.level(concurrency)
                last = concurrency == options.levels[-1]
                # Checked before the next level clears the day, which would hide an overlap.
                integrity = check_integrity() if level.requests or last else None
                result.levels.append(
                    LevelResult(
                        level.metrics, level.cleared, integrity, level.anomalies, level.lock_wait
                    )
                )
        finally:
            writer.close()
    _write_json(result.metrics_path, metrics_json(options, venue, run, plan, result))
    return result


@dataclass(frozen=True, slots=True)
class _Level:
    metrics: LevelMetrics
    cleared: Cleared | None
    requests: int  # sent by this invocation
    anomalies: Anomalies
    lock_wait: LockWait


@dataclass(frozen=True, slots=True)
class _Session:
    """What the levels of one invocation share."""

    options: Options
    venue: VenueInfo
    run: _Run
    plan: Plan
    staff: httpx.AsyncClient
    writer: LogWriter
    watcher: Watcher
    earlier: list[Record]
    segment: str = field(default_factory=lambda: uuid4().hex)
    # Each request's line in the log, by level, slot and index.
    lines: dict[tuple[int, str, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for line, record in enumerate(self.earlier, start=1):
            self.lines[(record.concurrency, *record.key)] = line

    async def level(self, concurrency: int) -> _Level:
        """Run what is left of one level (all of it, unless resumed) and sum it up."""
        planned = self.plan.requests()
        logged = done(self.earlier, concurrency)
        todo = remaining(self.plan, logged)
        # A level starts on an empty day; a resumed one continues on the day it left.
        cleared = None
        if todo and not logged:
            cleared = await clear_day(self.staff, self.venue.slug, self.run.day)
        self.watcher.level(concurrency, len(planned), len(planned) - len(todo))
        before = await read_lock_wait(self.staff)
        options = self.options
        async with new_client(options.base_url, options.api_key, concurrency) as client:
            context = Attempt(
                client=client,
                venue=self.venue,
                day=self.run.day,
                run=self.run.id,
                segment=self.segment,
                seed=self.run.seed,
                concurrency=concurrency,
                two_phase=options.two_phase,
                poll_timeout=options.poll_timeout,
            )
            new = await _fill(context, todo, self.writer, self.watcher, self.lines)
        lock_wait = LockWait.between(before, await read_lock_wait(self.staff))
        if logged:
            lock_wait = LockWait(error="resumed: the wait before the interruption is not known")
        records = [r for r in (*self.earlier, *new) if r.concurrency == concurrency]
        anomalies = await seat_waste_anomalies(
            self.staff, self.venue, records, two_phase=options.two_phase
        )
        self.watcher.checked(len(anomalies.found))
        lines = {key[1:]: line for key, line in self.lines.items() if key[0] == concurrency}
        metrics = level_metrics(concurrency, records, self.plan.slots(), self.venue.seats, lines)
        return _Level(metrics, cleared, len(todo), anomalies, lock_wait)


async def seat_waste_anomalies(
    staff: httpx.AsyncClient, venue: VenueInfo, records: Sequence[Record], *, two_phase: bool
) -> Anomalies:
    """The seat-waste anomalies of a level's bookings, each compared with the ways to seat it
    still free (before the next level clears the day)."""
    alone = venue.best_alone
    if two_phase:
        return find_anomalies(records, {}, alone, FIT_CHECK_WITHOUT_HOLDS)
    width = asyncio.Semaphore(CLEARING_WIDTH)

    async def least_free(record: Record) -> tuple[tuple[str, int], int | None]:
        assert record.booking_id is not None
        async with width:
            waste = await least_free_waste(staff, venue, record.booking_id, record.party_size)
        return record.key, waste

    booked = [r for r in records if r.outcome.booked and r.booking_id is not None]
    try:
        found = await asyncio.gather(*(least_free(record) for record in booked))
    except ApiError as error:
        return find_anomalies(records, {}, alone, f"not made: {error}")
    return find_anomalies(records, {key: waste for key, waste in found if waste is not None}, alone)


async def _fill(
    context: Attempt,
    todo: Sequence[PlannedRequest],
    writer: LogWriter,
    watcher: Watcher,
    lines: dict[tuple[int, str, int], int],
) -> list[Record]:
    """Send ``todo`` in plan order with at most ``context.concurrency`` requests in flight;
    each is logged the moment it finishes (``lines`` learns where)."""
    records: list[Record] = []
    gate = asyncio.Semaphore(context.concurrency)

    async def one(request: PlannedRequest) -> None:
        async with gate:
            record = await attempt(context, request)
        lines[(record.concurrency, *record.key)] = writer.write(record)
        records.append(record)
        watcher.advance(record)

    await asyncio.gather(*(one(request) for request in todo))
    return records


def _fresh(options: Options, venue: VenueInfo) -> _Run:
    seed = options.seed if options.seed is not None else secrets.randbelow(2**31)
    day = options.day or venue.next_open_day(date.today())
    return _Run(uuid4().hex, day, seed)


def _resumed(options: Options, earlier: list[Record], log: Path) -> _Run:
    """The interrupted run, if these options continue it."""
    if not earlier:
        raise LogError(f"nothing to resume: {log} holds no requests")
    first = earlier[0]
    if any(record.run != first.run for record in earlier):
        raise LogError(f"{log} holds requests of more than one run")
    day = date.fromisoformat(first.date)
    if first.restaurant != options.restaurant:
        raise LogError(f"the interrupted run filled {first.restaurant}, not {options.restaurant}")
    if options.day is not None and options.day != day:
        raise LogError(f"the interrupted run filled {day}; resume it without --date or with it")
    if options.seed is not None and options.seed != first.seed:
        raise LogError(f"the interrupted run used --seed {first.seed}; resume it with that seed")
    if first.two_phase != options.two_phase:
        which = "with" if first.two_phase else "without"
        raise LogError(f"the interrupted run was {which} --two-phase; resume it the same way")
    return _Run(first.run, day, first.seed)


def _check_levels(levels: Sequence[int], earlier: Sequence[Record]) -> None:
    """The levels the log holds must be the first of ``levels``, as they ran in order."""
    logged = {record.concurrency for record in earlier}
    if not logged <= set(levels) or set(levels[: len(logged)]) != logged:
        ran = ",".join(str(level) for level in sorted(logged))
        raise LogError(
            f"the interrupted run got as far as concurrency {ran}; resume it with the same "
            "--concurrency list"
        )


def metrics_json(
    options: Options, venue: VenueInfo, run: _Run, plan: Plan, result: Result
) -> dict[str, Any]:
    """What ``slot-fill-metrics.json`` holds."""
    return {
        "tool": "reserve slot-fill",
        "run": run.id,
        "restaurant": venue.slug,
        "date": run.day.isoformat(),
        "base_url": options.base_url,
        "window": {
            "start": f"{options.window.start:%H:%M}",
            "end": f"{options.window.end:%H:%M}",
            "interval_minutes": options.window.interval,
            "slots": len(plan.slots()),
        },
        "stress_max": plan.stress_max,
        "party_size": {"min": plan.min_party, "max": plan.max_party},
        "seed": run.seed,
        "two_phase": options.two_phase,
        "poll_timeout_seconds": options.poll_timeout,
        "concurrency": list(options.levels),
        "resumed": options.resume,
        "log": str(result.log_path),
        "levels": [level.to_json() for level in result.levels],
        "comparison": [level.comparison_row() for level in result.levels],
        "conclusion": result.conclusion(),
        "integrity": {
            "checked": all(report.error is None for report in result.reports()),
            "violations": result.violations,
        },
        "errors": result.errors,
        "passed": result.passed,
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
