"""The venue document's reader knows every limit the schema has.

Each CHECK constraint of the venue's tables has a case below: a venue that breaks it. Saved
straight to the database, past the reader, the venue is refused by exactly that
constraint; written as a document, the reader refuses it first, naming the problem. A new
constraint without a case fails the first test, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, time

import psycopg
import pytest

from reserve.db.database import Connection
from reserve.db.venues import save_venue
from reserve.domain.errors import VenueDocumentError
from reserve.domain.venue import Closure, Service, TurnBand, Venue
from reserve.domain.venue_document import parse_venue_document, venue_to_document
from reserve.services.venues import DEMO_VENUE, read_venue_file

VENUE = read_venue_file(DEMO_VENUE)
VENUE_TABLES = (
    "restaurants",
    "services",
    "turn_time_bands",
    "service_periods",
    "closures",
    "zones",
    "tables",
    "table_adjacency",
)
# Constraints no document can break: the database layer writes these columns itself.
INTERNAL = {"table_adjacency_canonical"}

Change = Callable[[Venue], Venue]


def renamed_zone(venue: Venue, key: str) -> Venue:
    old = venue.zones[0].key
    return replace(
        venue,
        zones=(replace(venue.zones[0], key=key), *venue.zones[1:]),
        tables=tuple(
            replace(table, zone=key) if table.zone == old else table for table in venue.tables
        ),
    )


def renamed_table(venue: Venue, label: str) -> Venue:
    old = venue.tables[0].label
    return replace(
        venue,
        tables=(replace(venue.tables[0], label=label), *venue.tables[1:]),
        adjacency=frozenset(
            frozenset(label if member == old else member for member in pair)
            for pair in venue.adjacency
        ),
    )


def renamed_service(venue: Venue, name: str) -> Venue:
    old = venue.services[0].name
    return replace(
        venue,
        services=(replace(venue.services[0], name=name), *venue.services[1:]),
        periods=tuple(
            replace(period, service=name) if period.service == old else period
            for period in venue.periods
        ),
    )


def first_table(venue: Venue, **changes: object) -> Venue:
    return replace(venue, tables=(replace(venue.tables[0], **changes), *venue.tables[1:]))


def first_service(venue: Venue, band: TurnBand) -> Venue:
    service: Service = replace(venue.services[0], turn_bands=(band,))
    return replace(venue, services=(service, *venue.services[1:]))


def first_period(venue: Venue, **changes: object) -> Venue:
    return replace(venue, periods=(replace(venue.periods[0], **changes), *venue.periods[1:]))


CASES: dict[str, Change] = {
    "restaurants_slug_format": lambda v: replace(v, slug="a" * 65),
    "restaurants_name_length": lambda v: replace(v, name="n" * 201),
    "restaurants_slot_interval": lambda v: replace(v, slot_interval_minutes=241),
    "restaurants_hold_ttl": lambda v: replace(v, hold_ttl_seconds=9),
    "restaurants_buffer": lambda v: replace(v, buffer_minutes=721),
    "restaurants_max_online_party": lambda v: replace(v, max_online_party_size=0),
    "restaurants_horizon": lambda v: replace(v, booking_horizon_days=0),
    "restaurants_lead_time": lambda v: replace(v, lead_time_minutes=-1),
    "restaurants_pacing": lambda v: replace(v, max_covers_per_slot=0),
    "restaurants_seat_early": lambda v: replace(v, seat_early_minutes=1441),
    "restaurants_no_show_grace": lambda v: replace(v, no_show_grace_minutes=-1),
    "services_name_length": lambda v: renamed_service(v, "s" * 41),
    "turn_time_bands_party": lambda v: first_service(v, TurnBand(0, 90)),
    "turn_time_bands_minutes": lambda v: first_service(v, TurnBand(8, 1441)),
    "service_periods_weekdays": lambda v: first_period(v, weekdays=()),
    "service_periods_order": lambda v: first_period(v, start=time(23, 0), end=time(12, 0)),
    "closures_reason_length": lambda v: replace(
        v, closures=(Closure(date(2026, 12, 25), "r" * 201),)
    ),
    "zones_key_format": lambda v: renamed_zone(v, "z" * 41),
    "zones_name_length": lambda v: replace(
        v, zones=(replace(v.zones[0], name="z" * 81), *v.zones[1:])
    ),
    "tables_label_length": lambda v: renamed_table(v, "T" * 33),
    "tables_capacity": lambda v: first_table(v, capacity=1001, max_party=1001),
    "tables_party_range": lambda v: first_table(v, min_party=5, max_party=4),
}


def test_every_check_constraint_of_a_venue_has_a_case(admin: Connection) -> None:
    rows = admin.execute(
        """
        SELECT c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
         WHERE c.contype = 'c' AND t.relname = ANY(%s)
        """,
        (list(VENUE_TABLES),),
    ).fetchall()

    assert {row["conname"] for row in rows} == set(CASES) | INTERNAL


@pytest.mark.parametrize("constraint", sorted(CASES))
def test_the_database_refuses_the_case_by_its_constraint(
    admin: Connection, constraint: str
) -> None:
    broken = CASES[constraint](VENUE)

    with pytest.raises(psycopg.errors.CheckViolation) as refused, admin.transaction():
        save_venue(admin, broken)

    assert refused.value.diag.constraint_name == constraint


@pytest.mark.parametrize("constraint", sorted(CASES))
def test_the_document_reader_refuses_the_case_first(constraint: str) -> None:
    document = venue_to_document(CASES[constraint](VENUE))

    with pytest.raises(VenueDocumentError) as refused:
        parse_venue_document(document)

    assert refused.value.problems
