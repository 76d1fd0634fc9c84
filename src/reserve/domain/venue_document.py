"""The venue document: the TOML a restaurant edits, read into a ``Venue`` and written back.

``parse_venue_document`` checks the whole document before building anything and reports
every problem at once, so whoever edits the file fixes it in one pass rather than one
error per attempt. Each problem is a short sentence that starts with where it is, for
example ``tables[3] (MD-04): min_party 5 is above max_party 4``; indexes count from 0,
like the arrays they point into.

``venue_to_document`` is the inverse: parsing what it returns gives back an equal venue.

``document_reading`` reads a document while collecting its problems; the readers of its
parts are ``venue_reading`` (settings and floor) and ``timetable_reading`` (opening times).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import replace

from reserve.domain.document_reading import Entry, describe
from reserve.domain.errors import VenueDocumentError
from reserve.domain.timetable_reading import (
    clock_text,
    read_closures,
    read_periods,
    read_services,
    span,
)
from reserve.domain.venue import (
    DEFAULT_NO_SHOW_GRACE_MINUTES,
    DEFAULT_SEAT_EARLY_MINUTES,
    Closure,
    Service,
    ServicePeriod,
    Table,
    Venue,
)
from reserve.domain.venue_reading import (
    TOP_LEVEL_KEYS,
    read_adjacency,
    read_settings,
    read_tables,
    read_zones,
)


def load_venue_toml(text: str) -> Venue:
    """Reads a venue document from TOML text; bad syntax is one more document problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise VenueDocumentError([f"not valid TOML: {error}"]) from error
    return parse_venue_document(data)


def parse_venue_document(data: Mapping[str, object]) -> Venue:
    """The venue a document describes; ``VenueDocumentError`` lists every problem in it."""
    if not isinstance(data, Mapping):
        raise VenueDocumentError([f"the document must be a table, not {describe(data)}"])
    problems: list[str] = []
    top = Entry(data, "", TOP_LEVEL_KEYS, problems)
    settings = read_settings(top)
    zones = read_zones(top)
    tables = read_tables(top, zones)
    adjacency = read_adjacency(top, tables)
    services = read_services(top)
    grid = None if "slot_interval_minutes" in top.failed else settings.slot_interval_minutes
    periods = read_periods(top, services, grid)
    closures = read_closures(top)
    if problems:
        raise VenueDocumentError(problems)
    return replace(
        settings,
        zones=tuple(zones.entries),
        tables=tuple(tables.entries),
        adjacency=adjacency,
        services=tuple(services.entries),
        periods=tuple(periods),
        closures=tuple(closures),
    )


def venue_to_document(venue: Venue) -> dict[str, object]:
    """The document of a venue, shaped like ``venues/white-horse.toml`` and JSON-ready."""
    document: dict[str, object] = {
        "slug": venue.slug,
        "name": venue.name,
        "timezone": venue.timezone,
        "slot_interval_minutes": venue.slot_interval_minutes,
        "hold_ttl_seconds": venue.hold_ttl_seconds,
        "buffer_minutes": venue.buffer_minutes,
        "max_online_party_size": venue.max_online_party_size,
        "booking_horizon_days": venue.booking_horizon_days,
        "lead_time_minutes": venue.lead_time_minutes,
    }
    # Written only when not the default, so a venue that keeps them reads as it always did.
    if venue.seat_early_minutes != DEFAULT_SEAT_EARLY_MINUTES:
        document["seat_early_minutes"] = venue.seat_early_minutes
    if venue.no_show_grace_minutes != DEFAULT_NO_SHOW_GRACE_MINUTES:
        document["no_show_grace_minutes"] = venue.no_show_grace_minutes
    if venue.max_covers_per_slot is not None:
        document["max_covers_per_slot"] = venue.max_covers_per_slot
    if venue.embed_origins:
        document["embed_origins"] = list(venue.embed_origins)
    document["adjacent"] = [[first, second] for first, second in venue.adjacent_pairs()]
    document["services"] = {service.name: _service_document(service) for service in venue.services}
    document["periods"] = [_period_document(period) for period in venue.periods]
    document["zones"] = [{"key": zone.key, "name": zone.name} for zone in venue.zones]
    document["tables"] = [_table_document(table) for table in venue.tables]
    if venue.closures:
        document["closures"] = [_closure_document(closure) for closure in venue.closures]
    return document


# Writing -----------------------------------------------------------------------------


def _service_document(service: Service) -> dict[str, object]:
    bands = {str(band.max_party_size): band.minutes for band in service.turn_bands}
    return {"turn_minutes": bands}


def _period_document(period: ServicePeriod) -> dict[str, object]:
    start, end = span(period)
    return {
        "service": period.service,
        "weekdays": list(period.weekdays),
        "start": clock_text(start),
        "end": clock_text(end),
    }


def _table_document(table: Table) -> dict[str, object]:
    document: dict[str, object] = {
        "label": table.label,
        "zone": table.zone,
        "capacity": table.capacity,
        "min_party": table.min_party,
        "max_party": table.max_party,
        "category": table.category,
        "seating": table.seating,
    }
    if not table.combinable:
        document["combinable"] = False
    if not table.active:
        document["active"] = False
    return document


def _closure_document(closure: Closure) -> dict[str, object]:
    document: dict[str, object] = {"date": closure.day.isoformat()}
    if closure.reason:
        document["reason"] = closure.reason
    return document
