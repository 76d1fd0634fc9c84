"""The floor as the allocator sees it: tables by index, adjacency as bitmasks, and every
candidate (one table, or a combination of tables pushed together) computed once.

A floor changes rarely and is read on every booking, so the work is done here, once per
floor and rule: ``Floor.candidates_for(party, rule)`` answers from a cache with the
candidates that can seat a party, best first. A request then only checks which of them
are free.

Combinations are 2..k combinable, active tables of one zone, whose shape satisfies the
adjacency mode when adjacency is required for that party:

- ``connected``: the tables form a connected subgraph of the adjacency graph;
- ``pairwise``: every two of them are adjacent;
- ``neighbors``: one of them is adjacent to every other.

A combination never carries a redundant table: without its smallest table it must no
longer seat the party (seating two guests at two 4-tops pushed together is never offered).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations

from reserve.domain.venue import Table, Venue

MAX_TABLES_LIMIT = 5


class AdjacencyMode(StrEnum):
    CONNECTED = "connected"
    PAIRWISE = "pairwise"
    NEIGHBORS = "neighbors"


@dataclass(frozen=True, slots=True)
class Rule:
    """Which combinations a venue allows (the allocator flags that shape candidates)."""

    adjacency_mode: AdjacencyMode = AdjacencyMode.CONNECTED
    max_tables: int = 3
    require_adjacency: bool = True
    adjacency_min_party_size: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.max_tables <= MAX_TABLES_LIMIT:
            raise ValueError(f"max_tables must be 1..{MAX_TABLES_LIMIT}, not {self.max_tables}")

    def needs_adjacency(self, party_size: int) -> bool:
        if not self.require_adjacency:
            return False
        return self.adjacency_min_party_size is None or party_size >= self.adjacency_min_party_size

    @property
    def any_shape_possible(self) -> bool:
        """Whether some party may sit at tables that are not adjacent."""
        return not self.require_adjacency or self.adjacency_min_party_size is not None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A single table or a combination: where one party could sit."""

    tables: tuple[int, ...]  # indices into Floor.tables, ascending (so in label order)
    labels: tuple[str, ...]
    mask: int  # bit i set for table i
    seats: int  # capacity, summed over the tables
    least: int  # the smallest party it may seat
    most: int  # the largest party it may seat
    zone: str
    shaped: bool  # satisfies the adjacency mode (a single table always does)

    def fits(self, party_size: int) -> bool:
        return self.least <= party_size <= self.most

    def waste(self, party_size: int) -> int:
        """Seats left empty (an extendable table seating more than its capacity wastes none)."""
        return max(0, self.seats - party_size)


class Floor:
    """The active tables of a venue, with every candidate precomputed per rule."""

    def __init__(self, venue: Venue) -> None:
        active = sorted((table for table in venue.tables if table.active), key=lambda t: t.label)
        self.tables: tuple[Table, ...] = tuple(active)
        self.index: dict[str, int] = {table.label: i for i, table in enumerate(active)}
        self.capacities: tuple[int, ...] = tuple(table.capacity for table in active)
        neighbours = [0] * len(active)
        for pair in venue.adjacency:
            first, second = sorted(pair)
            if first in self.index and second in self.index:
                a, b = self.index[first], self.index[second]
                if active[a].zone == active[b].zone:
                    neighbours[a] |= 1 << b
                    neighbours[b] |= 1 << a
        self.neighbours: tuple[int, ...] = tuple(neighbours)
        self._combinations: dict[tuple[AdjacencyMode, int, bool], tuple[Candidate, ...]] = {}
        self._by_party: dict[tuple[Rule, int], tuple[Candidate, ...]] = {}
        self.singles: tuple[Candidate, ...] = tuple(
            Candidate(
                tables=(i,),
                labels=(table.label,),
                mask=1 << i,
                seats=table.capacity,
                least=table.min_party,
                most=table.max_party,
                zone=table.zone,
                shaped=True,
            )
            for i, table in enumerate(active)
        )

    def __len__(self) -> int:
        return len(self.tables)

    def candidates_for(self, party_size: int, rule: Rule) -> tuple[Candidate, ...]:
        """Every candidate that can seat the party under ``rule``, best first: least waste,
        then fewest tables, then by labels."""
        key = (rule, party_size)
        cached = self._by_party.get(key)
        if cached is None:
            needs_shape = rule.needs_adjacency(party_size)
            fitting = [
                candidate
                for candidate in (*self.singles, *self.combinations(rule))
                if candidate.fits(party_size) and (candidate.shaped or not needs_shape)
            ]
            fitting.sort(key=lambda c: (c.waste(party_size), len(c.tables), c.labels))
            cached = self._by_party[key] = tuple(fitting)
        return cached

    def largest_party(self, rule: Rule) -> int:
        """The largest party any candidate can seat under ``rule`` (0 for an empty floor)."""
        best = max((c.most for c in self.singles), default=0)
        for candidate in self.combinations(rule):
            best = max(best, self._largest_for(candidate, rule))
        return best

    @staticmethod
    def _largest_for(candidate: Candidate, rule: Rule) -> int:
        if candidate.shaped or not rule.require_adjacency:
            return candidate.most
        if rule.adjacency_min_party_size is None:
            return 0
        # Below the minimum party size adjacency is not required.
        top = min(candidate.most, rule.adjacency_min_party_size - 1)
        return top if top >= candidate.least else 0

    def has_shape(self, labels: Collection[str], mode: AdjacencyMode) -> bool:
        """Whether the tables ``labels`` are pushed together in the shape ``mode`` asks for (a
        single table always is); False when one of them is not an active table of the floor."""
        if any(label not in self.index for label in labels):
            return False
        members = tuple(sorted({self.index[label] for label in labels}))
        if len(members) < 2:
            return True
        return self._has_shape(members, self.mask_of(labels), mode)

    def mask_of(self, labels: Collection[str]) -> int:
        """The active tables ``labels`` as a bitmask, as ``Occupancy.busy`` answers."""
        mask = 0
        for label in labels:
            mask |= 1 << self.index[label]
        return mask

    def combinations(self, rule: Rule) -> tuple[Candidate, ...]:
        """The combinations of 2..k tables that ``rule`` may ever use."""
        key = (rule.adjacency_mode, rule.max_tables, rule.any_shape_possible)
        cached = self._combinations.get(key)
        if cached is None:
            masks = (
                self._same_zone_sets(rule.max_tables)
                if rule.any_shape_possible
                else self._connected_sets(rule.max_tables)
            )
            built = (self._combination(mask, rule.adjacency_mode) for mask in sorted(masks))
            cached = self._combinations[key] = tuple(c for c in built if c is not None)
        return cached

    def _combinable(self) -> list[int]:
        return [i for i, table in enumerate(self.tables) if table.combinable]

    def _connected_sets(self, max_tables: int) -> set[int]:
        allowed = 0
        for i in self._combinable():
            allowed |= 1 << i
        found: set[int] = set()
        frontier = {1 << i for i in self._combinable()}
        for _ in range(2, max_tables + 1):
            grown: set[int] = set()
            for mask in frontier:
                reach = 0
                for i in _bits(mask):
                    reach |= self.neighbours[i]
                for j in _bits(reach & allowed & ~mask):
                    grown.add(mask | 1 << j)
            found |= grown
            frontier = grown
        return found

    def _same_zone_sets(self, max_tables: int) -> set[int]:
        zones: dict[str, list[int]] = {}
        for i in self._combinable():
            zones.setdefault(self.tables[i].zone, []).append(i)
        found: set[int] = set()
        for members in zones.values():
            for size in range(2, max_tables + 1):
                for chosen in combinations(members, size):
                    mask = 0
                    for i in chosen:
                        mask |= 1 << i
                    found.add(mask)
        return found

    def _combination(self, mask: int, mode: AdjacencyMode) -> Candidate | None:
        members = tuple(_bits(mask))
        zone = self.tables[members[0]].zone
        if any(self.tables[i].zone != zone for i in members):
            return None
        capacities = [self.tables[i].capacity for i in members]
        seats = sum(capacities)
        return Candidate(
            tables=members,
            labels=tuple(self.tables[i].label for i in members),
            mask=mask,
            seats=seats,
            least=seats - min(capacities) + 1,
            most=seats,
            zone=zone,
            shaped=self._has_shape(members, mask, mode),
        )

    def _has_shape(self, members: tuple[int, ...], mask: int, mode: AdjacencyMode) -> bool:
        closed = [self.neighbours[i] | 1 << i for i in members]
        if mode is AdjacencyMode.PAIRWISE:
            return all(reach & mask == mask for reach in closed)
        if mode is AdjacencyMode.NEIGHBORS:
            return any(reach & mask == mask for reach in closed)
        return _connected(members, self.neighbours, mask)


def _bits(mask: int) -> list[int]:
    """The indices of the set bits, ascending."""
    found = []
    while mask:
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return found


def _connected(members: tuple[int, ...], neighbours: tuple[int, ...], mask: int) -> bool:
    seen = 1 << members[0]
    frontier = seen
    while frontier:
        reach = 0
        for i in _bits(frontier):
            reach |= neighbours[i]
        frontier = reach & mask & ~seen
        seen |= frontier
    return seen == mask
