"""Booking limits: which kinds of party (start and size) are still worth accepting for a
day, from a linear program over the demand still expected and the table time still free.

The program places expected parties fractionally:

- a variable ``x[k, c]`` for each kind ``k`` of party still expected and each candidate
  ``c`` (a table or combination) that could seat it and that nothing fixed occupies
  during the kind's window, worth ``party_k`` covers;
- each kind takes at most the requests still expected for it: ``sum_c x[k, c] <= count_k``;
- each booking whose tables may move (``Placed``) is seated exactly once, somewhere its
  zone allows: pooled tables are the program's to rearrange, so what is booked does not
  pin its tables, only its time;
- no table holds more than one party at any instant. Windows are intervals, so it is
  enough to check the instants where some window starts;
- maximise covers.

``accepted[k] = sum_c x[k, c]`` (less the kind's bookings) is the kind's booking limit: how
many more parties of that kind the program would still take. A request of a kind the
program expects is admitted while its limit is at least ``share`` of one party (of the
count expected, when less than one is): a kind the program would hardly take more of is
one whose tables seat more covers with other parties. A request of a kind it does not
expect at all (the history never asked for it) is priced instead: admitted when its covers
are worth at least the shadow prices (the capacity rows' duals) of the cheapest table time
free to seat it, the price later parties would pay for that time.
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from reserve.domain.allocator import Expected, Occupancy, Request
from reserve.domain.floor import Candidate, Floor, Rule
from reserve.domain.pooling import Placed, occupied

# Admit a kind the program expects while its limit is at least this share of one more
# party of it. Chosen with bench/pooling_replay.py on days other than those it reports.
SHARE = 0.5
# Kinds expected less than this many times are priced, not limited.
EXPECTED_AT_LEAST = 1e-6
TIME_LIMIT_SECONDS = 2.0

Kind = tuple[int, float, float]  # party size, start, end


@dataclass(frozen=True, slots=True)
class BookingLimits:
    """The answer of one solve: the limit and expected count of each kind, and the price of
    each table's time at each instant the program checks."""

    floor: Floor
    rule: Rule
    taken: Occupancy  # what is fixed, and the movable bookings where they sit
    accepted: dict[Kind, float]
    expected: dict[Kind, float]
    instants: tuple[float, ...]
    prices: np.ndarray  # [table, instant]: the dual of that table's capacity there
    share: float
    seconds: float
    optimal: bool

    def admits(self, request: Request) -> bool:
        if not self.optimal:
            return True  # no trustworthy answer: behave as without history
        kind = (request.party_size, request.start, request.end)
        expected = self.expected.get(kind, 0.0)
        accepted = self.accepted.get(kind, 0.0)
        if expected >= EXPECTED_AT_LEAST:
            return accepted >= self.share * min(1.0, expected) - 1e-9
        return request.party_size >= self.price(request) - 1e-9

    def price(self, request: Request) -> float:
        """What the cheapest free candidate's table time over the request's window is worth
        to the demand still expected (infinite when none is free): free of what is fixed
        and of the bookings where they sit now, since the program's prices say nothing of
        the room moving them would make."""
        first = bisect.bisect_left(self.instants, request.start)
        last = bisect.bisect_left(self.instants, request.end)
        busy = self.taken.busy(request.start, request.end)
        cheapest = math.inf
        over_window = self.prices[:, first:last].sum(axis=1) if last > first else None
        for candidate in self.floor.candidates_for(request.party_size, self.rule):
            if candidate.mask & busy or (request.zone and candidate.zone != request.zone):
                continue
            if over_window is None:
                return 0.0
            cheapest = min(cheapest, float(sum(over_window[i] for i in candidate.tables)))
        return cheapest


def solve_limits(
    floor: Floor,
    rule: Rule,
    fixed: Occupancy,
    placed: Sequence[Placed],
    expected: Sequence[Expected],
    *,
    share: float = SHARE,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> BookingLimits:
    """Solve the program for a day once: ``fixed`` is what cannot move (holds, blocks,
    seated, pinned and soon-starting bookings), ``placed`` the bookings whose tables may."""
    model = LimitsModel(floor, rule, fixed, _instants(placed, expected))
    return model.solve(placed, expected, share=share, time_limit=time_limit)


class LimitsModel:
    """One day's program, kept between solves: the next solve changes only the bounds of
    each kind's row (and adds the kinds it has not seen), so HiGHS starts from the last
    basis, tens of milliseconds where a fresh solve takes hundreds.

    A booking whose tables may move is a party of its kind that must be seated: a kind's
    row runs from the bookings of that kind to those plus the requests still expected.
    ``fixed`` and the instants checked are the model's own; when either changes (time
    passes, a table is held or a party seated), build a new model.
    """

    def __init__(
        self, floor: Floor, rule: Rule, fixed: Occupancy, instants: Sequence[float]
    ) -> None:
        self.floor = floor
        self.rule = rule
        self.fixed = fixed
        self.instants = tuple(sorted(set(instants)))
        self._known = set(self.instants)
        self._capacity_rows = len(floor.tables) * len(self.instants)
        self._rows: dict[tuple[int, float, float, str | None], int] = {}  # kind: its row
        self._columns: list[int] = []  # each column's kind row
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("random_seed", 0)
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        count = self._capacity_rows
        highs.addRows(
            count,
            np.full(count, -np.inf),
            np.ones(count),
            0,
            np.zeros(count, dtype=np.int32),
            np.array([], dtype=np.int32),
            np.array([]),
        )
        self._highs = highs

    def covers(self, placed: Sequence[Placed], expected: Sequence[Expected]) -> bool:
        """Whether every window starts at an instant the model checks."""
        return all(p.start in self._known for p in placed) and all(
            e.start in self._known for e in expected if e.count > 0
        )

    def solve(
        self,
        placed: Sequence[Placed],
        expected: Sequence[Expected],
        *,
        share: float = SHARE,
        time_limit: float = TIME_LIMIT_SECONDS,
    ) -> BookingLimits:
        began = time.perf_counter()
        if not self.covers(placed, expected):
            raise ValueError("a window starts at an instant the model does not check")
        lower: dict[tuple[int, float, float, str | None], float] = {}
        upper: dict[tuple[int, float, float, str | None], float] = {}
        counts: dict[Kind, float] = {}
        for booking in placed:
            key = (booking.party_size, booking.start, booking.end, booking.zone)
            lower[key] = lower.get(key, 0.0) + 1
            upper[key] = upper.get(key, 0.0) + 1
        for more in expected:
            if more.count > 0:
                key = (more.party_size, more.start, more.end, None)
                upper[key] = upper.get(key, 0.0) + more.count
                kind = (more.party_size, more.start, more.end)
                counts[kind] = counts.get(kind, 0.0) + more.count
        for key in upper:
            if key not in self._rows:
                self._add_kind(key)
        rows = np.array(list(self._rows.values()), dtype=np.int32)
        keys = list(self._rows)
        self._highs.changeRowsBounds(  # type: ignore[attr-defined]
            len(rows),
            rows,
            np.array([lower.get(key, 0.0) for key in keys]),
            np.array([upper.get(key, 0.0) for key in keys]),
        )
        # HiGHS' time limit counts the instance's whole running time, every solve so far.
        limit = self._highs.getRunTime() + float(time_limit)
        self._highs.setOptionValue("time_limit", limit)
        self._highs.run()
        optimal = self._highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        tables = len(self.floor.tables)
        accepted = dict.fromkeys(counts, 0.0)
        prices = np.zeros((tables, len(self.instants)))
        if optimal:
            solution = self._highs.getSolution()
            by_row = {row: key for key, row in self._rows.items()}
            taken: dict[int, float] = {}
            for row, value in zip(self._columns, solution.col_value, strict=True):
                taken[row] = taken.get(row, 0.0) + value
            for row, value in taken.items():
                key = by_row[row]
                kind = (key[0], key[1], key[2])
                if kind in accepted:
                    accepted[kind] += value - lower.get(key, 0.0)
            duals = np.array(solution.row_dual[: self._capacity_rows])
            # HiGHS gives a maximisation's binding capacity rows non-positive duals.
            prices = np.abs(duals).reshape(tables, len(self.instants))
        return BookingLimits(
            floor=self.floor,
            rule=self.rule,
            taken=occupied(self.fixed, placed),
            accepted=accepted,
            expected=counts,
            instants=self.instants,
            prices=prices,
            share=share,
            seconds=time.perf_counter() - began,
            optimal=optimal,
        )

    def _add_kind(self, key: tuple[int, float, float, str | None]) -> None:
        party, start, end, zone = key
        row = self._capacity_rows + len(self._rows)
        self._rows[key] = row
        self._highs.addRow(0.0, 0.0, 0, np.array([], dtype=np.int32), np.array([]))
        candidates = _open(self.floor, self.rule, self.fixed, party, start, end, zone)
        if not candidates:
            return
        starts: list[int] = []
        indices: list[int] = []
        for candidate in candidates:
            starts.append(len(indices))
            indices.extend(_capacity_rows(candidate, self.instants, start, end))
            indices.append(row)
            self._columns.append(row)
        count = len(candidates)
        self._highs.addCols(
            count,
            np.full(count, float(party)),
            np.zeros(count),
            np.full(count, np.inf),
            len(indices),
            np.array(starts, dtype=np.int32),
            np.array(indices, dtype=np.int32),
            np.ones(len(indices)),
        )


def _instants(placed: Sequence[Placed], expected: Sequence[Expected]) -> list[float]:
    return [p.start for p in placed] + [e.start for e in expected if e.count > 0]


def _open(
    floor: Floor,
    rule: Rule,
    fixed: Occupancy,
    party: int,
    start: float,
    end: float,
    zone: str | None,
) -> list[Candidate]:
    busy = fixed.busy(start, end)
    return [
        candidate
        for candidate in floor.candidates_for(party, rule)
        if candidate.mask & busy == 0 and (zone is None or candidate.zone == zone)
    ]


def _capacity_rows(
    candidate: Candidate, instants: Sequence[float], start: float, end: float
) -> list[int]:
    first = bisect.bisect_left(instants, start)
    last = bisect.bisect_left(instants, end)
    width = len(instants)
    return [i * width + p for i in candidate.tables for p in range(first, last)]
