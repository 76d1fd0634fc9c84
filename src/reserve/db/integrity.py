"""The integrity report's queries; ``reserve.services.integrity`` judges what they find.

Each query reads the restaurants in ``ids`` (every check is one query, two checks share
one) and returns plain data: windows come out as ``Span``, not as the driver's ranges. Run
them as the schema's owner, whom row-level security does not hide rows from
(``row_security_applies`` says whether it would).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from psycopg.types.range import Range

from reserve.db.database import Connection
from reserve.db.restaurants import could_be_slug

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Span:
    """A window (a ``tstzrange``): its ends, None where it is unbounded, and its bounds
    (``[)`` for a booking's). An empty range has no ends and ``empty`` set."""

    lower: datetime | None
    upper: datetime | None
    bounds: str = "[)"
    empty: bool = False


@dataclass(frozen=True, slots=True)
class Restaurant:
    id: UUID
    slug: str
    tz: ZoneInfo


@dataclass(frozen=True, slots=True)
class Owner:
    """What owns an allocation: a booking (with its reference and status), a hold or a
    block; every id None for an allocation that nothing owns."""

    booking_id: UUID | None = None
    reference: str | None = None
    status: str | None = None
    hold_id: UUID | None = None
    block_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    """An allocation with its table's label and its owner; ``window`` is None when null."""

    restaurant_id: UUID
    id: UUID
    label: str
    service_date: date
    window: Span | None
    owner: Owner


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two allocations of one table whose windows overlap."""

    first: Allocation
    second: Allocation


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A booking's allocation and the window the booking says it should have."""

    allocation: Allocation
    booking_date: date
    expected: Span


@dataclass(frozen=True, slots=True)
class BookingRecord:
    """A booking, with the labels of the tables it holds when the query reads them."""

    restaurant_id: UUID
    id: UUID
    reference: str
    status: str
    party_size: int
    start_at: datetime
    end_at: datetime
    tables: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExpiredHold:
    restaurant_id: UUID
    id: UUID
    party_size: int
    start_at: datetime
    end_at: datetime
    expires_at: datetime
    tables: tuple[str, ...]


def row_security_applies(conn: Connection) -> bool:
    """Whether row-level security filters what this connection's role reads."""
    row = conn.execute(
        "SELECT row_security_active('allocations') OR row_security_active('restaurants') AS rls"
    ).fetchone()
    return row is None or bool(row["rls"])


def restaurants(conn: Connection, slug: str | None) -> list[Restaurant]:
    """The restaurant ``slug``, or every restaurant for None; ordered by slug."""
    if slug is not None and not could_be_slug(slug):
        return []
    rows = conn.execute(
        "SELECT id, slug, timezone FROM restaurants"
        " WHERE %(slug)s::text IS NULL OR slug = %(slug)s ORDER BY slug",
        {"slug": slug},
    ).fetchall()
    return [Restaurant(row["id"], row["slug"], ZoneInfo(row["timezone"])) for row in rows]


# Every allocation of the restaurants examined, with its table and what owns it.
OWNED = """
    SELECT a.restaurant_id, a.id, a.table_id, t.label, a.occupied, a.service_date,
           a.booking_id, b.reference, b.status, a.hold_id, a.block_id
      FROM allocations a
      JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
      LEFT JOIN bookings b ON b.restaurant_id = a.restaurant_id AND b.id = a.booking_id
     WHERE a.restaurant_id = ANY(%(ids)s)
"""


def overlapping_allocations(conn: Connection, ids: Sequence[UUID]) -> list[Overlap]:
    """Every two allocations of one table whose windows overlap, in one ordered pass over
    each table's windows: whatever the history, and whether or not the exclusion
    constraint's index is there (the check matters most when it is not).

    Taken by start, an allocation overlaps one before it exactly when it starts before the
    furthest end of those before it, or at that end when both include the instant. Only
    such allocations are then paired with the ones they overlap; pairing every two of a
    table would grow as the square of its history."""
    rows = _rows(
        conn,
        f"""
        WITH owned AS MATERIALIZED ({OWNED}),
        swept AS (
            SELECT o.restaurant_id, o.table_id, o.id, o.occupied,
                   max(coalesce(upper(o.occupied), 'infinity')) OVER earlier AS reach,
                   max(upper(o.occupied)) FILTER (WHERE upper_inc(o.occupied))
                       OVER earlier AS reach_inclusive
              FROM owned AS o
             WHERE NOT isempty(o.occupied)
            WINDOW earlier AS (
                PARTITION BY o.restaurant_id, o.table_id
                ORDER BY lower(o.occupied) NULLS FIRST, o.id
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        ), pairs AS (
            SELECT DISTINCT l.restaurant_id, least(l.id, e.id) AS first_id,
                   greatest(l.id, e.id) AS second_id
              FROM swept AS l
              JOIN owned AS e ON e.restaurant_id = l.restaurant_id
                             AND e.table_id = l.table_id
                             AND e.id <> l.id AND e.occupied && l.occupied
             WHERE l.reach > coalesce(lower(l.occupied), '-infinity')
                OR (lower_inc(l.occupied) AND l.reach_inclusive >= lower(l.occupied))
        )
        SELECT a.restaurant_id, a.label,
               a.id AS first_id, a.service_date AS first_service_date,
               a.occupied AS first_occupied, a.booking_id AS first_booking_id,
               a.reference AS first_reference, a.status AS first_status,
               a.hold_id AS first_hold_id, a.block_id AS first_block_id,
               o.id AS second_id, o.service_date AS second_service_date,
               o.occupied AS second_occupied, o.booking_id AS second_booking_id,
               o.reference AS second_reference, o.status AS second_status,
               o.hold_id AS second_hold_id, o.block_id AS second_block_id
          FROM pairs AS p
          JOIN owned AS a ON a.restaurant_id = p.restaurant_id AND a.id = p.first_id
          JOIN owned AS o ON o.restaurant_id = p.restaurant_id AND o.id = p.second_id
         ORDER BY a.label, lower(a.occupied), lower(o.occupied)
        """,
        ids,
    )
    return [Overlap(_allocation(row, "first_"), _allocation(row, "second_")) for row in rows]


def bad_windows(conn: Connection, ids: Sequence[UUID]) -> list[Allocation]:
    """Allocations whose window is null, empty or unbounded."""
    rows = _rows(
        conn,
        f"""
        SELECT * FROM ({OWNED}) AS owned
         WHERE occupied IS NULL OR isempty(occupied) OR lower_inf(occupied) OR upper_inf(occupied)
         ORDER BY label, service_date
        """,
        ids,
    )
    return [_allocation(row) for row in rows]


def bookings_without_tables(conn: Connection, ids: Sequence[UUID]) -> list[BookingRecord]:
    """Confirmed and seated bookings that hold no table."""
    rows = _rows(
        conn,
        """
        SELECT b.restaurant_id, b.id, b.reference, b.status, b.party_size, b.start_at, b.end_at
          FROM bookings b
         WHERE b.restaurant_id = ANY(%(ids)s) AND b.status IN ('confirmed', 'seated')
           AND NOT EXISTS (SELECT FROM allocations a
                            WHERE a.restaurant_id = b.restaurant_id AND a.booking_id = b.id)
         ORDER BY b.start_at, b.reference
        """,
        ids,
    )
    return [_booking(row) for row in rows]


def bookings_with_tables(
    conn: Connection, ids: Sequence[UUID], statuses: Iterable[str]
) -> list[BookingRecord]:
    """The bookings in ``statuses`` that hold tables, each with its tables' labels."""
    rows = _rows(
        conn,
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
        ids,
        statuses=list(statuses),
    )
    return [_booking(row) for row in rows]


def windows_disagreeing(conn: Connection, ids: Sequence[UUID]) -> list[Disagreement]:
    """Bounded windows of bookings' allocations other than [start, end + buffer), each with
    the one expected; a completed booking's may end earlier (when it was completed), or be
    a microsecond's mark ending by its start (its party left before its window began)."""
    rows = _rows(
        conn,
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
           AND ((lower(o.occupied) <> b.start_at
                 AND NOT (b.status = 'completed' AND upper(o.occupied) <= b.start_at
                          AND upper(o.occupied) - lower(o.occupied) = interval '1 microsecond'))
                OR NOT lower_inc(o.occupied) OR upper_inc(o.occupied)
                OR o.service_date <> b.service_date
                OR upper(o.occupied) > e.occupied_until
                OR (b.status <> 'completed' AND upper(o.occupied) < e.occupied_until))
         ORDER BY b.start_at, o.reference, o.label
        """,
        ids,
    )
    return [
        Disagreement(_allocation(row), row["booking_date"], _as_span(row["expected"]))
        for row in rows
    ]


def expired_holds(conn: Connection, ids: Sequence[UUID], cutoff: datetime) -> list[ExpiredHold]:
    """Holds whose expiry is at or before ``cutoff``, with the labels of their tables."""
    rows = _rows(
        conn,
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
        ids,
        cutoff=cutoff,
    )
    return [
        ExpiredHold(
            row["restaurant_id"],
            row["id"],
            row["party_size"],
            row["start_at"],
            row["end_at"],
            row["expires_at"],
            tuple(row["tables"]),
        )
        for row in rows
    ]


def _rows(conn: Connection, query: str, ids: Sequence[UUID], **params: object) -> list[Row]:
    return conn.execute(query, {"ids": list(ids), **params}).fetchall()


def _allocation(row: Row, prefix: str = "") -> Allocation:
    def column(name: str) -> Any:
        return row[f"{prefix}{name}"]

    return Allocation(
        row["restaurant_id"],
        column("id"),
        row["label"],
        column("service_date"),
        _span(column("occupied")),
        Owner(
            column("booking_id"),
            column("reference"),
            column("status"),
            column("hold_id"),
            column("block_id"),
        ),
    )


def _booking(row: Row) -> BookingRecord:
    return BookingRecord(
        row["restaurant_id"],
        row["id"],
        row["reference"],
        row["status"],
        row["party_size"],
        row["start_at"],
        row["end_at"],
        tuple(row.get("tables", ())),
    )


def _span(window: Range[datetime] | None) -> Span | None:
    return None if window is None else _as_span(window)


def _as_span(window: Range[datetime]) -> Span:
    return Span(window.lower, window.upper, window.bounds, window.isempty)
