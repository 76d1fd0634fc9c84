"""The process's booking limits, one entry per venue and service date, solved in a thread
of their own so that no request waits for the linear program.

A request reads the entry as it is (``current``: a dictionary lookup). The entry is solved
again after anything on that venue's day commits in this process (``changed``, fed by the
database's commit hook), when it is older than ``STALE_SECONDS`` (other processes' bookings
reach it that way), and the first time it is asked for. Requests for the same entry while
it waits are one solve. Until the first solve lands a venue-day has no limits, which is how
the allocator behaves without history: nothing is declined while a table is free.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from reserve.planning.limits import BookingLimits, LimitsModel

log = logging.getLogger("reserve.admission")

STALE_SECONDS = 30.0
# The same venue-day is solved at most this often: a burst of bookings (a load test, a
# popular release of tables) costs a few solves a second, not one per booking.
INTERVAL_SECONDS = 0.25
MAX_ENTRIES = 512

Key = tuple[UUID, date]


@dataclass(frozen=True, slots=True)
class Solved:
    """One solve's answer, and what the next solve may start from: the model (kept while
    the fixed occupancy and the venue are the same, ``basis``). Without ``follows_bookings``
    (a venue-day with no forecast) nothing committed on the day can change the answer, so
    only its age has it solved again."""

    limits: BookingLimits | None
    model: LimitsModel | None
    basis: Any
    at: float
    follows_bookings: bool = True


Solver = Callable[[Solved | None], Solved]


class DayLimits:
    def __init__(
        self,
        *,
        stale_seconds: float = STALE_SECONDS,
        interval_seconds: float = INTERVAL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stale = stale_seconds
        self._interval = interval_seconds
        self._max = max_entries
        self.monotonic = monotonic  # the clock entries' ages are measured on
        self._entries: OrderedDict[Key, Solved] = OrderedDict()
        self._solvers: dict[Key, Solver] = {}  # how to solve each entry again
        self._waiting: OrderedDict[Key, None] = OrderedDict()
        self._busy = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def current(self, key: Key, solver: Solver) -> BookingLimits | None:
        """The limits solved last for ``key`` (None before the first solve); asks for a new
        solve, by ``solver``, when there is none yet or it is stale."""
        with self._cond:
            self._solvers[key] = solver
            entry = self._entries.get(key)
            if entry is None or self.monotonic() - entry.at > self._stale:
                self._ask(key)
            return None if entry is None else entry.limits

    def changed(self, changes: Iterable[str]) -> None:
        """What committed (``<restaurant id> <YYYY-MM-DD>`` each): solve those days again,
        where this process has limits for them that a booking can change."""
        with self._cond:
            for change in changes:
                restaurant, _, day = change.partition(" ")
                try:
                    key = (UUID(restaurant), date.fromisoformat(day))
                except ValueError:
                    continue
                entry = self._entries.get(key)
                if key in self._solvers and (entry is None or entry.follows_bookings):
                    self._ask(key)

    def solve_now(self, key: Key, solver: Solver) -> BookingLimits | None:
        """Solve ``key`` in the caller's thread and keep the answer (for commands and
        benchmarks that must not wait for the thread)."""
        with self._cond:
            self._solvers[key] = solver
            previous = self._entries.get(key)
        solved = solver(previous)
        with self._cond:
            self._keep(key, solved)
        return solved.limits

    def settle(self, timeout: float) -> bool:
        """Wait until no solve is waiting or running; whether that happened in time."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._waiting or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _ask(self, key: Key) -> None:
        self._waiting[key] = None
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="booking-limits", daemon=True)
            self._thread.start()
        self._cond.notify_all()

    def _keep(self, key: Key, solved: Solved) -> None:
        self._entries[key] = solved
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            gone, _ = self._entries.popitem(last=False)
            self._solvers.pop(gone, None)

    def _next(self) -> tuple[Key, Solved | None]:
        """The first waiting entry whose last solve is at least ``interval`` old (waiting
        for one, the lock released meanwhile)."""
        while True:
            now = self.monotonic()
            soonest = None
            for key in self._waiting:
                previous = self._entries.get(key)
                due = 0.0 if previous is None else previous.at + self._interval
                if due <= now:
                    del self._waiting[key]
                    return key, previous
                soonest = due if soonest is None else min(soonest, due)
            self._cond.wait(None if soonest is None else soonest - now)

    def _run(self) -> None:
        while True:
            with self._cond:
                key, previous = self._next()
                solver = self._solvers.get(key)
                self._busy = True
            try:
                if solver is not None:
                    solved = solver(previous)
                    with self._cond:
                        self._keep(key, solved)
            except Exception as error:  # the limits stay as they were; requests go on
                log.warning("booking limits for %s %s not solved: %s", key[0], key[1], error)
                kept = None if previous is None else previous.limits
                with self._cond:  # tried again once stale, not at every request
                    self._keep(key, Solved(kept, None, None, self.monotonic()))
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
