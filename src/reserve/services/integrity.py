"""The integrity report (DESIGN section 9): rows the booking rules say can never exist.

Each check is one query (two checks share one) over every restaurant or one, run on an
operator's connection: as the schema's owner it sees every row, row-level security does not
apply. Most checks can only fail after a constraint was dropped or rows were changed by
hand; the report is how we know that never happened, after every slot-fill run and whenever
an operator asks.

Combinations and capacities are judged against the floor and the flags as they are now
(``allocator.*``, with the venue's overrides and this process's environment), for the
bookings that hold tables now: confirmed and seated ones. A windows check likewise expects
the venue's buffer as it is now, so after a buffer change the bookings made before it show
until they are seated again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias
from uuid import UUID
from zoneinfo import ZoneInfo

from psycopg.types.range import Range

from reserve.config import allocation_policy, effective_flags
from reserve.db.database import Connection
from reserve.db.venues import load_venue
from reserve.domain.errors import ConfigurationError, NotFound
from reserve.domain.floor import Floor, Rule
from reserve.domain.venue import Venue
from reserve.services.flags import load_overrides

Json: TypeAlias = "str | int | float | bool | list[Json] | dict[str, Json] | None"
Row = dict[str, Any]

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


@dataclass(frozen=True, slots=True)
class _Restaurant:
    id: UUID
    slug: str
    tz: ZoneInfo


class _Context:
    """What the checks share: the restaurants examined, and each venue's floor and rule,
    loaded only for the restaurants a check needs them for."""

    def __init__(self, conn: Connection, restaurants: Sequence[_Restaurant], now: datetime):
        self.conn = conn
        self.restaurants = {r.id: r for r in restaurants}
        self.ids = list(self.restaurants)
        self.now = now
        self._floors: dict[UUID, tuple[Venue, Floor, Rule]] = {}
        self._live: list[_Seated] | None = None

    def slug(self, row: Row) -> str:
        return self.restaurants[row["restaurant_id"]].slug

    def tz(self, row: Row) -> ZoneInfo:
        return self.restaurants[row["restaurant_id"]].tz

    def floor(self, restaurant_id: UUID) -> tuple[Venue, Floor, Rule]:
        if restaurant_id not in self._floors:
            venue = load_venue(self.conn, restaurant_id)
            flags = effective_flags(load_overrides(self.conn, restaurant_id))
            self._floors[restaurant_id] = (venue, Floor(venue), allocation_policy(flags).rule)
        return self._floors[restaurant_id]

    def live_bookings(self) -> list[_Seated]:
        """The confirmed and seated bookings with their tables (two checks read them)."""
        if self._live is None:
            self._live = _live_bookings(self)
        return self._live

    def rows(self, query: str, **params: object) -> list[Row]:
        return self.conn.execute(query, {"ids": self.ids, **params}).fetchall()


def check_integrity(
    conn: Connection,
    restaurant: str | None = None,
    *,
    now: datetime | None = None,
    hold_grace: timedelta = timedelta(0),
) -> IntegrityReport:
    """Run every check for ``restaurant`` (a slug; every restaurant when None) as the
    connection's role, which must own the schema. An unknown slug is ``NotFound``.

    Holds count as expired ``hold_grace`` after their ``expires_at`` (by ``now``)."""
    checked_at = now or datetime.now(UTC)
    _require_owner(conn)
    restaurants = _restaurants(conn, restaurant)
    context = _Context(conn, restaurants, checked_at - hold_grace)
    checks: list[CheckResult] = []
    for name, run in _RUNS.items():
        found = sorted(run(context) if restaurants else [], key=lambda v: v.restaurant)
        checks.append(CheckResult(name, CHECKS[name], tuple(found)))
    return IntegrityReport(tuple(r.slug for r in restaurants), tuple(checks), checked_at)


def _require_owner(conn: Connection) -> None:
    """Refuse a connection that row-level security applies to: it would see a clean, empty
    database whatever the truth."""
    row = conn.execute(
        "SELECT row_security_active('allocations') OR row_security_active('restaurants') AS rls"
    ).fetchone()
    if row is None or row["rls"]:
        raise ConfigurationError(
            "the integrity report must run as the role that owns the schema; "
            "row-level security hides rows from this one"
        )


def _restaurants(conn: Connection, slug: str | None) -> list[_Restaurant]:
    if slug is not None and "\x00" in slug:  # PostgreSQL text cannot hold it, and no slug has it
        raise NotFound(f"no restaurant {slug!r}")
    rows = conn.execute(
        "SELECT id, slug, timezone FROM restaurants"
        " WHERE %(slug)s::text IS NULL OR slug = %(slug)s ORDER BY slug",
        {"slug": slug},
    ).fetchall()
    if slug is not None and not rows:
        raise NotFound(f"no restaurant {slug!r}")
    return [_Restaurant(row["id"], row["slug"], ZoneInfo(row["timezone"])) for row in rows]


# --- the checks ----------------------------------------------------------------------------

# Every allocation of the restaurants examined, with its table and what owns it.
OWNED = """
    SELECT a.restaurant_id, a.id, a.table_id, t.label, a.occupied, a.service_date,
           a.booking_id, b.reference, b.status, a.hold_id, a.block_id
      FROM allocations a
      JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
      LEFT JOIN bookings b ON b.restaurant_id = a.restaurant_id AND b.id = a.booking_id
     WHERE a.restaurant_id = ANY(%(ids)s)
"""


def _overlapping_allocations(context: _Context) -> list[Violation]:
    # NOT MATERIALIZED lets each side be planned as allocations itself, so the join can use
    # the index of allocations_no_overlap when the constraint is there.
    rows = context.rows(
        f"""
        WITH owned AS NOT MATERIALIZED ({OWNED})
        SELECT a.restaurant_id, a.label,
               a.occupied AS first_window, a.booking_id AS first_booking_id,
               a.reference AS first_reference, a.status AS first_status,
               a.hold_id AS first_hold_id, a.block_id AS first_block_id,
               o.occupied AS second_window, o.booking_id AS second_booking_id,
               o.reference AS second_reference, o.status AS second_status,
               o.hold_id AS second_hold_id, o.block_id AS second_block_id
          FROM owned a
          JOIN owned o ON o.restaurant_id = a.restaurant_id AND o.table_id = a.table_id
                      AND a.id < o.id AND a.occupied && o.occupied
         ORDER BY a.label, lower(a.occupied), lower(o.occupied)
        """
    )
    found = []
    for row in rows:
        tz = context.tz(row)
        first, second = _owner(row, "first_"), _owner(row, "second_")
        found.append(
            Violation(
                context.slug(row),
                f"{row['label']}: {_owner_text(first)} {_span(row['first_window'], tz)}"
                f" overlaps {_owner_text(second)} {_span(row['second_window'], tz)}",
                {
                    "table": row["label"],
                    "first": {**first, "window": _window(row["first_window"], tz)},
                    "second": {**second, "window": _window(row["second_window"], tz)},
                },
            )
        )
    return found


def _bad_windows(context: _Context) -> list[Violation]:
    rows = context.rows(
        f"""
        SELECT * FROM ({OWNED}) AS owned
         WHERE occupied IS NULL OR isempty(occupied) OR lower_inf(occupied) OR upper_inf(occupied)
         ORDER BY label, service_date
        """
    )
    found = []
    for row in rows:
        window: Range[datetime] | None = row["occupied"]
        problem = "null" if window is None else "empty" if window.isempty else "unbounded"
        has = {
            "null": "no window",
            "empty": "an empty window",
            "unbounded": f"an unbounded window {_span(window, context.tz(row))}",
        }[problem]
        owner = _owner(row)
        found.append(
            Violation(
                context.slug(row),
                f"{row['label']}: {_owner_text(owner)} on {row['service_date']} has {has}",
                {
                    "table": row["label"],
                    "allocation_id": str(row["id"]),
                    "service_date": row["service_date"].isoformat(),
                    "problem": problem,
                    **owner,
                    "window": _window(window, context.tz(row)),
                },
            )
        )
    return found


def _bookings_without_tables(context: _Context) -> list[Violation]:
    rows = context.rows(
        """
        SELECT b.restaurant_id, b.id, b.reference, b.status, b.party_size, b.start_at, b.end_at
          FROM bookings b
         WHERE b.restaurant_id = ANY(%(ids)s) AND b.status IN ('confirmed', 'seated')
           AND NOT EXISTS (SELECT FROM allocations a
                            WHERE a.restaurant_id = b.restaurant_id AND a.booking_id = b.id)
         ORDER BY b.start_at, b.reference
        """
    )
    return [
        Violation(
            context.slug(row),
            f"booking {row['reference']} ({row['status']}, party of {row['party_size']}, "
            f"{_span(Range(row['start_at'], row['end_at']), context.tz(row))}) has no table",
            _booking(row, context.tz(row)),
        )
        for row in rows
    ]


def _tables_of_freed_bookings(context: _Context) -> list[Violation]:
    rows = _bookings_with_tables(context, ("cancelled", "no_show", "pending"))
    return [
        Violation(
            context.slug(row),
            f"{row['status']} booking {row['reference']} still holds {', '.join(row['tables'])}",
            {**_booking(row, context.tz(row)), "tables": list(row["tables"])},
        )
        for row in rows
    ]


def _bookings_with_tables(context: _Context, statuses: Iterable[str]) -> list[Row]:
    """The bookings in ``statuses`` that hold tables, each with its tables' labels."""
    return context.rows(
        """
        SELECT b.restaurant_id, b.id, b.reference, b.status, b.party_size, b.start_at, b.end_at,
               array_agg(DISTINCT t.label ORDER BY t.label) AS tables
          FROM bookings b
          JOIN allocations a ON a.restaurant_id = b.restaurant_id AND a.booking_id = b.id
          JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
         WHERE b.restaurant_id = ANY(%(ids)s) AND b.status = ANY(%(statuses)s)
         GROUP BY b.restaurant_id, b.id
         ORDER BY b.start_at, b.reference
        """,
        statuses=list(statuses),
    )


def _windows_disagreeing(context: _Context) -> list[Violation]:
    # A completed booking's windows end when it was completed: earlier is fine, later is not.
    rows = context.rows(
        f"""
        SELECT o.*, b.service_date AS booking_date,
               tstzrange(b.start_at, e.occupied_until) AS expected
          FROM ({OWNED}) AS o
          JOIN bookings b ON b.restaurant_id = o.restaurant_id AND b.id = o.booking_id
          JOIN restaurants r ON r.id = o.restaurant_id
         CROSS JOIN LATERAL (
                SELECT b.end_at + make_interval(mins => r.buffer_minutes) AS occupied_until
               ) AS e
         WHERE b.status IN ('confirmed', 'seated', 'completed')
           AND o.occupied IS NOT NULL AND NOT isempty(o.occupied)
           AND NOT lower_inf(o.occupied) AND NOT upper_inf(o.occupied)
           AND (lower(o.occupied) <> b.start_at
                OR NOT lower_inc(o.occupied) OR upper_inc(o.occupied)
                OR o.service_date <> b.service_date
                OR upper(o.occupied) > e.occupied_until
                OR (b.status <> 'completed' AND upper(o.occupied) < e.occupied_until))
         ORDER BY b.start_at, o.reference, o.label
        """
    )
    found = []
    for row in rows:
        tz = context.tz(row)
        moved = row["service_date"] != row["booking_date"]
        dated = (
            f" (dated {row['service_date']}, the booking {row['booking_date']})" if moved else ""
        )
        found.append(
            Violation(
                context.slug(row),
                f"booking {row['reference']} ({row['status']}) at {row['label']}: window "
                f"{_span(row['occupied'], tz, bounds=True)}, expected "
                f"{_span(row['expected'], tz, bounds=True)}{dated}",
                {
                    **_owner(row),
                    "table": row["label"],
                    "window": _window(row["occupied"], tz),
                    "expected": _window(row["expected"], tz),
                    "service_date": row["service_date"].isoformat(),
                    "booking_service_date": row["booking_date"].isoformat(),
                },
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class _Seated:
    """A live booking and the tables it holds."""

    restaurant_id: UUID
    row: Row
    labels: tuple[str, ...]


def _live_bookings(context: _Context) -> list[_Seated]:
    rows = _bookings_with_tables(context, LIVE)
    return [_Seated(row["restaurant_id"], row, tuple(row["tables"])) for row in rows]


def _broken_combinations(context: _Context) -> list[Violation]:
    found = []
    for seated in context.live_bookings():
        if len(seated.labels) < 2:
            continue
        venue, floor, rule = context.floor(seated.restaurant_id)
        problems = _combination_problems(venue, floor, rule, seated)
        if problems:
            row = seated.row
            found.append(
                Violation(
                    context.slug(row),
                    f"booking {row['reference']} (party of {row['party_size']}) at "
                    f"{'+'.join(seated.labels)}: {'; '.join(problems)}",
                    {
                        **_booking(row, context.tz(row)),
                        "tables": list(seated.labels),
                        "problems": list(problems),
                    },
                )
            )
    return found


def _combination_problems(venue: Venue, floor: Floor, rule: Rule, seated: _Seated) -> list[str]:
    tables = {table.label: table for table in venue.tables}
    chosen = [tables[label] for label in seated.labels]
    problems = []
    zones = sorted({table.zone for table in chosen})
    if len(zones) > 1:
        problems.append(f"tables in different zones ({', '.join(zones)})")
    if len(chosen) > rule.max_tables:
        problems.append(f"{len(chosen)} tables, more than allocator.max_tables ({rule.max_tables})")
    problems += [f"{table.label} is not combinable" for table in chosen if not table.combinable]
    inactive = [f"{table.label} is inactive" for table in chosen if not table.active]
    problems += inactive
    party = seated.row["party_size"]
    if (
        len(zones) == 1
        and not inactive
        and rule.needs_adjacency(party)
        and not floor.has_shape(seated.labels, rule.adjacency_mode)
    ):
        problems.append(f"not {rule.adjacency_mode.value} (allocator.adjacency_mode)")
    return problems


def _over_capacity(context: _Context) -> list[Violation]:
    found = []
    for seated in context.live_bookings():
        venue, _, _ = context.floor(seated.restaurant_id)
        tables = {table.label: table for table in venue.tables}
        chosen = [tables[label] for label in seated.labels]
        if len(chosen) == 1:
            limit, what = chosen[0].max_party, "at most"
        else:
            limit, what = sum(table.capacity for table in chosen), "seats"
        party = seated.row["party_size"]
        if party > limit:
            row = seated.row
            found.append(
                Violation(
                    context.slug(row),
                    f"booking {row['reference']}: party of {party} at "
                    f"{'+'.join(seated.labels)} ({what} {limit})",
                    {
                        **_booking(row, context.tz(row)),
                        "tables": list(seated.labels),
                        "capacity": limit,
                    },
                )
            )
    return found


def _expired_holds(context: _Context) -> list[Violation]:
    rows = context.rows(
        """
        SELECT h.restaurant_id, h.id, h.party_size, h.start_at, h.end_at, h.expires_at,
               coalesce(array_agg(t.label ORDER BY t.label) FILTER (WHERE t.label IS NOT NULL),
                        '{}') AS tables
          FROM holds h
          LEFT JOIN allocations a ON a.restaurant_id = h.restaurant_id AND a.hold_id = h.id
          LEFT JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
         WHERE h.restaurant_id = ANY(%(ids)s) AND h.expires_at <= %(cutoff)s
         GROUP BY h.restaurant_id, h.id
         ORDER BY h.expires_at, h.id
        """,
        cutoff=context.now,
    )
    found = []
    for row in rows:
        tz = context.tz(row)
        tables = ", ".join(row["tables"]) or "no table"
        found.append(
            Violation(
                context.slug(row),
                f"hold {str(row['id'])[:8]} (party of {row['party_size']}, {tables}) "
                f"expired {_when(row['expires_at'], tz)}",
                {
                    "hold_id": str(row["id"]),
                    "party_size": row["party_size"],
                    "tables": list(row["tables"]),
                    "window": _window(Range(row["start_at"], row["end_at"]), tz),
                    "expires_at": row["expires_at"].astimezone(tz).isoformat(),
                },
            )
        )
    return found


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


def _owner(row: Row, prefix: str = "") -> dict[str, Json]:
    """What owns an allocation: a booking (by reference), a hold or a block (by id)."""
    if row[f"{prefix}booking_id"] is not None:
        return {
            "owner": "booking",
            "booking": row[f"{prefix}reference"],
            "booking_id": str(row[f"{prefix}booking_id"]),
            "status": row[f"{prefix}status"],
        }
    for kind in ("hold", "block"):
        if row[f"{prefix}{kind}_id"] is not None:
            return {"owner": kind, f"{kind}_id": str(row[f"{prefix}{kind}_id"])}
    return {"owner": None}


def _owner_text(owner: dict[str, Json]) -> str:
    kind = owner["owner"]
    if kind == "booking":
        return f"booking {owner['booking']}"
    if kind is None:
        return "an allocation with no owner"
    return f"{kind} {str(owner[f'{kind}_id'])[:8]}"


def _booking(row: Row, tz: ZoneInfo) -> dict[str, Json]:
    return {
        "booking": row["reference"],
        "booking_id": str(row["id"]),
        "status": row["status"],
        "party_size": row["party_size"],
        "start_at": row["start_at"].astimezone(tz).isoformat(),
        "end_at": row["end_at"].astimezone(tz).isoformat(),
    }


def _window(window: Range[datetime] | None, tz: ZoneInfo) -> dict[str, Json] | None:
    """A window as JSON: its ends in the venue's time (None where unbounded); None for no
    window or an empty one."""
    if window is None or window.isempty:
        return None
    return {
        "start": None if window.lower is None else window.lower.astimezone(tz).isoformat(),
        "end": None if window.upper is None else window.upper.astimezone(tz).isoformat(),
        "bounds": window.bounds,
    }


def _when(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"


def _span(window: Range[datetime] | None, tz: ZoneInfo, *, bounds: bool = False) -> str:
    """``2026-12-07 19:00-21:05`` in the venue's time (the date again when it ends on another)."""
    if window is None:
        return "(no window)"
    if window.isempty:
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
