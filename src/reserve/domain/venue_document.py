"""The venue document: the TOML a restaurant edits, read into a ``Venue`` and written back.

``parse_venue_document`` checks the whole document before building anything and reports
every problem at once, so whoever edits the file fixes it in one pass rather than one
error per attempt. Each problem is a short sentence that starts with where it is, for
example ``tables[3] (MD-04): min_party 5 is above max_party 4``; indexes count from 0,
like the arrays they point into.

``venue_to_document`` is the inverse: parsing what it returns gives back an equal venue.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from itertools import combinations
from typing import Generic, TypeGuard, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reserve.domain.errors import VenueDocumentError
from reserve.domain.venue import Closure, Service, ServicePeriod, Table, TurnBand, Venue, Zone

_T = TypeVar("_T")
_K = TypeVar("_K", bound=Hashable)

_MINUTES_PER_DAY = 24 * 60
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PARTY_SIZE = re.compile(r"[1-9][0-9]*")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_SETTING_KEYS = frozenset(
    {"slug", "name", "timezone", "slot_interval_minutes", "hold_ttl_seconds", "buffer_minutes"}
    | {"max_online_party_size", "booking_horizon_days", "lead_time_minutes"}
    | {"max_covers_per_slot"}
)
_TOP_LEVEL_KEYS = _SETTING_KEYS | {"adjacent", "services", "periods", "zones", "tables", "closures"}
_ZONE_KEYS = frozenset({"key", "name"})
_TABLE_KEYS = frozenset(
    {"label", "zone", "capacity", "min_party", "max_party", "category", "seating"}
    | {"combinable", "active"}
)
_SERVICE_KEYS = frozenset({"turn_minutes"})
_PERIOD_KEYS = frozenset({"service", "weekdays", "start", "end"})
_CLOSURE_KEYS = frozenset({"date", "reason"})


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
        raise VenueDocumentError([f"the document must be a table, not {_describe(data)}"])
    problems: list[str] = []
    top = _Entry(data, "", _TOP_LEVEL_KEYS, problems)
    settings = _read_settings(top)
    zones = _read_zones(top)
    tables = _read_tables(top, zones)
    adjacency = _read_adjacency(top, tables)
    services = _read_services(top)
    grid = None if "slot_interval_minutes" in top.failed else settings.slot_interval_minutes
    periods = _read_periods(top, services, grid)
    closures = _read_closures(top)
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
    if venue.max_covers_per_slot is not None:
        document["max_covers_per_slot"] = venue.max_covers_per_slot
    document["adjacent"] = [[first, second] for first, second in venue.adjacent_pairs()]
    document["services"] = {service.name: _service_document(service) for service in venue.services}
    document["periods"] = [_period_document(period) for period in venue.periods]
    document["zones"] = [{"key": zone.key, "name": zone.name} for zone in venue.zones]
    document["tables"] = [_table_document(table) for table in venue.tables]
    if venue.closures:
        document["closures"] = [_closure_document(closure) for closure in venue.closures]
    return document


# Reading: one entry of the document at a time ------------------------------------------

_ABSENT = object()


class _Entry:
    """One table of the document (the top level, a zone, a table...), read key by key.

    Readers never raise: they note a problem and return a stand-in value, so reading goes
    on to find the next problem. Stand-ins never reach a ``Venue`` because any problem
    stops the parse; ``failed`` names the keys holding stand-ins, so that checks across
    keys skip them rather than report nonsense about values the document never had.
    """

    def __init__(
        self, data: Mapping[str, object], where: str, keys: Collection[str], problems: list[str]
    ) -> None:
        self.data = data
        self.where = where
        self.problems = problems
        self.failed: set[str] = set()
        for key in data:
            if key not in keys:
                self.note(f"unknown key {key!r}")

    @property
    def ok(self) -> bool:
        return not self.failed

    def note(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}" if self.where else message)

    def fail(self, key: str, message: str) -> None:
        self.failed.add(key)
        self.note(message)

    def value(self, key: str, *, required: bool = True) -> object:
        """The value under ``key``, or ``_ABSENT`` (a problem when required)."""
        if key in self.data:
            return self.data[key]
        if required:
            self.fail(key, f"missing required key {key!r}")
        return _ABSENT

    def wrong_type(self, key: str, expected: str, value: object) -> None:
        self.fail(key, f"{key} must be {expected}, not {_describe(value)}")

    def text(self, key: str, *, default: str | None = None, blank_ok: bool = False) -> str:
        value = self.value(key, required=default is None)
        if value is _ABSENT:
            return default or ""
        if not isinstance(value, str):
            self.wrong_type(key, "a string", value)
            return ""
        if not blank_ok and not value.strip():
            self.fail(key, f"{key} is blank")
        return value

    def integer(
        self, key: str, *, minimum: int, maximum: int | None = None, default: int | None = None
    ) -> int:
        value = self.value(key, required=default is None)
        if value is _ABSENT:
            return minimum if default is None else default
        if not _is_integer(value):
            self.wrong_type(key, "an integer", value)
            return minimum
        if value < minimum:
            self.fail(key, f"{key} {value} is below {minimum}")
        elif maximum is not None and value > maximum:
            self.fail(key, f"{key} {value} is above {maximum}")
        return value

    def flag(self, key: str, *, default: bool) -> bool:
        value = self.value(key, required=False)
        if value is _ABSENT:
            return default
        if not isinstance(value, bool):
            self.wrong_type(key, "true or false", value)
            return default
        return value


@dataclass
class _Section(Generic[_T]):
    """What one part of the document yielded: its faultless entries and every name it gives.

    A faulty entry stays out of ``entries`` but its name stays in ``names``, so references
    to it are not reported a second time as unknown. When the part itself is missing or
    malformed it is not ``readable``, and references to it go unchecked for the same reason.
    """

    entries: list[_T] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    readable: bool = True

    def knows(self, name: str) -> bool:
        return not self.readable or name in self.names

    def remember(self, name: object) -> None:
        """Notes the name an entry gives, even a badly formatted one.

        An entry with no name at all could be the one any reference means, so references
        to this part then go unchecked.
        """
        if isinstance(name, str):
            self.names.add(name)
        else:
            self.readable = False


def _array_of_tables(
    top: _Entry, key: str, *, required: bool
) -> list[tuple[int, Mapping[str, object]]]:
    value = top.value(key, required=required)
    if value is _ABSENT:
        return []
    if not isinstance(value, list):
        top.wrong_type(key, "an array of tables", value)
        return []
    if required and not value:
        top.fail(key, f"{key} is empty, and a venue needs at least one")
    items: list[tuple[int, Mapping[str, object]]] = []
    for index, item in enumerate(value):
        if isinstance(item, Mapping):
            items.append((index, item))
        else:
            top.note(f"{key}[{index}] must be a table, not {_describe(item)}")
    return items


def _repeats(seen: dict[_K, int], key: _K, index: int) -> int | None:
    """The index of an earlier entry with the same key, remembering this one if first."""
    earlier = seen.setdefault(key, index)
    return None if earlier == index else earlier


# Reading: the sections ----------------------------------------------------------------


def _read_settings(top: _Entry) -> Venue:
    """The venue's own settings, as a venue with no floor, services or closures yet."""
    settings = Venue(
        slug=_slug(top, "slug"),
        name=top.text("name"),
        timezone=_timezone(top),
        slot_interval_minutes=top.integer("slot_interval_minutes", minimum=5, maximum=240),
        hold_ttl_seconds=top.integer("hold_ttl_seconds", minimum=10),
        buffer_minutes=top.integer("buffer_minutes", minimum=0, maximum=720),
        max_online_party_size=top.integer("max_online_party_size", minimum=1),
        booking_horizon_days=top.integer("booking_horizon_days", minimum=1),
        lead_time_minutes=top.integer("lead_time_minutes", minimum=0, default=0),
        max_covers_per_slot=(
            top.integer("max_covers_per_slot", minimum=1)
            if "max_covers_per_slot" in top.data
            else None
        ),
    )
    interval = settings.slot_interval_minutes
    # Slots must fall at the same times every day, so the interval has to tile a day.
    if "slot_interval_minutes" not in top.failed and _MINUTES_PER_DAY % interval:
        top.fail("slot_interval_minutes", f"slot_interval_minutes {interval} does not divide 1440")
    return settings


def _slug(entry: _Entry, key: str) -> str:
    value = entry.text(key)
    if key not in entry.failed and not _SLUG.fullmatch(value):
        entry.fail(key, f"{key} {value!r} is not lowercase letters, digits and single hyphens")
    return value


def _timezone(top: _Entry) -> str:
    name = top.text("timezone")
    if "timezone" not in top.failed:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            top.fail("timezone", f"timezone {name!r} is not an IANA time zone")
    return name


def _read_zones(top: _Entry) -> _Section[Zone]:
    zones: _Section[Zone] = _Section()
    seen: dict[str, int] = {}
    items = _array_of_tables(top, "zones", required=True)
    zones.readable = "zones" not in top.failed
    for index, data in items:
        entry = _Entry(data, f"zones[{index}]", _ZONE_KEYS, top.problems)
        zone = Zone(key=_slug(entry, "key"), name=entry.text("name"))
        zones.remember(data.get("key"))
        if "key" not in entry.failed:
            earlier = _repeats(seen, zone.key, index)
            if earlier is not None:
                entry.fail("key", f"key {zone.key!r} repeats zones[{earlier}]")
        if entry.ok:
            zones.entries.append(zone)
    return zones


def _read_tables(top: _Entry, zones: _Section[Zone]) -> _Section[Table]:
    tables: _Section[Table] = _Section()
    seen: dict[str, int] = {}
    items = _array_of_tables(top, "tables", required=True)
    tables.readable = "tables" not in top.failed
    for index, data in items:
        entry = _Entry(data, _table_where(index, data), _TABLE_KEYS, top.problems)
        table = _read_table(entry, zones)
        tables.remember(data.get("label"))
        if "label" not in entry.failed:
            earlier = _repeats(seen, table.label, index)
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


def _read_table(entry: _Entry, zones: _Section[Zone]) -> Table:
    table = Table(
        label=entry.text("label"),
        zone=entry.text("zone"),
        capacity=entry.integer("capacity", minimum=1),
        min_party=entry.integer("min_party", minimum=1),
        max_party=entry.integer("max_party", minimum=1),
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


def _read_adjacency(top: _Entry, tables: _Section[Table]) -> frozenset[frozenset[str]]:
    value = top.value("adjacent", required=False)
    if value is _ABSENT:
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
        earlier = _repeats(seen, frozenset(pair), index)
        if earlier is not None:
            top.note(f"adjacent[{index}]: {pair[0]} and {pair[1]} repeat adjacent[{earlier}]")
    return frozenset(seen)


def _adjacent_pair(
    top: _Entry, where: str, item: object, tables: _Section[Table], zone_of: Mapping[str, str]
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


def _read_services(top: _Entry) -> _Section[Service]:
    services: _Section[Service] = _Section()
    value = top.value("services")
    if not isinstance(value, Mapping):
        if value is not _ABSENT:
            top.wrong_type("services", "a table of services", value)
        services.readable = False
        return services
    for name, data in value.items():
        services.remember(name)
        service = _read_service(top, str(name), data)
        if service is not None:
            services.entries.append(service)
    return services


def _read_service(top: _Entry, name: str, data: object) -> Service | None:
    where = f"services.{name}"
    if not name.strip():
        top.note("services: a service name is blank")
        return None
    if not isinstance(data, Mapping):
        top.note(f"{where} must be a table, not {_describe(data)}")
        return None
    entry = _Entry(data, where, _SERVICE_KEYS, top.problems)
    turn_minutes = entry.value("turn_minutes")
    if turn_minutes is _ABSENT:
        return None
    if not isinstance(turn_minutes, Mapping):
        entry.wrong_type("turn_minutes", "a table of party size = minutes", turn_minutes)
        return None
    if not turn_minutes:
        entry.fail("turn_minutes", "turn_minutes is empty")
    bands = [_turn_band(entry, str(size), minutes) for size, minutes in turn_minutes.items()]
    if not entry.ok:
        return None
    read = [band for band in bands if band is not None]
    return Service(name, tuple(sorted(read, key=lambda band: band.max_party_size)))


def _turn_band(entry: _Entry, size: str, minutes: object) -> TurnBand | None:
    # TOML keys are always strings, so the party sizes arrive as "2", "4"...
    if not _PARTY_SIZE.fullmatch(size):
        entry.fail("turn_minutes", f"turn_minutes key {size!r} is not a party size from 1 up")
        return None
    if not _is_integer(minutes):
        kind = _describe(minutes)
        entry.fail("turn_minutes", f"turn_minutes for {size} must be an integer, not {kind}")
        return None
    if not 1 <= minutes <= _MINUTES_PER_DAY:
        entry.fail("turn_minutes", f"turn_minutes for {size} is {minutes}, not within 1..1440")
        return None
    return TurnBand(max_party_size=int(size), minutes=minutes)


def _read_periods(
    top: _Entry, services: _Section[Service], grid: int | None
) -> list[ServicePeriod]:
    periods: list[tuple[int, ServicePeriod]] = []
    for index, data in _array_of_tables(top, "periods", required=True):
        entry = _Entry(data, f"periods[{index}]", _PERIOD_KEYS, top.problems)
        period = _read_period(entry, services, grid)
        if entry.ok:
            periods.append((index, period))
    _check_overlaps(top, periods)
    return [period for _, period in periods]


def _read_period(entry: _Entry, services: _Section[Service], grid: int | None) -> ServicePeriod:
    service = entry.text("service")
    if "service" not in entry.failed and not services.knows(service):
        entry.fail("service", f"service {service!r} is not defined under services")
    weekdays = _weekdays(entry)
    start = _clock(entry, "start", midnight_allowed=False)
    end = _clock(entry, "end", midnight_allowed=True)
    if entry.failed.isdisjoint({"start", "end"}) and start >= end:
        entry.fail("end", f"start {_clock_text(start)} is not before end {_clock_text(end)}")
    if grid is not None and "start" not in entry.failed and start % grid:
        entry.fail("start", f"start {_clock_text(start)} is not on the {grid}-minute slot grid")
    return ServicePeriod(
        service=service,
        weekdays=weekdays,
        start=_time_of_day(start),
        end=None if end == _MINUTES_PER_DAY else _time_of_day(end),
    )


def _weekdays(entry: _Entry) -> tuple[int, ...]:
    value = entry.value("weekdays")
    if value is _ABSENT:
        return ()
    if not isinstance(value, list) or not value:
        entry.fail("weekdays", "weekdays must be a non-empty array of ISO weekdays 1..7")
        return ()
    days: list[int] = []
    for day in value:
        if not _is_integer(day) or not 1 <= day <= 7:
            entry.fail("weekdays", f"weekday {_show(day)} is not an ISO weekday 1..7")
        elif day in days:
            entry.fail("weekdays", f"weekday {day} is listed twice")
        else:
            days.append(day)
    return tuple(sorted(days))


def _clock(entry: _Entry, key: str, *, midnight_allowed: bool) -> int:
    """Minutes since midnight of an ``"HH:MM"`` (or TOML time) value."""
    value = entry.value(key)
    if value is _ABSENT:
        return 0
    if isinstance(value, time) and not (value.second or value.microsecond or value.tzinfo):
        return value.hour * 60 + value.minute
    if isinstance(value, str):
        if midnight_allowed and value == "24:00":
            return _MINUTES_PER_DAY
        match = _CLOCK.fullmatch(value)
        if match:
            return int(match[1]) * 60 + int(match[2])
    latest = "24:00" if midnight_allowed else "23:59"
    entry.fail(key, f'{key} {_show(value)} is not a time "HH:MM" from 00:00 to {latest}')
    return 0


def _check_overlaps(top: _Entry, periods: list[tuple[int, ServicePeriod]]) -> None:
    for (first_index, first), (second_index, second) in combinations(periods, 2):
        shared = sorted(set(first.weekdays) & set(second.weekdays))
        first_start, first_end = _span(first)
        second_start, second_end = _span(second)
        if shared and first_start < second_end and second_start < first_end:
            days = ", ".join(_WEEKDAYS[day - 1] for day in shared)
            top.note(f"periods[{first_index}] and periods[{second_index}] overlap on {days}")


def _read_closures(top: _Entry) -> list[Closure]:
    closures: list[Closure] = []
    seen: dict[date, int] = {}
    for index, data in _array_of_tables(top, "closures", required=False):
        entry = _Entry(data, f"closures[{index}]", _CLOSURE_KEYS, top.problems)
        day = _closure_day(entry)
        closure = Closure(day=day, reason=entry.text("reason", default="", blank_ok=True))
        if "date" not in entry.failed:
            earlier = _repeats(seen, closure.day, index)
            if earlier is not None:
                entry.fail("date", f"date {closure.day} repeats closures[{earlier}]")
        if entry.ok:
            closures.append(closure)
    return sorted(closures, key=lambda closure: closure.day)


def _closure_day(entry: _Entry) -> date:
    value = entry.value("date")
    if value is _ABSENT:
        return date.min
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    # fromisoformat alone would also take "20251225" and week dates such as "2025-W52-4".
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    entry.fail("date", f'date {_show(value)} is not a date "YYYY-MM-DD"')
    return date.min


# Writing -----------------------------------------------------------------------------


def _service_document(service: Service) -> dict[str, object]:
    bands = {str(band.max_party_size): band.minutes for band in service.turn_bands}
    return {"turn_minutes": bands}


def _period_document(period: ServicePeriod) -> dict[str, object]:
    start, end = _span(period)
    return {
        "service": period.service,
        "weekdays": list(period.weekdays),
        "start": _clock_text(start),
        "end": _clock_text(end),
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


# Small conversions ---------------------------------------------------------------------


def _is_integer(value: object) -> TypeGuard[int]:
    # bool is a subclass of int, but `capacity = true` is a mistake, not a capacity of 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _span(period: ServicePeriod) -> tuple[int, int]:
    """Start and end of a period in minutes since midnight, the end of the day as 1440."""
    start = period.start.hour * 60 + period.start.minute
    if period.end is None:
        return start, _MINUTES_PER_DAY
    return start, period.end.hour * 60 + period.end.minute


def _time_of_day(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _show(value: object) -> str:
    """A value as the document spells it, for quoting it back in a problem."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)


_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a number with a fraction"),
    (str, "a string"),
    (datetime, "a date-time"),
    (date, "a date"),
    (time, "a time"),
    (list, "an array"),
    (Mapping, "a table"),
)


def _describe(value: object) -> str:
    """The kind of a value, in TOML's words, for problems about types."""
    if value is None:
        return "null"
    for kind, noun in _KINDS:
        if isinstance(value, kind):
            return noun
    return type(value).__name__
