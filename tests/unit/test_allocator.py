"""The allocator, in sentences: what it chooses and what it never does."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

import reserve
from reserve.domain.allocator import (
    TYPICAL_DEMAND,
    Admission,
    Demand,
    Expected,
    Lookahead,
    Occupancy,
    Outlook,
    Plan,
    Policy,
    Request,
    allocate,
    free_candidates,
    is_available,
)
from reserve.domain.errors import SelectorTimeout
from reserve.domain.floor import AdjacencyMode, Floor, Rule
from reserve.domain.venue import Table, Venue, Zone
from reserve.domain.venue_document import load_venue_toml

HOUR = 3600.0


def white_horse() -> Venue:
    path = Path(reserve.__file__).parent / "venues" / "white-horse.toml"
    return load_venue_toml(path.read_text(encoding="utf-8"))


def venue(
    tables: Iterable[tuple[str, str, int]] | Iterable[Table],
    adjacent: Iterable[tuple[str, str]] = (),
) -> Venue:
    built = tuple(
        item
        if isinstance(item, Table)
        else Table(
            label=item[0],
            zone=item[1],
            capacity=item[2],
            min_party=1,
            max_party=item[2],
        )
        for item in tables
    )
    zones = tuple(Zone(key, key) for key in sorted({table.zone for table in built}))
    return Venue(
        slug="test",
        name="Test",
        timezone="UTC",
        zones=zones,
        tables=built,
        adjacency=frozenset(frozenset(pair) for pair in adjacent),
    )


def seat(
    floor: Floor,
    party: int,
    *,
    taken: Iterable[tuple[str, float, float]] = (),
    window: tuple[float, float] = (0.0, HOUR),
    policy: Policy | None = None,
    lookahead: Lookahead | None = None,
    zone: str | None = None,
) -> Plan | None:
    occupancy = Occupancy(floor, taken)
    request = Request(party, window[0], window[1], zone)
    return allocate(floor, occupancy, request, policy or Policy(), lookahead)


def labels(plan: Plan | None) -> tuple[str, ...] | None:
    return None if plan is None else plan.tables


def test_prefers_the_smallest_table_that_fits() -> None:
    floor = Floor(venue([("A", "z", 6), ("B", "z", 4), ("C", "z", 2)]))
    assert labels(seat(floor, 3)) == ("B",)
    assert labels(seat(floor, 2)) == ("C",)


def test_never_offers_a_busy_table() -> None:
    floor = Floor(venue([("A", "z", 2), ("B", "z", 4)]))
    plan = seat(floor, 2, taken=[("A", 0.5 * HOUR, 2 * HOUR)])
    assert labels(plan) == ("B",)


def test_back_to_back_windows_do_not_collide() -> None:
    floor = Floor(venue([("A", "z", 2)]))
    assert labels(seat(floor, 2, taken=[("A", HOUR, 2 * HOUR)])) == ("A",)


def test_answers_none_when_nothing_is_free() -> None:
    floor = Floor(venue([("A", "z", 2)]))
    assert seat(floor, 2, taken=[("A", 0.0, HOUR)]) is None
    assert seat(floor, 3) is None


def test_combines_adjacent_tables_for_a_party_no_single_table_seats() -> None:
    floor = Floor(venue([("A", "z", 4), ("B", "z", 4), ("C", "z", 4)], [("A", "B")]))
    assert labels(seat(floor, 8)) == ("A", "B")


def test_never_combines_tables_across_zones() -> None:
    floor = Floor(
        venue([("A", "in", 4), ("B", "out", 4)], [("A", "B")]),
    )
    assert seat(floor, 8, policy=Policy(rule=Rule(require_adjacency=False))) is None
    assert seat(floor, 8) is None


def test_a_combination_never_carries_a_redundant_table() -> None:
    floor = Floor(venue([("A", "z", 4), ("B", "z", 4), ("C", "z", 2)], [("A", "B"), ("B", "C")]))
    # With B taken, C+A... are not adjacent; C+B would seat six, but B alone seats four.
    assert labels(seat(floor, 4, taken=[("A", 0.0, HOUR)])) == ("B",)
    assert seat(floor, 3, taken=[("A", 0.0, HOUR), ("B", 0.0, HOUR)]) is None
    assert all(
        candidate.least > candidate.seats - min(floor.tables[i].capacity for i in candidate.tables)
        for candidate in floor.combinations(Rule())
    )


def test_prefers_fewer_tables_at_equal_waste() -> None:
    floor = Floor(venue([("A", "z", 2), ("B", "z", 2), ("C", "z", 4)], [("A", "B")]))
    assert labels(seat(floor, 4)) == ("C",)


def test_an_extendable_table_seats_up_to_its_max_party_without_waste() -> None:
    extendable = Table("X", "z", capacity=4, min_party=2, max_party=6)
    floor = Floor(venue([extendable, Table("S", "z", capacity=6, min_party=1, max_party=6)]))
    plan = seat(floor, 6)
    assert plan is not None
    assert plan.waste == 0
    assert labels(seat(floor, 7)) is None


def test_respects_a_tables_minimum_party() -> None:
    big = Table("BIG", "z", capacity=8, min_party=5, max_party=8)
    floor = Floor(venue([big]))
    assert seat(floor, 4) is None
    assert labels(seat(floor, 5)) == ("BIG",)


def test_never_chooses_an_inactive_table() -> None:
    inactive = Table("OFF", "z", capacity=2, min_party=1, max_party=2, active=False)
    floor = Floor(venue([inactive, ("ON", "z", 4)]))
    assert labels(seat(floor, 2)) == ("ON",)


def test_a_table_that_is_not_combinable_is_only_used_alone() -> None:
    loner = Table("L", "z", capacity=4, min_party=1, max_party=4, combinable=False)
    floor = Floor(venue([loner, ("B", "z", 4)], [("L", "B")]))
    assert seat(floor, 8) is None
    assert labels(seat(floor, 4)) == ("B",)


CHAIN = [("A", "z", 2), ("B", "z", 2), ("C", "z", 2), ("D", "z", 2)]
CHAIN_LINKS = [("A", "B"), ("B", "C"), ("C", "D")]


def test_connected_mode_accepts_a_chain_that_pairwise_refuses() -> None:
    floor = Floor(venue(CHAIN[:3], CHAIN_LINKS[:2]))
    connected = Policy(rule=Rule(adjacency_mode=AdjacencyMode.CONNECTED))
    pairwise = Policy(rule=Rule(adjacency_mode=AdjacencyMode.PAIRWISE))
    assert labels(seat(floor, 6, policy=connected)) == ("A", "B", "C")
    assert seat(floor, 6, policy=pairwise) is None


def test_neighbors_mode_accepts_a_star_but_not_a_chain_of_four() -> None:
    floor = Floor(venue(CHAIN, CHAIN_LINKS))
    neighbors = Policy(rule=Rule(adjacency_mode=AdjacencyMode.NEIGHBORS, max_tables=4))
    assert labels(seat(floor, 6, policy=neighbors)) == ("A", "B", "C")
    assert seat(floor, 8, policy=neighbors) is None
    connected = Policy(rule=Rule(max_tables=4))
    assert labels(seat(floor, 8, policy=connected)) == ("A", "B", "C", "D")


def test_max_tables_limits_the_combination_size() -> None:
    floor = Floor(venue(CHAIN, CHAIN_LINKS))
    assert seat(floor, 8, policy=Policy(rule=Rule(max_tables=3))) is None
    assert seat(floor, 4, policy=Policy(rule=Rule(max_tables=1))) is None


def test_adjacency_is_not_required_below_the_minimum_party_size() -> None:
    floor = Floor(venue([("A", "z", 2), ("B", "z", 2), ("C", "z", 4)], [("A", "C")]))
    relaxed = Policy(rule=Rule(adjacency_min_party_size=5))
    assert labels(seat(floor, 4, policy=relaxed, taken=[("C", 0.0, HOUR)])) == ("A", "B")
    assert seat(floor, 4, taken=[("C", 0.0, HOUR)]) is None


def test_without_required_adjacency_any_tables_of_a_zone_combine() -> None:
    floor = Floor(venue([("A", "z", 4), ("B", "z", 4), ("C", "y", 4)]))
    free_form = Policy(rule=Rule(require_adjacency=False))
    assert labels(seat(floor, 8, policy=free_form)) == ("A", "B")


def test_a_zone_request_only_uses_that_zone() -> None:
    floor = Floor(venue([("A", "in", 2), ("B", "out", 2)]))
    assert labels(seat(floor, 2, zone="out")) == ("B",)
    assert seat(floor, 2, zone="out", taken=[("B", 0.0, HOUR)]) is None


def test_ties_break_by_table_label() -> None:
    floor = Floor(venue([("T2", "z", 2), ("T1", "z", 2), ("T3", "z", 2)]))
    assert labels(seat(floor, 2)) == ("T1",)


def test_lookahead_keeps_tables_that_large_parties_need() -> None:
    floor = Floor(venue([("A", "z", 4), ("B", "z", 4), ("C", "z", 4)], [("A", "B")]))
    # A party of four at A or B would break the only way to seat eight; C keeps it.
    lookahead = Lookahead(floor, Rule(), Demand({4: 0.5, 8: 0.5}))
    assert labels(seat(floor, 4, lookahead=lookahead)) == ("C",)
    assert labels(seat(floor, 4, lookahead=Lookahead(floor, Rule(), TYPICAL_DEMAND))) == ("C",)
    assert labels(seat(floor, 4, policy=Policy(lookahead=False))) == ("A",)


def test_the_same_inputs_give_the_same_plan() -> None:
    floor = Floor(white_horse())
    lookahead = Lookahead(floor, Rule(), TYPICAL_DEMAND)
    taken = [("MD-03", 0.0, HOUR), ("BA-03", 0.5 * HOUR, 2 * HOUR)]
    plans = {seat(floor, party, taken=taken, lookahead=lookahead) for party in (4,) * 5}
    assert len(plans) == 1


def test_availability_agrees_with_allocation() -> None:
    floor = Floor(white_horse())
    taken = [(table.label, 0.0, HOUR) for table in floor.tables if table.capacity <= 4]
    occupancy = Occupancy(floor, taken)
    for party in range(1, 30):
        request = Request(party, 0.0, HOUR)
        plan = allocate(floor, occupancy, request, Policy())
        assert is_available(floor, occupancy, request, Policy()) == (plan is not None)


class SteppingClock:
    """A clock that moves on a fixed step each time it is read."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_a_search_past_the_selector_timeout_fails_hard_when_told_to() -> None:
    floor = Floor(venue([(f"T{i:02}", "z", 2) for i in range(100)]))
    occupancy = Occupancy(floor, [])
    lookahead = Lookahead(floor, Rule(), TYPICAL_DEMAND)
    strict = Policy(selector_timeout_ms=1, fail_hard=True)
    with pytest.raises(SelectorTimeout):
        allocate(floor, occupancy, Request(2, 0, HOUR), strict, lookahead, clock=SteppingClock(1))


def test_a_search_past_the_selector_timeout_uses_the_best_plan_so_far() -> None:
    floor = Floor(venue([(f"T{i:02}", "z", 2) for i in range(100)]))
    occupancy = Occupancy(floor, [])
    lookahead = Lookahead(floor, Rule(), TYPICAL_DEMAND)
    lenient = Policy(selector_timeout_ms=1)
    plan = allocate(
        floor, occupancy, Request(2, 0, HOUR), lenient, lookahead, clock=SteppingClock(1)
    )
    assert plan is not None
    assert plan.timed_out
    assert plan.tables == ("T00",)


def test_capacity_profiling_reports_the_time_of_each_stage() -> None:
    floor = Floor(white_horse())
    plan = seat(floor, 4, policy=Policy(capacity_profiling=True))
    assert plan is not None
    assert plan.profile is not None
    assert set(plan.profile) == {"candidates_ms", "lookahead_ms", "total_ms"}
    assert seat(floor, 4) is not None
    assert seat(floor, 4).profile is None  # type: ignore[union-attr]


def test_the_white_horse_seats_twenty_eight_at_most_with_three_tables() -> None:
    floor = Floor(white_horse())
    assert floor.largest_party(Rule()) == 28
    assert floor.largest_party(Rule(max_tables=1)) == 10


# --- protecting peak capacity for expected demand ----------------------------------------


PROTECTING = Policy(admission=Admission.PROTECTION)


def crowded(covers: float) -> Outlook:
    """An outlook expecting ``covers`` covers at tables over the first hour, all still to come."""
    return Outlook((Expected(1, 0.0, HOUR, covers),))


def test_declines_a_party_that_would_leave_most_of_its_table_empty_before_a_full_peak() -> None:
    floor = Floor(venue([("BIG", "z", 8), ("SMALL", "z", 2)]))
    taken = [("SMALL", 0.0, HOUR)]
    occupancy = Occupancy(floor, taken)
    request = Request(2, 0.0, HOUR)
    outlook = crowded(covers=100)
    assert allocate(floor, occupancy, request, PROTECTING, outlook=outlook) is None
    assert not is_available(floor, occupancy, request, PROTECTING, outlook=outlook)


def test_seats_that_party_when_the_peak_is_not_expected_to_fill() -> None:
    floor = Floor(venue([("BIG", "z", 8), ("SMALL", "z", 2)]))
    occupancy = Occupancy(floor, [("SMALL", 0.0, HOUR)])
    request = Request(2, 0.0, HOUR)
    quiet = crowded(covers=5)
    assert labels(allocate(floor, occupancy, request, PROTECTING, outlook=quiet)) == ("BIG",)
    late = Outlook((Expected(1, 0.0, HOUR, 2.0),))
    assert labels(allocate(floor, occupancy, request, PROTECTING, outlook=late)) == ("BIG",)


def test_never_declines_a_party_that_fills_its_table() -> None:
    floor = Floor(venue([("BIG", "z", 8)]))
    occupancy = Occupancy(floor, [])
    plan = allocate(floor, occupancy, Request(5, 0.0, HOUR), PROTECTING, outlook=crowded(1000))
    assert labels(plan) == ("BIG",)


def test_never_declines_without_an_outlook_or_with_admission_off() -> None:
    floor = Floor(venue([("BIG", "z", 8)]))
    occupancy = Occupancy(floor, [])
    request = Request(2, 0.0, HOUR)
    assert labels(allocate(floor, occupancy, request, PROTECTING)) == ("BIG",)
    off = Policy(admission=Admission.NONE)
    assert labels(allocate(floor, occupancy, request, off, outlook=crowded(1000))) == ("BIG",)
    assert is_available(floor, occupancy, request, off, outlook=crowded(1000))


def test_the_outlook_counts_only_demand_overlapping_the_window() -> None:
    outlook = Outlook((Expected(2, 0.0, HOUR, 2.5), Expected(5, 2 * HOUR, 3 * HOUR, 2.0)))
    assert outlook.covers_over(0.0, HOUR) == 5.0
    assert outlook.covers_over(0.5 * HOUR, 2.5 * HOUR) == 15.0
    assert outlook.covers_over(3 * HOUR, 4 * HOUR) == 0.0


def test_the_free_candidates_are_every_free_way_to_seat_the_party_best_first() -> None:
    floor = Floor(venue([("A1", "a", 2), ("A2", "a", 2), ("A3", "a", 4)], [("A1", "A2")]))
    taken = Occupancy(floor, [("A3", 0.0, HOUR)])

    early = free_candidates(floor, taken, Request(4, 0.0, HOUR), Policy().rule)
    later = free_candidates(floor, taken, Request(4, HOUR, 2 * HOUR), Policy().rule)

    assert [c.labels for c in early] == [("A1", "A2")]
    assert [c.labels for c in later] == [("A3",), ("A1", "A2")]
