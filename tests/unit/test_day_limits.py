"""The process's booking limits: solved in their own thread, once per burst, again after a
commit on that day or once stale, and never in the way of a request."""

from __future__ import annotations

import threading
from datetime import date
from uuid import UUID, uuid4

from reserve.services.day_limits import DayLimits, Solved

MONDAY = date(2026, 12, 7)


class Solver:
    """Counts its solves; each answers no limits (what matters here is when it runs)."""

    def __init__(self, clock: list[float], *, follows_bookings: bool = True) -> None:
        self.calls = 0
        self.clock = clock
        self.follows_bookings = follows_bookings
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()

    def __call__(self, previous: Solved | None) -> Solved:
        self.entered.set()
        self.release.wait(5)
        self.calls += 1
        return Solved(
            None, None, ("basis", self.calls), self.clock[0], follows_bookings=self.follows_bookings
        )


def limits_on(clock: list[float], **kwargs: float) -> DayLimits:
    return DayLimits(monotonic=lambda: clock[0], **kwargs)


def test_the_first_read_has_no_limits_and_asks_for_a_solve() -> None:
    clock = [0.0]
    limits, solver, key = limits_on(clock), Solver(clock), (uuid4(), MONDAY)

    assert limits.current(key, solver) is None
    assert limits.settle(5)
    assert solver.calls == 1


def test_a_burst_of_commits_while_a_solve_runs_is_one_more_solve() -> None:
    clock = [0.0]
    limits, solver, key = limits_on(clock, interval_seconds=0.0), Solver(clock), (uuid4(), MONDAY)
    solver.release.clear()
    limits.current(key, solver)
    assert solver.entered.wait(5)
    for _ in range(20):
        limits.changed([f"{key[0]} {MONDAY.isoformat()}"])
    solver.release.set()

    assert limits.settle(5)
    assert solver.calls == 2


def test_a_change_to_another_day_or_venue_or_not_a_change_asks_for_nothing() -> None:
    clock = [0.0]
    limits, solver, key = limits_on(clock), Solver(clock), (uuid4(), MONDAY)
    limits.current(key, solver)
    assert limits.settle(5)

    limits.changed([f"{key[0]} 2026-12-08", f"{UUID(int=1)} 2026-12-07", "nonsense", "x y"])

    assert limits.settle(5)
    assert solver.calls == 1


def test_a_day_whose_answer_no_booking_changes_is_solved_again_only_once_stale() -> None:
    clock = [0.0]
    limits = limits_on(clock, stale_seconds=30.0, interval_seconds=0.0)
    solver, key = Solver(clock, follows_bookings=False), (uuid4(), MONDAY)
    limits.current(key, solver)
    assert limits.settle(5)

    limits.changed([f"{key[0]} {MONDAY.isoformat()}"])
    assert limits.settle(5)
    assert solver.calls == 1

    clock[0] = 31.0
    limits.current(key, solver)
    assert limits.settle(5)
    assert solver.calls == 2


def test_entries_are_solved_again_once_stale_and_not_before() -> None:
    clock = [0.0]
    limits, solver, key = limits_on(clock, stale_seconds=30.0), Solver(clock), (uuid4(), MONDAY)
    limits.current(key, solver)
    assert limits.settle(5)

    clock[0] = 29.0
    limits.current(key, solver)
    assert limits.settle(5)
    assert solver.calls == 1

    clock[0] = 31.0
    limits.current(key, solver)
    assert limits.settle(5)
    assert solver.calls == 2


def test_a_solve_that_fails_keeps_what_there_was_and_is_not_asked_again_at_once() -> None:
    clock = [0.0]
    limits, key = limits_on(clock), (uuid4(), MONDAY)
    failures = []

    def failing(previous: Solved | None) -> Solved:
        failures.append(previous)
        raise RuntimeError("the solver is away")

    assert limits.current(key, failing) is None
    assert limits.settle(5)
    limits.current(key, failing)
    assert limits.settle(5)
    assert len(failures) == 1


def test_solve_now_answers_in_the_callers_thread_and_keeps_the_answer() -> None:
    clock = [0.0]
    limits, solver, key = limits_on(clock), Solver(clock), (uuid4(), MONDAY)

    assert limits.solve_now(key, solver) is None
    assert solver.calls == 1
    limits.current(key, solver)  # fresh: nothing asked
    assert limits.settle(5)
    assert solver.calls == 1
