"""``Floor.has_shape``: the shape test the integrity report applies to tables already seated,
the same one the floor applies to the combinations it offers."""

from __future__ import annotations

from pathlib import Path

import pytest

import reserve
from reserve.domain.floor import AdjacencyMode, Floor, Rule
from reserve.domain.venue import Table, Venue, Zone
from reserve.domain.venue_document import load_venue_toml


def white_horse() -> Venue:
    path = Path(reserve.__file__).parent / "venues" / "white-horse.toml"
    return load_venue_toml(path.read_text(encoding="utf-8"))


def a_row_of_three() -> Floor:
    """A-B-C pushed together in a row: A and C touch only through B."""
    tables = tuple(Table(label, "main", 4, 1, 4) for label in ("A", "B", "C", "D"))
    adjacency = frozenset({frozenset(("A", "B")), frozenset(("B", "C"))})
    return Floor(
        Venue(
            "row", "Row", "UTC", zones=(Zone("main", "Main"),), tables=tables, adjacency=adjacency
        )
    )


@pytest.mark.parametrize("mode", list(AdjacencyMode))
def test_agrees_with_every_combination_the_floor_builds(mode: AdjacencyMode) -> None:
    floor = Floor(white_horse())
    rule = Rule(adjacency_mode=mode, require_adjacency=False)

    for candidate in floor.combinations(rule):
        assert floor.has_shape(candidate.labels, mode) is candidate.shaped, candidate.labels


def test_a_row_is_connected_and_has_a_neighbour_to_all_but_is_not_pairwise() -> None:
    floor = a_row_of_three()

    assert floor.has_shape(("A", "B", "C"), AdjacencyMode.CONNECTED)
    assert floor.has_shape(("A", "B", "C"), AdjacencyMode.NEIGHBORS)
    assert not floor.has_shape(("A", "B", "C"), AdjacencyMode.PAIRWISE)
    assert floor.has_shape(("A", "B"), AdjacencyMode.PAIRWISE)


def test_tables_that_do_not_touch_have_no_shape() -> None:
    floor = a_row_of_three()

    for mode in AdjacencyMode:
        assert not floor.has_shape(("A", "C"), mode)
        assert not floor.has_shape(("A", "B", "D"), mode)


def test_one_table_always_has_a_shape_and_an_unknown_one_never() -> None:
    floor = a_row_of_three()

    assert floor.has_shape(("D",), AdjacencyMode.PAIRWISE)
    assert not floor.has_shape(("A", "Z"), AdjacencyMode.CONNECTED)
