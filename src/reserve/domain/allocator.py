"""Choosing tables for a party: pure functions over the floor and the day's occupancy.

The choice, in order:

1. seat waste: the fewest empty seats;
2. the fewest tables;
3. lookahead (``Policy.lookahead``): among what is left, the candidate whose tables
   later demand needs least, and which leaves the fewest unusable gaps between the
   day's bookings and holds;
4. table labels, so the same inputs always give the same plan.

``is_available`` answers "would ``allocate`` find a plan now" by walking the same
candidates with the same free test, without choosing among them.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from reserve.domain.errors import SelectorTimeout
from reserve.domain.floor import Candidate, Floor, Rule

Clock = Callable[[], float]

# Weight of a seat-hour of dead time (a gap between bookings too short for anyone) against
# one unit of lookahead value (a whole expected party losing its best candidate).
DEAD_TIME_WEIGHT = 0.02
# How often (in candidates looked at) the selector checks its deadline.
DEADLINE_STRIDE = 32


@dataclass(frozen=True, slots=True)
class Demand:
    """Expected demand: the share of parties by size. Need not sum to one."""

    party_mix: Mapping[int, float]


# A typical mix for a casual restaurant: mostly twos and fours, a tail of large groups.
TYPICAL_DEMAND = Demand(
    {1: 0.04, 2: 0.40, 3: 0.12, 4: 0.21, 5: 0.06, 6: 0.07, 7: 0.02, 8: 0.03}
    | {9: 0.01, 10: 0.015, 11: 0.01, 12: 0.015}
)


@dataclass(frozen=True, slots=True)
class Policy:
    rule: Rule = field(default_factory=Rule)
    lookahead: bool = True
    selector_timeout_ms: int = 200
    fail_hard: bool = False
    capacity_profiling: bool = False


@dataclass(frozen=True, slots=True)
class Request:
    """A party and its occupied window, in seconds since the epoch (end includes the buffer)."""

    party_size: int
    start: float
    end: float
    zone: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    tables: tuple[str, ...]
    seats: int
    waste: int
    timed_out: bool = False
    profile: Mapping[str, float] | None = None


class Occupancy:
    """The windows already taken on each table of a day: bookings, holds and blocks.

    ``shortest_stay`` is the shortest window any booking can occupy (the smallest turn time
    plus the buffer): a free gap shorter than that can never be sold. ``opens`` and
    ``closes`` bound the day.
    """

    def __init__(
        self,
        floor: Floor,
        windows: Iterable[tuple[str, float, float]],
        *,
        opens: float | None = None,
        closes: float | None = None,
        shortest_stay: float = 0.0,
    ) -> None:
        per_table: list[list[tuple[float, float]]] = [[] for _ in floor.tables]
        flat: list[tuple[float, float, int]] = []
        for label, start, end in windows:
            index = floor.index.get(label)
            if index is None:  # an inactive table: it cannot be chosen anyway
                continue
            per_table[index].append((start, end))
            flat.append((start, end, 1 << index))
        for intervals in per_table:
            intervals.sort()
        self._per_table = per_table
        self._starts = [[start for start, _ in intervals] for intervals in per_table]
        self._flat = flat
        self.opens = opens
        self.closes = closes
        self.shortest_stay = shortest_stay

    def busy(self, start: float, end: float) -> int:
        """The tables (as a bitmask) with a window overlapping ``[start, end)``."""
        mask = 0
        for taken_start, taken_end, bit in self._flat:
            if taken_start < end and taken_end > start:
                mask |= bit
        return mask

    def dead_seconds(self, table: int, start: float, end: float) -> float:
        """Time that seating ``[start, end)`` at a table would leave unsellable around it."""
        intervals = self._per_table[table]
        position = bisect_right(self._starts[table], start)
        before = intervals[position - 1][1] if position else self.opens
        after = intervals[position][0] if position < len(intervals) else self.closes
        dead = 0.0
        for gap in (
            None if before is None else start - before,
            None if after is None else after - end,
        ):
            if gap is not None and 0 < gap < self.shortest_stay:
                dead += gap
        return dead


class Lookahead:
    """What each candidate is worth to later demand, computed once per floor, rule and mix.

    For every party size, the candidates that would seat it best on an empty floor share
    that size's expected demand. Taking a table then costs the value of every free
    candidate that contains it.
    """

    def __init__(
        self,
        floor: Floor,
        rule: Rule,
        demand: Demand,
        *,
        dead_time_weight: float = DEAD_TIME_WEIGHT,
    ) -> None:
        self.dead_time_weight = dead_time_weight
        total = sum(demand.party_mix.values()) or 1.0
        value: dict[int, float] = {}
        for party_size, share in demand.party_mix.items():
            best = _best_tier(floor.candidates_for(party_size, rule), party_size)
            for candidate in best:
                value[candidate.mask] = value.get(candidate.mask, 0.0) + share / total / len(best)
        by_table: list[list[tuple[int, float]]] = [[] for _ in floor.tables]
        for mask, worth in value.items():
            for i in range(len(floor.tables)):
                if mask >> i & 1:
                    by_table[i].append((mask, worth))
        self._by_table = by_table
        self.capacities = tuple(table.capacity for table in floor.tables)

    def cost(self, candidate: Candidate, busy: int) -> float:
        """The value of the free candidates that taking ``candidate`` would block."""
        seen: set[int] = set()
        cost = 0.0
        for i in candidate.tables:
            for mask, worth in self._by_table[i]:
                if mask & busy == 0 and mask not in seen:
                    seen.add(mask)
                    cost += worth
        return cost


def _best_tier(candidates: tuple[Candidate, ...], party_size: int) -> list[Candidate]:
    if not candidates:
        return []
    first = candidates[0]
    rank = (first.waste(party_size), len(first.tables))
    return [c for c in candidates if (c.waste(party_size), len(c.tables)) == rank]


def _free(floor: Floor, occupancy: Occupancy, request: Request, rule: Rule) -> Iterator[Candidate]:
    """The candidates that can seat the request and are free for its window, best first."""
    busy = occupancy.busy(request.start, request.end)
    for candidate in floor.candidates_for(request.party_size, rule):
        if candidate.mask & busy == 0 and (request.zone is None or candidate.zone == request.zone):
            yield candidate


def is_available(floor: Floor, occupancy: Occupancy, request: Request, rule: Rule) -> bool:
    """Whether ``allocate`` would find tables for ``request`` now."""
    return next(_free(floor, occupancy, request, rule), None) is not None


def allocate(
    floor: Floor,
    occupancy: Occupancy,
    request: Request,
    policy: Policy,
    lookahead: Lookahead | None = None,
    *,
    clock: Clock = time.perf_counter,
) -> Plan | None:
    """The tables to seat ``request`` at, or None when nothing is free.

    ``lookahead`` (built once per floor, rule and demand) breaks ties between candidates
    of equal waste and size; without it, or with ``policy.lookahead`` off, labels do.
    """
    search = _Search(floor, occupancy, request, policy, clock)
    tier = search.first_tier()
    scanned = clock()
    chosen = tier[0] if tier else None
    if policy.lookahead and lookahead is not None and len(tier) > 1 and not search.timed_out:
        chosen = search.least_costly(tier, lookahead)
    if search.timed_out and policy.fail_hard:
        raise SelectorTimeout(f"the table search took longer than {policy.selector_timeout_ms} ms")
    if chosen is None:
        return None
    profile = None
    if policy.capacity_profiling:
        finished = clock()
        profile = {
            "candidates_ms": (scanned - search.began) * 1000,
            "lookahead_ms": (finished - scanned) * 1000,
            "total_ms": (finished - search.began) * 1000,
        }
    return Plan(
        tables=chosen.labels,
        seats=chosen.seats,
        waste=chosen.waste(request.party_size),
        timed_out=search.timed_out,
        profile=profile,
    )


class _Search:
    """One request's search, with its deadline."""

    def __init__(
        self, floor: Floor, occupancy: Occupancy, request: Request, policy: Policy, clock: Clock
    ) -> None:
        self.floor = floor
        self.occupancy = occupancy
        self.request = request
        self.policy = policy
        self.clock = clock
        self.began = clock()
        self.deadline = self.began + policy.selector_timeout_ms / 1000
        self.timed_out = False

    def past_deadline(self, seen: int) -> bool:
        if seen % DEADLINE_STRIDE == DEADLINE_STRIDE - 1 and self.clock() > self.deadline:
            self.timed_out = True
        return self.timed_out

    def first_tier(self) -> list[Candidate]:
        """The free candidates of the best (waste, table count) found before the deadline."""
        party = self.request.party_size
        tier: list[Candidate] = []
        rank: tuple[int, int] | None = None
        free = _free(self.floor, self.occupancy, self.request, self.policy.rule)
        for seen, candidate in enumerate(free):
            candidate_rank = (candidate.waste(party), len(candidate.tables))
            if rank is None:
                rank = candidate_rank
            elif candidate_rank != rank:
                break
            tier.append(candidate)
            if self.past_deadline(seen):
                break
        return tier

    def least_costly(self, tier: list[Candidate], lookahead: Lookahead) -> Candidate:
        """The candidate of the tier that later demand misses least (then by labels)."""
        start, end = self.request.start, self.request.end
        busy = self.occupancy.busy(start, end)
        best: tuple[float, tuple[str, ...]] | None = None
        chosen = tier[0]
        for seen, candidate in enumerate(tier):
            dead_seat_seconds = sum(
                self.occupancy.dead_seconds(i, start, end) * lookahead.capacities[i]
                for i in candidate.tables
            )
            cost = lookahead.cost(candidate, busy)
            cost += lookahead.dead_time_weight * dead_seat_seconds / 3600
            if best is None or (cost, candidate.labels) < best:
                best, chosen = (cost, candidate.labels), candidate
            if self.past_deadline(seen):
                break
        return chosen
