"""The integrity report (DESIGN section 9): rows the booking rules say can never exist.

Each check is one query (``reserve.db.integrity``; two checks share one) over every
restaurant or one, all in one unit of work of an operator's database: as the schema's owner
it sees every row, row-level security does not apply. Most checks can only fail after a
constraint was dropped or rows were changed by hand; the report is how we know that never
happened, after every slot-fill run and whenever an operator asks.

Combinations and capacities are judged against the floor and the flags as they are now
(``allocator.*``, with the venue's overrides and this process's environment), for the
bookings that hold tables now: confirmed and seated ones. A windows check likewise expects
the venue's buffer as it is now, so after a buffer change the bookings made before it show
until they are seated again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeAlias
from uuid import UUID
from zoneinfo import ZoneInfo

from reserve.config import allocation_policy, effective_flags
from reserve.db import integrity as store
from reserve.db.database import Connection, Transactions
from reserve.db.flags import overrides
from reserve.db.venues import load_venue
from reserve.domain.errors import ConfigurationError, NotFound
from reserve.domain.floor import Floor, Rule
from reserve.domain.venue import Table, Venue

Json: TypeAlias = "str | int | float | bool | list[Json] | dict[str, Json] | None"

OVERLAPPING_ALLOCATIONS = "overlapping_allocations"
BAD_WINDOWS = "bad_windows"
BOOKINGS_WITHOUT_TABLES = "bookings_without_tables"
TABLES_OF_FREED_BOOKINGS = "tables_of_freed_bookings"
WINDOWS_DISAGREEING = "windows_disagreeing"
BROKEN_COMBINATIONS = "broken_combinations"
OVER_CAPACITY = "over_capacity"
EXPIRED_HOLDS = "expired_holds"

CHECKS: dict[str, str] = {
    OVERLAPPING_ALLOCATIONS: "two allocations of one table whose windows overlap",
    BAD_WINDOWS: "allocations whose window is null, empty or unbounded",
    BOOKINGS_WITHOUT_TABLES: "confirmed or seated bookings with no table",
    TABLES_OF_FREED_BOOKINGS: "tables still held by cancelled, no-show or pending bookings",
    WINDOWS_DISAGREEING: "allocation windows other than the booking's [start, end + buffer)",
    BROKEN_COMBINATIONS: "combined tables across zones, out of shape, or too many of them",
    OVER_CAPACITY: "parties larger than their tables seat",
    EXPIRED_HOLDS: "holds past their expiry still present (reserve prune removes them)",
}

LIVE = ("confirmed", "seated")


@dataclass(frozen=True, slots=True)
class Violation:
    """One thing wrong: the restaurant, a line a person reads, and the facts to act on."""

    restaurant: str
    summary: str
    details: dict[str, Json] = field(default_factory=dict)

    def to_json(self) -> dict[str, Json]:
        return {"restaurant": self.restaurant, "summary": self.summary, **self.details}


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    description: str
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    restaurants: tuple[str, ...]
    checks: tuple[CheckResult, ...]
    checked_at: datetime

    @property
    def violations(self) -> int:
        """How many violations, over every check."""
        return sum(len(check.violations) for check in self.checks)

    @property
    def ok(self) -> bool:
        return self.violations == 0

    def check(self, name: str) -> CheckResult:
        return next(check for check in self.checks if check.name == name)

    def to_json(self) -> dict[str, Json]:
        return {
            "restaurants": list(self.restaurants),
            "checked_at": self.checked_at.isoformat(),
            "checks": {
                check.name: {
                    "ok": check.ok,
                    "count": len(check.violations),
                    "violations": [violation.to_json() for violation in check.violations],
                }
                for check in self.checks
            },
            "violations": self.violations,
        }


class _Context:
    """What the checks share: the restaurants examined, and each venue's floor and rule,
    loaded only for the restaurants a check needs them for."""

    def __init__(self, conn: Connection, restaurants: Sequence[store.Restaurant], now: datetime):
        self.conn = conn
        self.restaurants = {r.id: r for r in restaurants}
        self.ids = list(self.restaurants)
        self.now = now
        self._floors: dict[UUID, tuple[Venue, Floor, Rule]] = {}
        self._live: list[store.BookingRecord] | None = None

    def slug(self, restaurant_id: UUID) -> str:
        return self.restaurants[restaurant_id].slug

    def tz(self, restaurant_id: UUID) -> ZoneInfo:
        return self.restaurants[restaurant_id].tz

    def floor(self, restaurant_id: UUID) -> tuple[Venue, Floor, Rule]:
        if restaurant_id not in self._floors:
            venue = load_venue(self.conn, restaurant_id)
            # A stored override no flag accepts is refused here, as everywhere.
            flags = effective_flags(overrides(self.conn, restaurant_id))
            self._floors[restaurant_id] = (venue, Floor(venue), allocation_policy(flags).rule)
        return self._floors[restaurant_id]

    def live_bookings(self) -> list[store.BookingRecord]:
        """The confirmed and seated bookings with their tables (two checks read them)."""
        if self._live is None:
            self._live = store.bookings_with_tables(self.conn, self.ids, LIVE)
        return self._live


def check_integrity(
    database: Transactions,
    restaurant: str | None = None,
    *,
    now: datetime | None = None,
    hold_grace: timedelta = timedelta(0),
) -> IntegrityReport:
    """Run every check for ``restaurant`` (a slug; every restaurant when None) in one unit of
    work of ``database``, whose role must own the schema (an ``OperatorDatabase``). An
    unknown slug is ``NotFound``.

    Holds count as expired ``hold_grace`` after their ``expires_at`` (by ``now``)."""
    checked_at = now or datetime.now(UTC)

    def work(conn: Connection) -> IntegrityReport:
        _require_owner(conn)
        restaurants = _restaurants(conn, restaurant)
        context = _Context(conn, restaurants, checked_at - hold_grace)
        checks: list[CheckResult] = []
        for name, run in _RUNS.items():
            found = sorted(run(context) if restaurants else [], key=lambda v: v.restaurant)
            checks.append(CheckResult(name, CHECKS[name], tuple(found)))
        return IntegrityReport(tuple(r.slug for r in restaurants), tuple(checks), checked_at)

    return database.run(work)


def _require_owner(conn: Connection) -> None:
    """Refuse a connection that row-level security applies to: it would see a clean, empty
    database whatever the truth."""
    if store.row_security_applies(conn):
        raise ConfigurationError(
            "the integrity report must run as the role that owns the schema; "
            "row-level security hides rows from this one"
        )


def _restaurants(conn: Connection, slug: str | None) -> list[store.Restaurant]:
    found = store.restaurants(conn, slug)
    if slug is not None and not found:
        raise NotFound(f"no restaurant {slug!r}")
    return found


# --- the checks ----------------------------------------------------------------------------


def _overlapping_allocations(context: _Context) -> Iterator[Violation]:
    for overlap in store.overlapping_allocations(context.conn, context.ids):
        first, second = overlap.first, overlap.second
        tz = context.tz(first.restaurant_id)
        first_owner, second_owner = _owner(first.owner), _owner(second.owner)
        yield Violation(
            context.slug(first.restaurant_id),
            f"{first.label}: {_owner_text(first_owner)} {_span_text(first.window, tz)}"
            f" overlaps {_owner_text(second_owner)} {_span_text(second.window, tz)}",
            {
                "table": first.label,
                "first": {**first_owner, "window": _window(first.window, tz)},
                "second": {**second_owner, "window": _window(second.window, tz)},
            },
        )


def _bad_windows(context: _Context) -> Iterator[Violation]:
    for allocation in store.bad_windows(context.conn, context.ids):
        window, tz = allocation.window, context.tz(allocation.restaurant_id)
        problem = "null" if window is None else "empty" if window.empty else "unbounded"
        has = {
            "null": "no window",
            "empty": "an empty window",
            "unbounded": f"an unbounded window {_span_text(window, tz)}",
        }[problem]
        owner = _owner(allocation.owner)
        yield Violation(
            context.slug(allocation.restaurant_id),
            f"{allocation.label}: {_owner_text(owner)} on {allocation.service_date} has {has}",
            {
                "table": allocation.label,
                "allocation_id": str(allocation.id),
                "service_date": allocation.service_date.isoformat(),
                "problem": problem,
                **owner,
                "window": _window(window, tz),
            },
        )


def _bookings_without_tables(context: _Context) -> Iterator[Violation]:
    for booking in store.bookings_without_tables(context.conn, context.ids):
        tz = context.tz(booking.restaurant_id)
        span = store.Span(booking.start_at, booking.end_at)
        yield Violation(
            context.slug(booking.restaurant_id),
            f"booking {booking.reference} ({booking.status}, party of {booking.party_size}, "
            f"{_span_text(span, tz)}) has no table",
            _booking(booking, tz),
        )


def _tables_of_freed_bookings(context: _Context) -> Iterator[Violation]:
    freed = ("cancelled", "no_show", "pending")
    for booking in store.bookings_with_tables(context.conn, context.ids, freed):
        yield Violation(
            context.slug(booking.restaurant_id),
            f"{booking.status} booking {booking.reference} still holds {', '.join(booking.tables)}",
            {
                **_booking(booking, context.tz(booking.restaurant_id)),
                "tables": list(booking.tables),
            },
        )


def _windows_disagreeing(context: _Context) -> Iterator[Violation]:
    for disagreement in store.windows_disagreeing(context.conn, context.ids):
        allocation, booking_date = disagreement.allocation, disagreement.booking_date
        owner, tz = allocation.owner, context.tz(allocation.restaurant_id)
        moved = allocation.service_date != booking_date
        dated = f" (dated {allocation.service_date}, the booking {booking_date})" if moved else ""
        yield Violation(
            context.slug(allocation.restaurant_id),
            f"booking {owner.reference} ({owner.status}) at {allocation.label}: window "
            f"{_span_text(allocation.window, tz, bounds=True)}, expected "
            f"{_span_text(disagreement.expected, tz, bounds=True)}{dated}",
            {
                **_owner(owner),
                "table": allocation.label,
                "window": _window(allocation.window, tz),
                "expected": _window(disagreement.expected, tz),
                "service_date": allocation.service_date.isoformat(),
                "booking_service_date": booking_date.isoformat(),
            },
        )


def _broken_combinations(context: _Context) -> Iterator[Violation]:
    for booking in context.live_bookings():
        if len(booking.tables) < 2:
            continue
        problems = _combination_problems(*context.floor(booking.restaurant_id), booking)
        if problems:
            yield Violation(
                context.slug(booking.restaurant_id),
                f"booking {booking.reference} (party of {booking.party_size}) at "
                f"{'+'.join(booking.tables)}: {'; '.join(problems)}",
                {
                    **_booking(booking, context.tz(booking.restaurant_id)),
                    "tables": list(booking.tables),
                    "problems": list(problems),
                },
            )


def _combination_problems(
    venue: Venue, floor: Floor, rule: Rule, booking: store.BookingRecord
) -> list[str]:
    chosen = _tables_of(venue, booking)
    problems = []
    zones = sorted({table.zone for table in chosen})
    if len(zones) > 1:
        problems.append(f"tables in different zones ({', '.join(zones)})")
    if len(chosen) > rule.max_tables:
        problems.append(f"{len(chosen)} tables, more than allocator.max_tables ({rule.max_tables})")
    problems += [f"{table.label} is not combinable" for table in chosen if not table.combinable]
    inactive = [f"{table.label} is inactive" for table in chosen if not table.active]
    problems += inactive
    if (
        len(zones) == 1
        and not inactive
        and rule.needs_adjacency(booking.party_size)
        and not floor.has_shape(booking.tables, rule.adjacency_mode)
    ):
        problems.append(f"not {rule.adjacency_mode.value} (allocator.adjacency_mode)")
    return problems


def _over_capacity(context: _Context) -> Iterator[Violation]:
    for booking in context.live_bookings():
        venue, _, _ = context.floor(booking.restaurant_id)
        chosen = _tables_of(venue, booking)
        if len(chosen) == 1:
            limit, what = chosen[0].max_party, "at most"
        else:
            limit, what = sum(table.capacity for table in chosen), "seats"
        if booking.party_size > limit:
            yield Violation(
                context.slug(booking.restaurant_id),
                f"booking {booking.reference}: party of {booking.party_size} at "
                f"{'+'.join(booking.tables)} ({what} {limit})",
                {
                    **_booking(booking, context.tz(booking.restaurant_id)),
                    "tables": list(booking.tables),
                    "capacity": limit,
                },
            )


def _tables_of(venue: Venue, booking: store.BookingRecord) -> list[Table]:
    tables = {table.label: table for table in venue.tables}
    return [tables[label] for label in booking.tables]


def _expired_holds(context: _Context) -> Iterator[Violation]:
    for hold in store.expired_holds(context.conn, context.ids, context.now):
        tz = context.tz(hold.restaurant_id)
        tables = ", ".join(hold.tables) or "no table"
        yield Violation(
            context.slug(hold.restaurant_id),
            f"hold {str(hold.id)[:8]} (party of {hold.party_size}, {tables}) "
            f"expired {_when(hold.expires_at, tz)}",
            {
                "hold_id": str(hold.id),
                "party_size": hold.party_size,
                "tables": list(hold.tables),
                "window": _window(store.Span(hold.start_at, hold.end_at), tz),
                "expires_at": hold.expires_at.astimezone(tz).isoformat(),
            },
        )


_RUNS: dict[str, Callable[[_Context], Iterable[Violation]]] = {
    OVERLAPPING_ALLOCATIONS: _overlapping_allocations,
    BAD_WINDOWS: _bad_windows,
    BOOKINGS_WITHOUT_TABLES: _bookings_without_tables,
    TABLES_OF_FREED_BOOKINGS: _tables_of_freed_bookings,
    WINDOWS_DISAGREEING: _windows_disagreeing,
    BROKEN_COMBINATIONS: _broken_combinations,
    OVER_CAPACITY: _over_capacity,
    EXPIRED_HOLDS: _expired_holds,
}


# --- how violations read ---------------------------------------------------------------------


def _owner(owner: store.Owner) -> dict[str, Json]:
    """What owns an allocation: a booking (by reference), a hold or a block (by id)."""
    if owner.booking_id is not None:
        return {
            "owner": "booking",
            "booking": owner.reference,
            "booking_id": str(owner.booking_id),
            "status": owner.status,
        }
    if owner.hold_id is not None:
        return {"owner": "hold", "hold_id": str(owner.hold_id)}
    if owner.block_id is not None:
        return {"owner": "block", "block_id": str(owner.block_id)}
    return {"owner": None}


def _owner_text(owner: dict[str, Json]) -> str:
    kind = owner["owner"]
    if kind == "booking":
        return f"booking {owner['booking']}"
    if kind is None:
        return "an allocation with no owner"
    return f"{kind} {str(owner[f'{kind}_id'])[:8]}"


def _booking(booking: store.BookingRecord, tz: ZoneInfo) -> dict[str, Json]:
    return {
        "booking": booking.reference,
        "booking_id": str(booking.id),
        "status": booking.status,
        "party_size": booking.party_size,
        "start_at": booking.start_at.astimezone(tz).isoformat(),
        "end_at": booking.end_at.astimezone(tz).isoformat(),
    }


def _window(window: store.Span | None, tz: ZoneInfo) -> dict[str, Json] | None:
    """A window as JSON: its ends in the venue's time (None where unbounded); None for no
    window or an empty one."""
    if window is None or window.empty:
        return None
    return {
        "start": None if window.lower is None else window.lower.astimezone(tz).isoformat(),
        "end": None if window.upper is None else window.upper.astimezone(tz).isoformat(),
        "bounds": window.bounds,
    }


def _when(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"


def _span_text(window: store.Span | None, tz: ZoneInfo, *, bounds: bool = False) -> str:
    """``2026-12-07 19:00-21:05`` in the venue's time (the date again when it ends on another)."""
    if window is None:
        return "(no window)"
    if window.empty:
        return "(empty)"
    start = "-inf" if window.lower is None else _when(window.lower, tz)
    if window.upper is None:
        end = "+inf"
    elif window.lower is not None and window.lower.astimezone(tz).date() == (
        window.upper.astimezone(tz).date()
    ):
        end = f"{window.upper.astimezone(tz):%H:%M}"
    else:
        end = _when(window.upper, tz)
    text = f"{start}-{end}"
    return f"{window.bounds[0]}{text}{window.bounds[1]}" if bounds else text
