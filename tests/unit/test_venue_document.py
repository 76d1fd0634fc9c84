"""The venue document: the White Horse, every kind of problem, and the round trip."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, time
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

import reserve
from reserve.domain.errors import VenueDocumentError
from reserve.domain.venue import Closure, Service, ServicePeriod, Table, TurnBand, Venue, Zone
from reserve.domain.venue_document import (
    load_venue_toml,
    parse_venue_document,
    venue_to_document,
)

WHITE_HORSE = Path(reserve.__file__).parent / "venues" / "white-horse.toml"


def white_horse() -> Venue:
    return load_venue_toml(WHITE_HORSE.read_text(encoding="utf-8"))


def small_document() -> dict[str, Any]:
    """A café with two rooms, valid as it stands; each test breaks one thing in it."""
    return {
        "slug": "corner-cafe",
        "name": "Corner Café",
        "timezone": "Europe/Paris",
        "slot_interval_minutes": 15,
        "hold_ttl_seconds": 120,
        "buffer_minutes": 5,
        "max_online_party_size": 6,
        "booking_horizon_days": 60,
        "adjacent": [["IN-1", "IN-2"]],
        "services": {
            "lunch": {"turn_minutes": {"2": 60, "4": 75}},
            "dinner": {"turn_minutes": {"2": 90, "6": 120}},
        },
        "periods": [
            {"service": "lunch", "weekdays": [1, 2, 3, 4, 5], "start": "12:00", "end": "15:00"},
            {"service": "dinner", "weekdays": [1, 2, 3, 4, 5, 6], "start": "18:00", "end": "23:00"},
        ],
        "zones": [{"key": "inside", "name": "Inside"}, {"key": "terrace", "name": "Terrace"}],
        "tables": [
            {"label": "IN-1", "zone": "inside", "capacity": 2, "min_party": 1, "max_party": 2},
            {"label": "IN-2", "zone": "inside", "capacity": 4, "min_party": 2, "max_party": 4},
            {"label": "TE-1", "zone": "terrace", "capacity": 4, "min_party": 1, "max_party": 5},
        ],
    }


def problems_in(document: Mapping[str, Any]) -> list[str]:
    with pytest.raises(VenueDocumentError) as caught:
        parse_venue_document(document)
    return caught.value.problems


# The White Horse ----------------------------------------------------------------------


def test_the_white_horse_has_five_zones_forty_tables_and_210_seats() -> None:
    venue = white_horse()

    assert venue.slug == "white-horse"
    assert [zone.key for zone in venue.zones] == [
        "main-dining",
        "bar",
        "patio",
        "private-room",
        "garden",
    ]
    assert len(venue.tables) == 40
    assert venue.seats == 210


def test_the_white_horse_has_79_adjacent_pairs_three_services_and_three_periods() -> None:
    venue = white_horse()

    assert len(venue.adjacency) == 79
    assert all(len(pair) == 2 for pair in venue.adjacency)
    assert [service.name for service in venue.services] == ["lunch", "drinks", "dinner"]
    assert [(p.service, p.start, p.end) for p in venue.periods] == [
        ("lunch", time(12), time(15)),
        ("drinks", time(15), time(17)),
        ("dinner", time(17), time(22)),
    ]


def test_the_white_horse_round_trips_through_its_document() -> None:
    venue = white_horse()

    assert parse_venue_document(venue_to_document(venue)) == venue


def test_the_white_horse_round_trips_through_toml_text() -> None:
    venue = white_horse()

    assert load_venue_toml(tomli_w.dumps(venue_to_document(venue))) == venue


def test_the_white_horse_round_trips_through_json_as_the_api_sends_it() -> None:
    venue = white_horse()

    assert parse_venue_document(json.loads(json.dumps(venue_to_document(venue)))) == venue


def test_the_exported_document_is_shaped_like_the_white_horse_file() -> None:
    original = tomllib.loads(WHITE_HORSE.read_text(encoding="utf-8"))

    exported = venue_to_document(white_horse())

    assert list(exported) == [*list(original)[:8], "lead_time_minutes", *list(original)[8:]]
    assert exported["services"] == original["services"]
    assert exported["periods"] == original["periods"]
    assert exported["zones"] == original["zones"]
    assert exported["tables"] == original["tables"]
    assert exported["adjacent"] == sorted(original["adjacent"])


# Reading a valid document -------------------------------------------------------------


def test_optional_table_keys_take_their_defaults() -> None:
    venue = parse_venue_document(small_document())

    assert venue.tables[0] == Table("IN-1", "inside", 2, 1, 2, "dining", "standard", True, True)


def test_optional_settings_take_their_defaults() -> None:
    venue = parse_venue_document(small_document())

    assert venue.lead_time_minutes == 0
    assert (venue.seat_early_minutes, venue.no_show_grace_minutes) == (30, 15)
    assert venue.max_covers_per_slot is None
    assert venue.closures == ()


def test_turn_bands_are_sorted_by_party_size() -> None:
    document = small_document()
    document["services"]["lunch"]["turn_minutes"] = {"8": 100, "2": 60, "4": 75}

    lunch = parse_venue_document(document).services[0]

    assert lunch.turn_bands == (TurnBand(2, 60), TurnBand(4, 75), TurnBand(8, 100))


def test_tables_and_zones_keep_document_order() -> None:
    document = small_document()
    document["zones"].reverse()
    document["tables"].reverse()

    venue = parse_venue_document(document)

    assert [zone.key for zone in venue.zones] == ["terrace", "inside"]
    assert [table.label for table in venue.tables] == ["TE-1", "IN-2", "IN-1"]


def test_adjacency_is_a_set_of_unordered_label_pairs() -> None:
    document = small_document()
    document["adjacent"] = [["IN-2", "IN-1"]]

    venue = parse_venue_document(document)

    assert venue.adjacency == frozenset({frozenset({"IN-1", "IN-2"})})
    assert venue_to_document(venue)["adjacent"] == [["IN-1", "IN-2"]]


def test_a_period_ending_at_24_00_ends_at_midnight() -> None:
    document = small_document()
    document["periods"][1]["end"] = "24:00"

    venue = parse_venue_document(document)

    assert venue.periods[1].end is None
    assert venue_to_document(venue)["periods"] == document["periods"]


def test_a_period_accepts_toml_times() -> None:
    venue = load_venue_toml(WHITE_HORSE.read_text(encoding="utf-8").replace('"12:00"', "12:00:00"))

    assert venue.periods[0].start == time(12)


def test_closures_accept_a_toml_date_or_a_string() -> None:
    document = small_document()
    document["closures"] = [
        {"date": "2025-12-26", "reason": "Boxing Day"},
        {"date": date(2025, 12, 25)},
    ]

    venue = parse_venue_document(document)

    assert venue.closures == (
        Closure(date(2025, 12, 25)),
        Closure(date(2025, 12, 26), "Boxing Day"),
    )


def test_export_leaves_out_unset_pacing_and_empty_closures() -> None:
    document = venue_to_document(parse_venue_document(small_document()))

    assert "max_covers_per_slot" not in document
    assert "closures" not in document


def test_export_writes_only_table_flags_that_differ_from_the_default() -> None:
    document = small_document()
    document["tables"][0] |= {"combinable": False, "active": True}

    exported = venue_to_document(parse_venue_document(document))

    assert exported["tables"][0]["combinable"] is False  # type: ignore[index]
    assert "active" not in exported["tables"][0]  # type: ignore[index]


def test_embed_origins_are_read_lower_cased_in_document_order() -> None:
    document = small_document()
    document["embed_origins"] = ["https://www.Corner-Cafe.example", "http://localhost:8080"]

    venue = parse_venue_document(document)

    assert venue.embed_origins == ("https://www.corner-cafe.example", "http://localhost:8080")


def test_embed_origins_round_trip_through_the_document_toml_and_json() -> None:
    document = small_document()
    document["embed_origins"] = ["https://www.corner-cafe.example", "https://cafe.example:8443"]
    venue = parse_venue_document(document)

    exported = venue_to_document(venue)

    assert exported["embed_origins"] == document["embed_origins"]
    assert parse_venue_document(exported) == venue
    assert load_venue_toml(tomli_w.dumps(exported)) == venue
    assert parse_venue_document(json.loads(json.dumps(exported))) == venue


def test_no_embed_origins_by_default_and_none_exported() -> None:
    venue = parse_venue_document(small_document())

    assert venue.embed_origins == ()
    assert "embed_origins" not in venue_to_document(venue)


# Problems -----------------------------------------------------------------------------


def test_reports_every_problem_at_once() -> None:
    document = small_document()
    document["slot_interval_minutes"] = 7
    document["tables"][1]["min_party"] = 5
    document["tables"][2]["capcity"] = 4
    document["adjacent"].append(["IN-1", "TE-1"])
    document["periods"][1]["start"] = "14:00"

    assert problems_in(document) == [
        "slot_interval_minutes 7 does not divide 1440",
        "tables[1] (IN-2): min_party 5 is above max_party 4",
        "tables[2] (TE-1): unknown key 'capcity'",
        "adjacent[1]: IN-1 and TE-1 are in different zones",
        "periods[0] and periods[1] overlap on Monday, Tuesday, Wednesday, Thursday, Friday",
    ]


def test_the_error_message_counts_and_lists_the_problems() -> None:
    document = small_document()
    document["name"] = ""
    document["booking_horizon_days"] = 0

    with pytest.raises(VenueDocumentError, match="venue document has 2 problems: name is blank; "):
        parse_venue_document(document)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ((), "unknown key 'colour'"),
        (("zones", 0), "zones[0]: unknown key 'colour'"),
        (("tables", 1), "tables[1] (IN-2): unknown key 'colour'"),
        (("services", "lunch"), "services.lunch: unknown key 'colour'"),
        (("periods", 0), "periods[0]: unknown key 'colour'"),
    ],
)
def test_refuses_unknown_keys_at_every_level(path: tuple[Any, ...], expected: str) -> None:
    document = small_document()
    entry: Any = document
    for step in path:
        entry = entry[step]
    entry["colour"] = "blue"

    assert problems_in(document) == [expected]


def test_refuses_unknown_keys_in_closures() -> None:
    document = small_document()
    document["closures"] = [{"date": "2025-12-25", "why": "Christmas"}]

    assert problems_in(document) == ["closures[0]: unknown key 'why'"]


@pytest.mark.parametrize(
    "key",
    [
        *("slug", "name", "timezone", "slot_interval_minutes", "hold_ttl_seconds"),
        *("buffer_minutes", "max_online_party_size", "booking_horizon_days"),
        *("services", "periods", "zones", "tables"),
    ],
)
def test_refuses_a_document_missing_a_required_setting(key: str) -> None:
    document = small_document()
    del document[key]

    assert f"missing required key {key!r}" in problems_in(document)


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("zones", "key"),
        ("zones", "name"),
        ("tables", "label"),
        ("tables", "zone"),
        ("tables", "capacity"),
        ("tables", "min_party"),
        ("tables", "max_party"),
        ("periods", "service"),
        ("periods", "weekdays"),
        ("periods", "start"),
        ("periods", "end"),
    ],
)
def test_refuses_an_entry_missing_a_required_key(section: str, key: str) -> None:
    document = small_document()
    del document[section][0][key]

    problems = problems_in(document)

    assert len(problems) == 1
    assert problems[0].startswith(f"{section}[0]")
    assert problems[0].endswith(f"missing required key {key!r}")


def test_refuses_a_service_without_turn_minutes() -> None:
    document = small_document()
    document["services"]["lunch"] = {}

    assert problems_in(document) == ["services.lunch: missing required key 'turn_minutes'"]


def test_refuses_a_boolean_where_an_integer_belongs() -> None:
    document = small_document()
    document["tables"][0]["capacity"] = True

    assert problems_in(document) == ["tables[0] (IN-1): capacity must be an integer, not a boolean"]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("name", 7, "name must be a string, not an integer"),
        ("timezone", None, "timezone must be a string, not null"),
        (
            "hold_ttl_seconds",
            120.0,
            "hold_ttl_seconds must be an integer, not a number with a fraction",
        ),
        ("buffer_minutes", "5", "buffer_minutes must be an integer, not a string"),
        ("zones", {"key": "inside"}, "zones must be an array of tables, not a table"),
        ("services", [], "services must be a table of services, not an array"),
        (
            "adjacent",
            "IN-1 IN-2",
            "adjacent must be an array of pairs of table labels, not a string",
        ),
    ],
)
def test_refuses_settings_of_the_wrong_type(key: str, value: object, expected: str) -> None:
    document = small_document()
    document[key] = value

    assert expected in problems_in(document)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("combinable", "yes", "tables[0] (IN-1): combinable must be true or false, not a string"),
        ("active", 1, "tables[0] (IN-1): active must be true or false, not an integer"),
        ("category", ["bar"], "tables[0] (IN-1): category must be a string, not an array"),
        ("seating", "", "tables[0] (IN-1): seating is blank"),
    ],
)
def test_refuses_table_keys_of_the_wrong_type(key: str, value: object, expected: str) -> None:
    document = small_document()
    document["tables"][0][key] = value

    assert problems_in(document) == [expected]


def test_refuses_entries_that_are_not_tables() -> None:
    document = small_document()
    document["zones"].append("garden")
    document["services"]["brunch"] = 60

    assert problems_in(document) == [
        "zones[2] must be a table, not a string",
        "services.brunch must be a table, not an integer",
    ]


def test_refuses_a_document_that_is_not_a_table() -> None:
    with pytest.raises(VenueDocumentError, match="the document must be a table, not an array"):
        parse_venue_document([])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "slug", ["Corner-Cafe", "corner--cafe", "-corner", "corner-", "corner cafe"]
)
def test_refuses_a_slug_that_is_not_lowercase_letters_digits_and_single_hyphens(
    slug: str,
) -> None:
    document = small_document()
    document["slug"] = slug

    assert problems_in(document) == [
        f"slug {slug!r} is not lowercase letters, digits and single hyphens"
    ]


def test_refuses_a_zone_key_that_is_not_a_slug() -> None:
    document = small_document()
    document["zones"][1]["key"] = "Terrace"
    document["tables"][2]["zone"] = "Terrace"

    assert problems_in(document) == [
        "zones[1]: key 'Terrace' is not lowercase letters, digits and single hyphens"
    ]


@pytest.mark.parametrize("timezone", ["Europe/Atlantis", "GMT+1", "", "/etc/passwd", "../zoneinfo"])
def test_refuses_a_time_zone_that_is_not_iana(timezone: str) -> None:
    document = small_document()
    document["timezone"] = timezone

    (problem,) = problems_in(document)

    assert problem.startswith("timezone ")


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        (4, "slot_interval_minutes 4 is below 5"),
        (480, "slot_interval_minutes 480 is above 240"),
        (7, "slot_interval_minutes 7 does not divide 1440"),
        (25, "slot_interval_minutes 25 does not divide 1440"),
    ],
)
def test_refuses_a_slot_interval_that_does_not_tile_a_day(interval: int, expected: str) -> None:
    document = small_document()
    document["slot_interval_minutes"] = interval

    assert problems_in(document) == [expected]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("hold_ttl_seconds", 9, "hold_ttl_seconds 9 is below 10"),
        ("buffer_minutes", -1, "buffer_minutes -1 is below 0"),
        ("max_online_party_size", 0, "max_online_party_size 0 is below 1"),
        ("booking_horizon_days", 0, "booking_horizon_days 0 is below 1"),
        ("lead_time_minutes", -5, "lead_time_minutes -5 is below 0"),
        ("seat_early_minutes", -1, "seat_early_minutes -1 is below 0"),
        ("no_show_grace_minutes", -1, "no_show_grace_minutes -1 is below 0"),
        ("max_covers_per_slot", 0, "max_covers_per_slot 0 is below 1"),
    ],
)
def test_refuses_settings_below_their_minimum(key: str, value: int, expected: str) -> None:
    document = small_document()
    document[key] = value

    assert problems_in(document) == [expected]


@pytest.mark.parametrize(
    "origin",
    [
        "https://www.corner-cafe.example/",
        "https://www.corner-cafe.example/book",
        "https://www.corner-cafe.example?embed=1",
        "https://www.corner-cafe.example#book",
        "ftp://corner-cafe.example",
        "corner-cafe.example",
        "https://*.corner-cafe.example",
        "https://owner@corner-cafe.example",
        "https://corner-cafe.example:0",
        "https://corner-cafe.example:65536",
        " https://corner-cafe.example",
        "'self'",
        "",
    ],
)
def test_refuses_an_embed_origin_that_is_not_scheme_host_and_port(origin: str) -> None:
    document = small_document()
    document["embed_origins"] = ["https://www.corner-cafe.example", origin]

    (problem,) = problems_in(document)

    assert problem.startswith(f"embed_origins[1] {origin!r} is not an origin: ")


def test_refuses_embed_origins_that_are_not_an_array_of_strings() -> None:
    document = small_document()
    document["embed_origins"] = "https://www.corner-cafe.example"

    assert problems_in(document) == ["embed_origins must be an array of origins, not a string"]

    document["embed_origins"] = [443]

    assert problems_in(document) == ["embed_origins[0] must be a string, not an integer"]


def test_refuses_an_embed_origin_repeated_in_another_case() -> None:
    document = small_document()
    document["embed_origins"] = ["https://cafe.example", "HTTPS://Cafe.Example"]

    assert problems_in(document) == [
        "embed_origins[1] 'HTTPS://Cafe.Example' repeats embed_origins[0]"
    ]


def test_refuses_a_buffer_above_twelve_hours() -> None:
    # With turns of at most a day, windows stay within the 36 hours the schema allows.
    document = small_document()
    document["buffer_minutes"] = 721

    assert problems_in(document) == ["buffer_minutes 721 is above 720"]


@pytest.mark.parametrize("key", ["seat_early_minutes", "no_show_grace_minutes"])
def test_refuses_seating_or_no_show_margins_above_a_day(key: str) -> None:
    document = small_document()
    document[key] = 1441

    assert problems_in(document) == [f"{key} 1441 is above 1440"]


def test_seating_and_no_show_margins_are_written_only_when_not_the_default() -> None:
    venue = parse_venue_document(small_document())
    changed = replace(venue, seat_early_minutes=0, no_show_grace_minutes=45)

    assert "seat_early_minutes" not in venue_to_document(venue)
    assert "no_show_grace_minutes" not in venue_to_document(venue)
    document = venue_to_document(changed)
    assert (document["seat_early_minutes"], document["no_show_grace_minutes"]) == (0, 45)
    assert parse_venue_document(document) == changed


def test_refuses_duplicate_zone_keys() -> None:
    document = small_document()
    document["zones"].append({"key": "inside", "name": "Inside again"})

    assert problems_in(document) == ["zones[2]: key 'inside' repeats zones[0]"]


def test_refuses_duplicate_table_labels() -> None:
    document = small_document()
    document["tables"].append(dict(document["tables"][0]))

    assert problems_in(document) == ["tables[3] (IN-1): label repeats tables[0]"]


def test_refuses_a_table_in_an_unknown_zone() -> None:
    document = small_document()
    document["tables"][2]["zone"] = "garden"

    assert problems_in(document) == ["tables[2] (TE-1): unknown zone 'garden'"]


@pytest.mark.parametrize("key", ["capacity", "min_party", "max_party"])
def test_refuses_party_limits_below_one(key: str) -> None:
    document = small_document()
    document["tables"][2][key] = 0

    assert problems_in(document) == [f"tables[2] (TE-1): {key} 0 is below 1"]


def test_refuses_min_party_above_max_party() -> None:
    document = small_document()
    document["tables"][2]["min_party"] = 6

    assert problems_in(document) == ["tables[2] (TE-1): min_party 6 is above max_party 5"]


def test_allows_max_party_above_capacity_for_extendable_tables() -> None:
    venue = parse_venue_document(small_document())

    assert venue.tables[2].max_party > venue.tables[2].capacity


@pytest.mark.parametrize("pair", [["IN-1"], ["IN-1", "IN-2", "TE-1"], "IN-1", [1, 2], []])
def test_refuses_adjacency_that_is_not_two_labels(pair: object) -> None:
    document = small_document()
    document["adjacent"] = [pair]

    assert problems_in(document) == ["adjacent[0] must be two table labels"]


def test_refuses_adjacency_naming_an_unknown_table() -> None:
    document = small_document()
    document["adjacent"].append(["IN-1", "IN-9"])

    assert problems_in(document) == ["adjacent[1]: unknown table 'IN-9'"]


def test_refuses_adjacency_pairing_a_table_with_itself() -> None:
    document = small_document()
    document["adjacent"].append(["IN-2", "IN-2"])

    assert problems_in(document) == ["adjacent[1]: pairs IN-2 with itself"]


def test_refuses_adjacency_across_zones() -> None:
    document = small_document()
    document["adjacent"].append(["TE-1", "IN-2"])

    assert problems_in(document) == ["adjacent[1]: TE-1 and IN-2 are in different zones"]


@pytest.mark.parametrize("repeat", [["IN-1", "IN-2"], ["IN-2", "IN-1"]])
def test_refuses_a_repeated_adjacent_pair_in_either_order(repeat: list[str]) -> None:
    document = small_document()
    document["adjacent"].append(repeat)

    assert problems_in(document) == [f"adjacent[1]: {repeat[0]} and {repeat[1]} repeat adjacent[0]"]


@pytest.mark.parametrize("size", ["0", "two", "02", "-1", "2.5"])
def test_refuses_turn_minutes_keys_that_are_not_party_sizes(size: str) -> None:
    document = small_document()
    document["services"]["lunch"]["turn_minutes"][size] = 60

    assert problems_in(document) == [
        f"services.lunch: turn_minutes key {size!r} is not a party size from 1 up"
    ]


@pytest.mark.parametrize("minutes", [0, 1441])
def test_refuses_turn_minutes_outside_a_day(minutes: int) -> None:
    document = small_document()
    document["services"]["lunch"]["turn_minutes"]["4"] = minutes

    assert problems_in(document) == [
        f"services.lunch: turn_minutes for 4 is {minutes}, not within 1..1440"
    ]


def test_refuses_turn_minutes_that_are_not_integers() -> None:
    document = small_document()
    document["services"]["lunch"]["turn_minutes"]["4"] = "75"

    assert problems_in(document) == [
        "services.lunch: turn_minutes for 4 must be an integer, not a string"
    ]


def test_refuses_empty_turn_minutes() -> None:
    document = small_document()
    document["services"]["lunch"]["turn_minutes"] = {}

    assert problems_in(document) == ["services.lunch: turn_minutes is empty"]


def test_refuses_a_period_for_an_undefined_service() -> None:
    document = small_document()
    document["periods"][1]["service"] = "supper"

    assert problems_in(document) == ["periods[1]: service 'supper' is not defined under services"]


@pytest.mark.parametrize(
    ("weekdays", "expected"),
    [
        ([], "weekdays must be a non-empty array of ISO weekdays 1..7"),
        ("Monday", "weekdays must be a non-empty array of ISO weekdays 1..7"),
        ([0, 1], "weekday 0 is not an ISO weekday 1..7"),
        ([1, 8], "weekday 8 is not an ISO weekday 1..7"),
        ([1, True], "weekday true is not an ISO weekday 1..7"),
        ([1, 2, 1], "weekday 1 is listed twice"),
    ],
)
def test_refuses_weekdays_that_are_not_distinct_iso_weekdays(
    weekdays: object, expected: str
) -> None:
    document = small_document()
    document["periods"][0]["weekdays"] = weekdays

    assert problems_in(document) == [f"periods[0]: {expected}"]


def test_weekdays_are_kept_in_week_order() -> None:
    document = small_document()
    document["periods"][0]["weekdays"] = [5, 1, 3]

    assert parse_venue_document(document).periods[0].weekdays == (1, 3, 5)


@pytest.mark.parametrize(
    ("key", "value", "latest"),
    [
        ("start", "9:00", "23:59"),
        ("start", "12:60", "23:59"),
        ("start", "24:00", "23:59"),
        ("start", "noon", "23:59"),
        ("end", "25:00", "24:00"),
        ("end", 1500, "24:00"),
    ],
)
def test_refuses_times_that_are_not_hh_mm(key: str, value: object, latest: str) -> None:
    document = small_document()
    document["periods"][0][key] = value
    shown = repr(value) if isinstance(value, str) else str(value)

    assert problems_in(document) == [
        f'periods[0]: {key} {shown} is not a time "HH:MM" from 00:00 to {latest}'
    ]


@pytest.mark.parametrize("end", ["11:00", "12:00"])
def test_refuses_a_period_that_does_not_start_before_it_ends(end: str) -> None:
    document = small_document()
    document["periods"][0]["end"] = end

    assert problems_in(document) == [f"periods[0]: start 12:00 is not before end {end}"]


def test_refuses_a_start_off_the_slot_grid() -> None:
    document = small_document()
    document["periods"][1]["start"] = "18:10"

    assert problems_in(document) == ["periods[1]: start 18:10 is not on the 15-minute slot grid"]


def test_allows_an_end_off_the_slot_grid() -> None:
    document = small_document()
    document["periods"][1]["end"] = "22:50"

    assert parse_venue_document(document).periods[1].end == time(22, 50)


def test_refuses_overlapping_periods_on_a_shared_weekday() -> None:
    document = small_document()
    document["periods"].append(
        {"service": "dinner", "weekdays": [5, 6, 7], "start": "22:00", "end": "24:00"}
    )

    assert problems_in(document) == ["periods[1] and periods[2] overlap on Friday, Saturday"]


def test_allows_periods_that_overlap_in_time_on_different_weekdays() -> None:
    document = small_document()
    document["periods"].append(
        {"service": "dinner", "weekdays": [7], "start": "12:00", "end": "23:00"}
    )

    assert len(parse_venue_document(document).periods) == 3


def test_allows_a_period_to_start_when_the_one_before_ends() -> None:
    document = small_document()
    document["periods"][1]["start"] = "15:00"

    assert parse_venue_document(document).periods[1].start == time(15)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2025-13-01", "'2025-13-01'"),
        ("25/12/2025", "'25/12/2025'"),
        ("20251225", "'20251225'"),
        ("2025-W52-4", "'2025-W52-4'"),
        (datetime(2025, 12, 25, 12), "2025-12-25 12:00:00"),
    ],
)
def test_refuses_closures_with_bad_dates(value: object, shown: str) -> None:
    document = small_document()
    document["closures"] = [{"date": value}]

    assert problems_in(document) == [f'closures[0]: date {shown} is not a date "YYYY-MM-DD"']


def test_refuses_duplicate_closure_dates() -> None:
    document = small_document()
    document["closures"] = [{"date": "2025-12-25"}, {"date": date(2025, 12, 25)}]

    assert problems_in(document) == ["closures[1]: date 2025-12-25 repeats closures[0]"]


@pytest.mark.parametrize("key", ["zones", "tables", "periods"])
def test_requires_at_least_one_zone_table_and_period(key: str) -> None:
    document = small_document()
    document[key] = []
    if key == "tables":
        document["adjacent"] = []

    assert f"{key} is empty, and a venue needs at least one" in problems_in(document)


def test_a_missing_section_is_reported_once_not_at_every_reference() -> None:
    document = small_document()
    del document["zones"]
    del document["services"]

    assert problems_in(document) == [
        "missing required key 'zones'",
        "missing required key 'services'",
    ]


def test_a_faulty_table_is_still_known_to_adjacency() -> None:
    document = small_document()
    document["tables"][1]["capacity"] = "four"

    assert problems_in(document) == ["tables[1] (IN-2): capacity must be an integer, not a string"]


def test_reports_toml_syntax_errors_with_line_and_column() -> None:
    with pytest.raises(VenueDocumentError) as caught:
        load_venue_toml('slug = "x"\nname = = "y"\n')

    assert caught.value.problems == ["not valid TOML: Invalid value (at line 2, column 8)"]


# Any valid venue round-trips ----------------------------------------------------------

SLUGS = st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)
# Any text PostgreSQL can store: everything but the NUL character.
STORABLE = st.characters(exclude_characters="\x00")
WORDS = st.text(STORABLE, min_size=1, max_size=12).filter(str.strip)
ORIGINS = st.builds(
    lambda scheme, host, port: f"{scheme}://{host}" + ("" if port is None else f":{port}"),
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z0-9]{1,8}(\.[a-z0-9]{1,8}){0,2}", fullmatch=True),
    st.none() | st.integers(1, 65535),
)


@st.composite
def tables(draw: st.DrawFn, label: str, zone_keys: list[str]) -> Table:
    min_party = draw(st.integers(1, 6))
    return Table(
        label=label,
        zone=draw(st.sampled_from(zone_keys)),
        capacity=draw(st.integers(1, 12)),
        min_party=min_party,
        max_party=draw(st.integers(min_party, 14)),
        category=draw(WORDS),
        seating=draw(WORDS),
        combinable=draw(st.booleans()),
        active=draw(st.booleans()),
    )


@st.composite
def services(draw: st.DrawFn, name: str) -> Service:
    sizes = draw(st.lists(st.integers(1, 20), min_size=1, max_size=4, unique=True))
    bands = [TurnBand(size, draw(st.integers(1, 1440))) for size in sorted(sizes)]
    return Service(name, tuple(bands))


@st.composite
def periods(draw: st.DrawFn, interval: int, service_names: list[str]) -> tuple[ServicePeriod, ...]:
    """Periods on disjoint stretches of the day, so they never overlap on any weekday."""
    grid = st.integers(0, 1440 // interval).map(lambda step: step * interval)
    cuts = sorted(draw(st.lists(grid, min_size=2, max_size=6, unique=True)))
    stretches = draw(st.lists(st.sampled_from(list(pairwise(cuts))), min_size=1, unique=True))
    return tuple(
        ServicePeriod(
            service=draw(st.sampled_from(service_names)),
            weekdays=tuple(sorted(draw(st.sets(st.integers(1, 7), min_size=1)))),
            start=time(start // 60, start % 60),
            end=None if end == 1440 else time(end // 60, end % 60),
        )
        for start, end in stretches
    )


@st.composite
def venues(draw: st.DrawFn) -> Venue:
    interval = draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60, 90, 120, 240]))
    zone_keys = draw(st.lists(SLUGS, min_size=1, max_size=3, unique=True))
    labels = draw(st.lists(WORDS, min_size=1, max_size=8, unique=True))
    floor = [draw(tables(label, zone_keys)) for label in labels]
    same_zone = [
        frozenset({a.label, b.label}) for a, b in combinations(floor, 2) if a.zone == b.zone
    ]
    adjacency = draw(st.sets(st.sampled_from(same_zone))) if same_zone else set()
    service_names = draw(st.lists(WORDS, min_size=1, max_size=3, unique=True))
    days_closed = draw(st.lists(st.dates(), max_size=3, unique=True))
    return Venue(
        slug=draw(SLUGS),
        name=draw(WORDS),
        timezone=draw(st.sampled_from(["UTC", "Europe/London", "America/New_York", "Asia/Tokyo"])),
        slot_interval_minutes=interval,
        hold_ttl_seconds=draw(st.integers(10, 3600)),
        buffer_minutes=draw(st.integers(0, 60)),
        max_online_party_size=draw(st.integers(1, 20)),
        booking_horizon_days=draw(st.integers(1, 365)),
        lead_time_minutes=draw(st.integers(0, 1440)),
        seat_early_minutes=draw(st.integers(0, 1440)),
        no_show_grace_minutes=draw(st.integers(0, 1440)),
        max_covers_per_slot=draw(st.none() | st.integers(1, 500)),
        embed_origins=tuple(draw(st.lists(ORIGINS, max_size=3, unique=True))),
        zones=tuple(Zone(key, draw(WORDS)) for key in zone_keys),
        tables=tuple(floor),
        adjacency=frozenset(adjacency),
        services=tuple(draw(services(name)) for name in service_names),
        periods=draw(periods(interval, service_names)),
        closures=tuple(
            Closure(day, draw(st.text(STORABLE, max_size=20))) for day in sorted(days_closed)
        ),
    )


@settings(database=None)
@given(venues())
def test_any_valid_venue_round_trips_through_its_document(venue: Venue) -> None:
    assert parse_venue_document(venue_to_document(venue)) == venue
