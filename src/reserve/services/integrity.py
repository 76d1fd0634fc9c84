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

The report's types, its check names and how violations read are ``integrity_report``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
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
from reserve.services.integrity_report import (
    BAD_WINDOWS,
    BOOKINGS_WITHOUT_TABLES,
    BROKEN_COMBINATIONS,
    CHECKS,
    EXPIRED_HOLDS,
    OVER_CAPACITY,
    OVERLAPPING_ALLOCATIONS,
    TABLES_OF_FREED_BOOKINGS,
    WINDOWS_DISAGREEING,
    CheckResult,
    IntegrityReport,
    Violation,
    booking_json,
    owner_json,
    owner_text,
    span_text,
    when_text,
    window_json,
)

LIVE = ("confirmed", "seated")


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
        first_owner, second_owner = owner_json(first.owner), owner_json(second.owner)
        yield Violation(
            context.slug(first.restaurant_id),
            f"{first.label}: {owner_text(first_owner)} {span_text(first.window, tz)}"
            f" overlaps {owner_text(second_owner)} {span_text(second.window, tz)}",
            {
                "table": first.label,
                "first": {**first_owner, "window": window_json(first.window, tz)},
                "second": {**second_owner, "window": window_json(second.window, tz)},
            },
        )


def _bad_windows(context: _Context) -> Iterator[Violation]:
    for allocation in store.bad_windows(context.conn, context.ids):
        window, tz = allocation.window, context.tz(allocation.restaurant_id)
        problem = "null" if window is None else "empty" if window.empty else "unbounded"
        has = {
            "null": "no window",
            "empty": "an empty window",
            "unbounded": f"an unbounded window {span_text(window, tz)}",
        }[problem]
        owner = owner_json(allocation.owner)
        yield Violation(
            context.slug(allocation.restaurant_id),
            f"{allocation.label}: {owner_text(owner)} on {allocation.service_date} has {has}",
            {
                "table": allocation.label,
                "allocation_id": str(allocation.id),
                "service_date": allocation.service_date.isoformat(),
                "problem": problem,
                **owner,
                "window": window_json(window, tz),
            },
        )


def _bookings_without_tables(context: _Context) -> Iterator[Violation]:
    for booking in store.bookings_without_tables(context.conn, context.ids):
        tz = context.tz(booking.restaurant_id)
        span = store.Span(booking.start_at, booking.end_at)
        yield Violation(
            context.slug(booking.restaurant_id),
            f"booking {booking.reference} ({booking.status}, party of {booking.party_size}, "
            f"{span_text(span, tz)}) has no table",
            booking_json(booking, tz),
        )


def _tables_of_freed_bookings(context: _Context) -> Iterator[Violation]:
    freed = ("cancelled", "no_show", "pending")
    for booking in store.bookings_with_tables(context.conn, context.ids, freed):
        yield Violation(
            context.slug(booking.restaurant_id),
            f"{booking.status} booking {booking.reference} still holds {', '.join(booking.tables)}",
            {
                **booking_json(booking, context.tz(booking.restaurant_id)),
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
            f"{span_text(allocation.window, tz, bounds=True)}, expected "
            f"{span_text(disagreement.expected, tz, bounds=True)}{dated}",
            {
                **owner_json(owner),
                "table": allocation.label,
                "window": window_json(allocation.window, tz),
                "expected": window_json(disagreement.expected, tz),
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
                    **booking_json(booking, context.tz(booking.restaurant_id)),
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
                    **booking_json(booking, context.tz(booking.restaurant_id)),
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
            f"expired {when_text(hold.expires_at, tz)}",
            {
                "hold_id": str(hold.id),
                "party_size": hold.party_size,
                "tables": list(hold.tables),
                "window": window_json(store.Span(hold.start_at, hold.end_at), tz),
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
