"""The venue's settings and floor in a venue document, read with every problem noted.

``venue_document.parse_venue_document`` calls these readers in document order, then those
of ``timetable_reading``; each takes the top-level ``Entry`` and what earlier parts yielded
(tables name zones, adjacent pairs name tables), so that a reference is checked against
what the document really defines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reserve.domain import limits
from reserve.domain.document_reading import (
    ABSENT,
    Entry,
    Section,
    array_of_tables,
    describe,
    repeats,
)
from reserve.domain.timetable_reading import MINUTES_PER_DAY
from reserve.domain.venue import (
    DEFAULT_NO_SHOW_GRACE_MINUTES,
    DEFAULT_SEAT_EARLY_MINUTES,
    Table,
    Venue,
    Zone,
)

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# An origin as browsers send it and frame-ancestors matches it: http or https, a host name
# (or IPv4 address) and an optional port, nothing after. Matched once lower-cased.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_ORIGIN = re.compile(
    rf"(?P<scheme>https?)://(?P<host>{_LABEL}(?:\.{_LABEL})*)(?::(?P<port>[0-9]{{1,5}}))?"
)
_HOST_LENGTH = 253
_PORTS = range(1, 65536)

_SETTING_KEYS = frozenset(
    {"slug", "name", "timezone", "slot_interval_minutes", "hold_ttl_seconds", "buffer_minutes"}
    | {"max_online_party_size", "booking_horizon_days", "lead_time_minutes"}
    | {"seat_early_minutes", "no_show_grace_minutes"}
    | {"max_covers_per_slot", "embed_origins"}
)
TOP_LEVEL_KEYS = _SETTING_KEYS | {"adjacent", "services", "periods", "zones", "tables", "closures"}
_ZONE_KEYS = frozenset({"key", "name"})
_TABLE_KEYS = frozenset(
    {"label", "zone", "capacity", "min_party", "max_party", "category", "seating"}
    | {"combinable", "active"}
)


def read_settings(top: Entry) -> Venue:
    """The venue's own settings, as a venue with no floor, services or closures yet."""
    settings = Venue(
        slug=_slug(top, "slug", limits.SLUG_LENGTH),
        name=top.text("name", max_length=limits.RESTAURANT_NAME_LENGTH),
        timezone=_timezone(top),
        slot_interval_minutes=top.integer(
            "slot_interval_minutes",
            minimum=limits.SLOT_INTERVAL_MINUTES[0],
            maximum=limits.SLOT_INTERVAL_MINUTES[1],
        ),
        hold_ttl_seconds=top.integer("hold_ttl_seconds", minimum=limits.HOLD_TTL_SECONDS_MIN),
        buffer_minutes=top.integer(
            "buffer_minutes",
            minimum=limits.BUFFER_MINUTES[0],
            maximum=limits.BUFFER_MINUTES[1],
        ),
        max_online_party_size=top.integer("max_online_party_size", minimum=1),
        booking_horizon_days=top.integer("booking_horizon_days", minimum=1),
        lead_time_minutes=top.integer("lead_time_minutes", minimum=0, default=0),
        seat_early_minutes=top.integer(
            "seat_early_minutes",
            minimum=limits.SEAT_EARLY_MINUTES[0],
            maximum=limits.SEAT_EARLY_MINUTES[1],
            default=DEFAULT_SEAT_EARLY_MINUTES,
        ),
        no_show_grace_minutes=top.integer(
            "no_show_grace_minutes",
            minimum=limits.NO_SHOW_GRACE_MINUTES[0],
            maximum=limits.NO_SHOW_GRACE_MINUTES[1],
            default=DEFAULT_NO_SHOW_GRACE_MINUTES,
        ),
        max_covers_per_slot=(
            top.integer("max_covers_per_slot", minimum=1)
            if "max_covers_per_slot" in top.data
            else None
        ),
        embed_origins=_embed_origins(top),
    )
    interval = settings.slot_interval_minutes
    # Slots must fall at the same times every day, so the interval has to tile a day.
    if "slot_interval_minutes" not in top.failed and MINUTES_PER_DAY % interval:
        top.fail("slot_interval_minutes", f"slot_interval_minutes {interval} does not divide 1440")
    return settings


def _slug(entry: Entry, key: str, max_length: int) -> str:
    value = entry.text(key, max_length=max_length)
    if key not in entry.failed and not _SLUG.fullmatch(value):
        entry.fail(key, f"{key} {value!r} is not lowercase letters, digits and single hyphens")
    return value


def _timezone(top: Entry) -> str:
    name = top.text("timezone")
    if "timezone" not in top.failed:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            top.fail("timezone", f"timezone {name!r} is not an IANA time zone")
    return name


def _embed_origins(top: Entry) -> tuple[str, ...]:
    """The origins that may frame the venue's booking page, lower-cased, in document order."""
    value = top.value("embed_origins", required=False)
    if value is ABSENT:
        return ()
    if not isinstance(value, list):
        top.wrong_type("embed_origins", "an array of origins", value)
        return ()
    origins: list[str] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(value):
        where = f"embed_origins[{index}]"
        if not isinstance(item, str):
            top.fail("embed_origins", f"{where} must be a string, not {describe(item)}")
            continue
        origin = _origin(item)
        if origin is None:
            top.fail(
                "embed_origins",
                f"{where} {item!r} is not an origin: http:// or https://, a host and an "
                "optional port, with no path, query or fragment (https://www.example.com)",
            )
            continue
        earlier = repeats(seen, origin, index)
        if earlier is not None:
            top.fail("embed_origins", f"{where} {item!r} repeats embed_origins[{earlier}]")
            continue
        origins.append(origin)
    return tuple(origins)


def _origin(text: str) -> str | None:
    """``text`` as an origin, lower-cased; None when it is not one."""
    match = _ORIGIN.fullmatch(text.lower())
    if match is None or len(match["host"]) > _HOST_LENGTH:
        return None
    port = match["port"]
    if port is None:
        return f"{match['scheme']}://{match['host']}"
    if int(port) not in _PORTS:
        return None
    return f"{match['scheme']}://{match['host']}:{int(port)}"


def read_zones(top: Entry) -> Section[Zone]:
    zones: Section[Zone] = Section()
    seen: dict[str, int] = {}
    items = array_of_tables(top, "zones", required=True)
    zones.readable = "zones" not in top.failed
    for index, data in items:
        entry = Entry(data, f"zones[{index}]", _ZONE_KEYS, top.problems)
        zone = Zone(
            key=_slug(entry, "key", limits.ZONE_KEY_LENGTH),
            name=entry.text("name", max_length=limits.ZONE_NAME_LENGTH),
        )
        zones.remember(data.get("key"))
        if "key" not in entry.failed:
            earlier = repeats(seen, zone.key, index)
            if earlier is not None:
                entry.fail("key", f"key {zone.key!r} repeats zones[{earlier}]")
        if entry.ok:
            zones.entries.append(zone)
    return zones


def read_tables(top: Entry, zones: Section[Zone]) -> Section[Table]:
    tables: Section[Table] = Section()
    seen: dict[str, int] = {}
    items = array_of_tables(top, "tables", required=True)
    tables.readable = "tables" not in top.failed
    for index, data in items:
        entry = Entry(data, _table_where(index, data), _TABLE_KEYS, top.problems)
        table = _read_table(entry, zones)
        tables.remember(data.get("label"))
        if "label" not in entry.failed:
            earlier = repeats(seen, table.label, index)
            if earlier is not None:
                entry.fail("label", f"label repeats tables[{earlier}]")
        if entry.ok:
            tables.entries.append(table)
    return tables


def _table_where(index: int, data: Mapping[str, object]) -> str:
    label = data.get("label")
    if isinstance(label, str) and label.strip():
        return f"tables[{index}] ({label})"
    return f"tables[{index}]"


def _read_table(entry: Entry, zones: Section[Zone]) -> Table:
    table = Table(
        label=entry.text("label", max_length=limits.TABLE_LABEL_LENGTH),
        zone=entry.text("zone"),
        capacity=entry.integer(
            "capacity", minimum=limits.TABLE_CAPACITY[0], maximum=limits.TABLE_CAPACITY[1]
        ),
        min_party=entry.integer("min_party", minimum=1, maximum=limits.PARTY_SIZE[1]),
        max_party=entry.integer("max_party", minimum=1, maximum=limits.PARTY_SIZE[1]),
        category=entry.text("category", default="dining"),
        seating=entry.text("seating", default="standard"),
        combinable=entry.flag("combinable", default=True),
        active=entry.flag("active", default=True),
    )
    if "zone" not in entry.failed and not zones.knows(table.zone):
        entry.fail("zone", f"unknown zone {table.zone!r}")
    parties_read = entry.failed.isdisjoint({"min_party", "max_party"})
    if parties_read and table.min_party > table.max_party:
        entry.fail("min_party", f"min_party {table.min_party} is above max_party {table.max_party}")
    return table


def read_adjacency(top: Entry, tables: Section[Table]) -> frozenset[frozenset[str]]:
    value = top.value("adjacent", required=False)
    if value is ABSENT:
        return frozenset()
    if not isinstance(value, list):
        top.wrong_type("adjacent", "an array of pairs of table labels", value)
        return frozenset()
    zone_of = {table.label: table.zone for table in tables.entries}
    seen: dict[frozenset[str], int] = {}
    for index, item in enumerate(value):
        pair = _adjacent_pair(top, f"adjacent[{index}]", item, tables, zone_of)
        if pair is None:
            continue
        earlier = repeats(seen, frozenset(pair), index)
        if earlier is not None:
            top.note(f"adjacent[{index}]: {pair[0]} and {pair[1]} repeat adjacent[{earlier}]")
    return frozenset(seen)


def _adjacent_pair(
    top: Entry, where: str, item: object, tables: Section[Table], zone_of: Mapping[str, str]
) -> tuple[str, str] | None:
    if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)):
        top.note(f"{where} must be two table labels")
        return None
    first, second = item
    unknown = [label for label in (first, second) if not tables.knows(label)]
    for label in unknown:
        top.note(f"{where}: unknown table {label!r}")
    if unknown:
        return None
    if first == second:
        top.note(f"{where}: pairs {first} with itself")
        return None
    if first in zone_of and second in zone_of and zone_of[first] != zone_of[second]:
        top.note(f"{where}: {first} and {second} are in different zones")
        return None
    return first, second
