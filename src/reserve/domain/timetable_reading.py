"""The opening times in a venue document (services, periods, closures), read with every
problem noted, and the clock as the document spells it.

Periods name services, so ``read_periods`` takes what ``read_services`` yielded; it also
takes the slot grid, since every period must start on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from itertools import combinations

from reserve.domain import limits
from reserve.domain.document_reading import (
    ABSENT,
    Entry,
    Section,
    array_of_tables,
    describe,
    is_integer,
    repeats,
    show,
)
from reserve.domain.venue import Closure, Service, ServicePeriod, TurnBand

MINUTES_PER_DAY = 24 * 60
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PARTY_SIZE = re.compile(r"[1-9][0-9]*")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_SERVICE_KEYS = frozenset({"turn_minutes"})
_PERIOD_KEYS = frozenset({"service", "weekdays", "start", "end"})
_CLOSURE_KEYS = frozenset({"date", "reason"})


def read_services(top: Entry) -> Section[Service]:
    services: Section[Service] = Section()
    value = top.value("services")
    if not isinstance(value, Mapping):
        if value is not ABSENT:
            top.wrong_type("services", "a table of services", value)
        services.readable = False
        return services
    for name, data in value.items():
        services.remember(name)
        service = _read_service(top, str(name), data)
        if service is not None:
            services.entries.append(service)
    return services


def _read_service(top: Entry, name: str, data: object) -> Service | None:
    where = f"services.{name}"
    if not name.strip():
        top.note("services: a service name is blank")
        return None
    if len(name) > limits.SERVICE_NAME_LENGTH:
        top.note(f"{where}: a service name is at most {limits.SERVICE_NAME_LENGTH} characters")
        return None
    if not isinstance(data, Mapping):
        top.note(f"{where} must be a table, not {describe(data)}")
        return None
    entry = Entry(data, where, _SERVICE_KEYS, top.problems)
    turn_minutes = entry.value("turn_minutes")
    if turn_minutes is ABSENT:
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


def _turn_band(entry: Entry, size: str, minutes: object) -> TurnBand | None:
    # TOML keys are always strings, so the party sizes arrive as "2", "4"...
    if not _PARTY_SIZE.fullmatch(size):
        entry.fail("turn_minutes", f"turn_minutes key {size!r} is not a party size from 1 up")
        return None
    if not is_integer(minutes):
        kind = describe(minutes)
        entry.fail("turn_minutes", f"turn_minutes for {size} must be an integer, not {kind}")
        return None
    low, high = limits.TURN_MINUTES
    if not low <= minutes <= high:
        entry.fail(
            "turn_minutes", f"turn_minutes for {size} is {minutes}, not within {low}..{high}"
        )
        return None
    return TurnBand(max_party_size=int(size), minutes=minutes)


def read_periods(top: Entry, services: Section[Service], grid: int | None) -> list[ServicePeriod]:
    periods: list[tuple[int, ServicePeriod]] = []
    for index, data in array_of_tables(top, "periods", required=True):
        entry = Entry(data, f"periods[{index}]", _PERIOD_KEYS, top.problems)
        period = _read_period(entry, services, grid)
        if entry.ok:
            periods.append((index, period))
    _check_overlaps(top, periods)
    return [period for _, period in periods]


def _read_period(entry: Entry, services: Section[Service], grid: int | None) -> ServicePeriod:
    service = entry.text("service")
    if "service" not in entry.failed and not services.knows(service):
        entry.fail("service", f"service {service!r} is not defined under services")
    weekdays = _weekdays(entry)
    start = _clock(entry, "start", midnight_allowed=False)
    end = _clock(entry, "end", midnight_allowed=True)
    if entry.failed.isdisjoint({"start", "end"}) and start >= end:
        entry.fail("end", f"start {clock_text(start)} is not before end {clock_text(end)}")
    if grid is not None and "start" not in entry.failed and start % grid:
        entry.fail("start", f"start {clock_text(start)} is not on the {grid}-minute slot grid")
    return ServicePeriod(
        service=service,
        weekdays=weekdays,
        start=_time_of_day(start),
        end=None if end == MINUTES_PER_DAY else _time_of_day(end),
    )


def _weekdays(entry: Entry) -> tuple[int, ...]:
    value = entry.value("weekdays")
    if value is ABSENT:
        return ()
    if not isinstance(value, list) or not value:
        entry.fail("weekdays", "weekdays must be a non-empty array of ISO weekdays 1..7")
        return ()
    days: list[int] = []
    for day in value:
        if not is_integer(day) or not 1 <= day <= 7:
            entry.fail("weekdays", f"weekday {show(day)} is not an ISO weekday 1..7")
        elif day in days:
            entry.fail("weekdays", f"weekday {day} is listed twice")
        else:
            days.append(day)
    return tuple(sorted(days))


def _clock(entry: Entry, key: str, *, midnight_allowed: bool) -> int:
    """Minutes since midnight of an ``"HH:MM"`` (or TOML time) value."""
    value = entry.value(key)
    if value is ABSENT:
        return 0
    if isinstance(value, time) and not (value.second or value.microsecond or value.tzinfo):
        return value.hour * 60 + value.minute
    if isinstance(value, str):
        if midnight_allowed and value == "24:00":
            return MINUTES_PER_DAY
        match = _CLOCK.fullmatch(value)
        if match:
            return int(match[1]) * 60 + int(match[2])
    latest = "24:00" if midnight_allowed else "23:59"
    entry.fail(key, f'{key} {show(value)} is not a time "HH:MM" from 00:00 to {latest}')
    return 0


def _check_overlaps(top: Entry, periods: list[tuple[int, ServicePeriod]]) -> None:
    for (first_index, first), (second_index, second) in combinations(periods, 2):
        shared = sorted(set(first.weekdays) & set(second.weekdays))
        first_start, first_end = span(first)
        second_start, second_end = span(second)
        if shared and first_start < second_end and second_start < first_end:
            days = ", ".join(_WEEKDAYS[day - 1] for day in shared)
            top.note(f"periods[{first_index}] and periods[{second_index}] overlap on {days}")


def read_closures(top: Entry) -> list[Closure]:
    closures: list[Closure] = []
    seen: dict[date, int] = {}
    for index, data in array_of_tables(top, "closures", required=False):
        entry = Entry(data, f"closures[{index}]", _CLOSURE_KEYS, top.problems)
        day = _closure_day(entry)
        reason = entry.text(
            "reason", default="", blank_ok=True, max_length=limits.CLOSURE_REASON_LENGTH
        )
        closure = Closure(day=day, reason=reason)
        if "date" not in entry.failed:
            earlier = repeats(seen, closure.day, index)
            if earlier is not None:
                entry.fail("date", f"date {closure.day} repeats closures[{earlier}]")
        if entry.ok:
            closures.append(closure)
    return sorted(closures, key=lambda closure: closure.day)


def _closure_day(entry: Entry) -> date:
    value = entry.value("date")
    if value is ABSENT:
        return date.min
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    # fromisoformat alone would also take "20251225" and week dates such as "2025-W52-4".
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    entry.fail("date", f'date {show(value)} is not a date "YYYY-MM-DD"')
    return date.min


# The clock, as the document spells it -------------------------------------------------


def span(period: ServicePeriod) -> tuple[int, int]:
    """Start and end of a period in minutes since midnight, the end of the day as 1440."""
    start = period.start.hour * 60 + period.start.minute
    if period.end is None:
        return start, MINUTES_PER_DAY
    return start, period.end.hour * 60 + period.end.minute


def _time_of_day(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
