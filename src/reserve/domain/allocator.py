"""Choosing tables for a party: pure functions over the floor and the day's occupancy.

The choice, in order:

1. seat waste: the fewest empty seats;
2. the fewest tables;
3. lookahead (``Policy.lookahead``): among what is left, the candidate whose tables
   later demand needs least, counting only what the day's bookings and holds leave free;
4. table labels, so the same inputs always give the same plan.

Before choosing, admission (``Policy.admission``) may keep a free table for the demand
still expected for the day:

- ``limits``: booking limits (``reserve.domain.admission``) say which kinds of party are
  still worth accepting;
- ``protection``: with an ``Outlook``, when the covers still expected over a request's
  window outnumber the free seats by ``CROWDED``, a party that would leave much of its
  table empty (filling less than ``PROTECT_BELOW`` of the seats) is declined;
- ``none``: never.

Without history (no limits, no outlook) nothing is ever declined while a table is free.

``is_available`` answers "would ``allocate`` find a plan now" by walking the same
candidates with the same free test and the same admission, without choosing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from reserve.domain.errors import SelectorTimeout
from reserve.domain.floor import Candidate, Floor, Rule

Timer = Callable[[], float]  # seconds, for the search deadline

# How often (in candidates looked at) the selector checks its deadline.
DEADLINE_STRIDE = 32
# Protection of peak capacity (with an Outlook): decline a party filling less than
# PROTECT_BELOW of its seats when the covers still expected over its window are at least
# CROWDED times the free seats. Measured by bench/allocator_quality.py.
PROTECT_BELOW = 0.55
CROWDED = 1.5


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
class Expected:
    """Requests still expected for one kind of party: its size and occupied window (epoch
    seconds, the end with the buffer), and how many of them (a mean, so fractional)."""

    party_size: int
    start: float
    end: float
    count: float


@dataclass(frozen=True, slots=True)
class Outlook:
    """The demand still expected for a day, learned from the venue's demand records: every
    kind of party (start and size) with the requests for it still to come."""

    expected: tuple[Expected, ...]

    def covers_over(self, start: float, end: float) -> float:
        """Covers still expected to be at tables at some point of ``[start, end)``."""
        return sum(
            kind.count * kind.party_size
            for kind in self.expected
            if kind.start < end and kind.end > start
        )


class Admission(StrEnum):
    """Which parties a venue turns away while a table is free, to seat expected demand.

    ``none``: never; ``protection``: a party filling little of its table when the covers
    still expected over its window crowd the free seats; ``limits``: a kind of party
    (start and size) the booking limits no longer accept."""

    NONE = "none"
    PROTECTION = "protection"
    LIMITS = "limits"


@dataclass(frozen=True, slots=True)
class Policy:
    rule: Rule = field(default_factory=Rule)
    lookahead: bool = True
    selector_timeout_ms: int = 200
    fail_hard: bool = False
    capacity_profiling: bool = False
    admission: Admission = Admission.LIMITS
    pooling: bool = True
    pooling_freeze_minutes: int = 60  # a booking starting sooner keeps its tables


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
    """The windows already taken on each table of a day: bookings, holds and blocks."""

    def __init__(self, floor: Floor, windows: Iterable[tuple[str, float, float]]) -> None:
        taken: list[tuple[float, float, int]] = []
        for label, start, end in windows:
            index = floor.index.get(label)
            if index is not None:  # an inactive table cannot be chosen anyway
                taken.append((start, end, 1 << index))
        self._taken = taken
        self._floor = floor

    def with_windows(self, windows: Iterable[tuple[str, float, float]]) -> Occupancy:
        """This occupancy and ``windows`` too (a new occupancy; this one is unchanged)."""
        joined = Occupancy(self._floor, windows)
        joined._taken = self._taken + joined._taken
        return joined

    def busy(self, start: float, end: float) -> int:
        """The tables (as a bitmask) with a window overlapping ``[start, end)``."""
        mask = 0
        for taken_start, taken_end, bit in self._taken:
            if taken_start < end and taken_end > start:
                mask |= bit
        return mask


class Lookahead:
    """What each candidate is worth to later demand, computed once per floor, rule and mix.

    For every party size, the candidates that would seat it best on an empty floor share
    that size's expected demand. Taking a table then costs the value of every free
    candidate that contains it.
    """

    def __init__(self, floor: Floor, rule: Rule, demand: Demand) -> None:
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


def free_candidates(
    floor: Floor, occupancy: Occupancy, request: Request, rule: Rule
) -> list[Candidate]:
    """Every candidate that can seat the request and is free for its whole window, best
    first (least waste, fewest tables, labels): what staff may choose from by hand."""
    return list(_free(floor, occupancy, request, rule))


def is_available(
    floor: Floor,
    occupancy: Occupancy,
    request: Request,
    policy: Policy,
    *,
    outlook: Outlook | None = None,
    limits: Limits | None = None,
) -> bool:
    """Whether ``allocate`` would find tables for ``request`` now."""
    first = next(_free(floor, occupancy, request, policy.rule), None)
    if first is None:
        return False
    return admits(floor, occupancy, request, first, policy, outlook, limits)


class Limits(Protocol):
    """Booking limits: whether a kind of party (its size and window) is still worth
    accepting (``reserve.domain.admission``)."""

    def admits(self, request: Request) -> bool: ...


def admits(
    floor: Floor,
    occupancy: Occupancy,
    request: Request,
    candidate: Candidate,
    policy: Policy,
    outlook: Outlook | None,
    limits: Limits | None,
) -> bool:
    """Whether to seat the party at ``candidate`` rather than keep the tables for the demand
    still expected, by the policy's ``admission``; without an outlook or limits (no
    history), always.

    Every candidate of a tier has the same seats, so the first free one decides for all.
    """
    if policy.admission is Admission.LIMITS:
        return limits is None or limits.admits(request)
    if policy.admission is not Admission.PROTECTION:
        return True
    party = request.party_size
    if outlook is None or party >= PROTECT_BELOW * candidate.seats:
        return True
    busy = occupancy.busy(request.start, request.end)
    free_seats = sum(seats for i, seats in enumerate(floor.capacities) if not busy >> i & 1)
    return outlook.covers_over(request.start, request.end) < CROWDED * free_seats


def allocate(
    floor: Floor,
    occupancy: Occupancy,
    request: Request,
    policy: Policy,
    lookahead: Lookahead | None = None,
    *,
    outlook: Outlook | None = None,
    limits: Limits | None = None,
    clock: Timer = time.perf_counter,
) -> Plan | None:
    """The tables to seat ``request`` at, or None when nothing is free (or when the
    policy's admission keeps the tables for the demand still expected: see ``admits``).

    ``lookahead`` (built once per floor, rule and demand) breaks ties between candidates
    of equal waste and size; without it, or with ``policy.lookahead`` off, labels do.
    """
    search = _Search(floor, occupancy, request, policy, clock)
    tier = search.first_tier()
    scanned = clock()
    if search.timed_out and (policy.fail_hard or not tier):
        # Out of time: an error when told to fail hard, and with nothing found so far
        # there is no best plan to fall back on either.
        raise SelectorTimeout(f"the table search took longer than {policy.selector_timeout_ms} ms")
    if tier and not admits(floor, occupancy, request, tier[0], policy, outlook, limits):
        tier = []  # kept for the demand still expected
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
        self, floor: Floor, occupancy: Occupancy, request: Request, policy: Policy, clock: Timer
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
        busy = self.occupancy.busy(self.request.start, self.request.end)
        best: tuple[float, tuple[str, ...]] | None = None
        chosen = tier[0]
        for seen, candidate in enumerate(tier):
            score = (lookahead.cost(candidate, busy), candidate.labels)
            if best is None or score < best:
                best, chosen = score, candidate
            if self.past_deadline(seen):
                break
        return chosen
