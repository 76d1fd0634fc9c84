"""Properties of the allocator on generated floors, against a brute-force oracle written
independently of ``Floor``: every subset of tables is tried."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from reserve.domain.allocator import (
    TYPICAL_DEMAND,
    Lookahead,
    Occupancy,
    Policy,
    Request,
    allocate,
    is_available,
)
from reserve.domain.floor import AdjacencyMode, Floor, Rule
from reserve.domain.venue import Table, Venue, Zone

HOUR = 3600.0


@dataclass(frozen=True)
class Case:
    venue: Venue
    windows: tuple[tuple[str, float, float], ...]
    request: Request
    rule: Rule


@st.composite
def cases(draw: st.DrawFn) -> Case:
    zone_count = draw(st.integers(1, 3))
    tables: list[Table] = []
    for zone in range(zone_count):
        for number in range(draw(st.integers(1, 6))):
            capacity = draw(st.integers(1, 8))
            minimum = draw(st.integers(1, capacity))
            tables.append(
                Table(
                    label=f"Z{zone}-{number}",
                    zone=f"z{zone}",
                    capacity=capacity,
                    min_party=minimum,
                    max_party=capacity + draw(st.integers(0, 2)),
                    combinable=draw(st.booleans() | st.just(True)),
                    active=draw(st.sampled_from([True, True, True, False])),
                )
            )
    labels = [table.label for table in tables]
    pairs = draw(st.lists(st.tuples(st.sampled_from(labels), st.sampled_from(labels)), max_size=15))
    adjacency = frozenset(frozenset(pair) for pair in pairs if pair[0] != pair[1])
    windows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(labels),
                st.integers(0, 36).map(lambda q: q * 900.0),
                st.integers(1, 12).map(lambda q: q * 900.0),
            ).map(lambda w: (w[0], w[1], w[1] + w[2])),
            max_size=12,
        )
    )
    start = draw(st.integers(0, 36)) * 900.0
    request = Request(
        party_size=draw(st.integers(1, 20)),
        start=start,
        end=start + draw(st.integers(2, 12)) * 900.0,
        zone=draw(st.none() | st.sampled_from([f"z{z}" for z in range(zone_count)])),
    )
    rule = Rule(
        adjacency_mode=draw(st.sampled_from(list(AdjacencyMode))),
        max_tables=draw(st.integers(1, 4)),
        require_adjacency=draw(st.booleans()),
        adjacency_min_party_size=draw(st.none() | st.integers(1, 12)),
    )
    zones = tuple(Zone(f"z{z}", f"Zone {z}") for z in range(zone_count))
    venue = Venue(
        slug="generated",
        name="Generated",
        timezone="UTC",
        zones=zones,
        tables=tuple(tables),
        adjacency=adjacency,
    )
    return Case(venue, tuple(windows), request, rule)


def _adjacent(venue: Venue, a: str, b: str) -> bool:
    return frozenset((a, b)) in venue.adjacency


def _has_shape(venue: Venue, chosen: tuple[Table, ...], mode: AdjacencyMode) -> bool:
    names = [table.label for table in chosen]
    if len(names) == 1:
        return True
    if mode is AdjacencyMode.PAIRWISE:
        return all(_adjacent(venue, a, b) for a, b in combinations(names, 2))
    if mode is AdjacencyMode.NEIGHBORS:
        return any(all(_adjacent(venue, hub, o) for o in names if o != hub) for hub in names)
    reached = {names[0]}
    changed = True
    while changed:
        changed = False
        for name in names:
            if name not in reached and any(_adjacent(venue, name, r) for r in reached):
                reached.add(name)
                changed = True
    return len(reached) == len(names)


def _busy(case: Case, label: str) -> bool:
    request = case.request
    return any(
        table == label and start < request.end and end > request.start
        for table, start, end in case.windows
    )


def _valid(case: Case, chosen: tuple[Table, ...]) -> bool:
    """Whether a set of tables may seat the request, by the rules written out again."""
    party, rule = case.request.party_size, case.rule
    if len(chosen) > rule.max_tables or len({t.zone for t in chosen}) != 1:
        return False
    if not all(t.active for t in chosen):
        return False
    if case.request.zone is not None and chosen[0].zone != case.request.zone:
        return False
    if len(chosen) == 1:
        return chosen[0].min_party <= party <= chosen[0].max_party
    seats = sum(t.capacity for t in chosen)
    if not all(t.combinable for t in chosen) or party > seats:
        return False
    if party <= seats - min(t.capacity for t in chosen):
        return False  # a redundant table
    needs_shape = rule.require_adjacency and (
        rule.adjacency_min_party_size is None or party >= rule.adjacency_min_party_size
    )
    return _has_shape(case.venue, chosen, rule.adjacency_mode) if needs_shape else True


def _best_rank(case: Case) -> tuple[int, int] | None:
    best = None
    tables = case.venue.tables
    for size in range(1, case.rule.max_tables + 1):
        for chosen in combinations(tables, size):
            if _valid(case, chosen) and not any(_busy(case, t.label) for t in chosen):
                waste = max(0, sum(t.capacity for t in chosen) - case.request.party_size)
                rank = (waste, size)
                best = rank if best is None or rank < best else best
    return best


def _plan(case: Case, lookahead: bool = True) -> tuple[str, ...] | None:
    floor = Floor(case.venue)
    occupancy = Occupancy(floor, case.windows)
    policy = Policy(rule=case.rule, lookahead=lookahead)
    guide = Lookahead(floor, case.rule, TYPICAL_DEMAND)
    plan = allocate(floor, occupancy, case.request, policy, guide)
    return None if plan is None else plan.tables


@settings(max_examples=300, deadline=None)
@given(cases())
def test_a_plan_is_valid_free_and_of_the_best_rank(case: Case) -> None:
    plan = _plan(case)
    best = _best_rank(case)
    if plan is None:
        assert best is None
        return
    by_label = {table.label: table for table in case.venue.tables}
    chosen = tuple(by_label[label] for label in plan)
    assert _valid(case, chosen)
    assert not any(_busy(case, label) for label in plan)
    waste = max(0, sum(t.capacity for t in chosen) - case.request.party_size)
    assert (waste, len(chosen)) == best


@settings(max_examples=200, deadline=None)
@given(cases())
def test_the_same_inputs_give_the_same_plan_in_any_order(case: Case) -> None:
    shuffled = Case(
        venue=Venue(
            **{
                **{name: getattr(case.venue, name) for name in ("slug", "name", "timezone")},
                "zones": case.venue.zones,
                "tables": tuple(reversed(case.venue.tables)),
                "adjacency": case.venue.adjacency,
            }
        ),
        windows=tuple(reversed(case.windows)),
        request=case.request,
        rule=case.rule,
    )
    assert _plan(case) == _plan(case) == _plan(shuffled)


@settings(max_examples=200, deadline=None)
@given(cases())
def test_availability_is_true_exactly_when_allocation_succeeds(case: Case) -> None:
    floor = Floor(case.venue)
    occupancy = Occupancy(floor, case.windows)
    available = is_available(floor, occupancy, case.request, Policy(rule=case.rule))
    assert available == (_plan(case) is not None)
    assert available == (_plan(case, lookahead=False) is not None)
