"""What the day's report reads: the day's demand records, its bookings with the seats of
their tables, the moves of their tables, and the tables taken by walk-ins and blocks.

Every function runs in the caller's transaction, already scoped to the restaurant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from uuid import UUID

from reserve.db.allocations import LONGEST_WINDOW
from reserve.db.database import Connection


@dataclass(frozen=True, slots=True)
class DemandRecord:
    """One request for the day, with what became of its booking (if it made one): the
    booking's status, and the zone the guest chose for it."""

    id: int
    local_time: time
    party_size: int
    kind: str
    source: str
    outcome: str
    booking_id: UUID | None
    booking_status: str | None
    zone: str | None


@dataclass(frozen=True, slots=True)
class BookedParty:
    """One booking of the day: its status, source and party, and the tables it holds (or
    held, if it was completed): how many, and their seats."""

    id: UUID
    status: str
    source: str
    party_size: int
    tables: tuple[str, ...]
    seats: int


@dataclass(frozen=True, slots=True)
class TakenWindow:
    """A table taken for a window by a walk-in or a block."""

    label: str
    starts: datetime
    ends: datetime


def demand_of_day(conn: Connection, restaurant_id: UUID, day: date) -> list[DemandRecord]:
    """The requests recorded for service date ``day``, in the order they were received."""
    rows = conn.execute(
        """
        SELECT d.id, d.local_time, d.party_size, d.kind, d.source, d.outcome, d.booking_id,
               b.status AS booking_status, z.key AS zone
          FROM demand_requests d
          LEFT JOIN bookings b ON b.restaurant_id = d.restaurant_id AND b.id = d.booking_id
          LEFT JOIN zones z ON z.restaurant_id = b.restaurant_id AND z.id = b.zone_id
         WHERE d.restaurant_id = %s AND d.service_date = %s
         ORDER BY d.received_at, d.id
        """,
        (restaurant_id, day),
    ).fetchall()
    return [
        DemandRecord(
            id=row["id"],
            local_time=row["local_time"],
            party_size=row["party_size"],
            kind=row["kind"],
            source=row["source"],
            outcome=row["outcome"],
            booking_id=row["booking_id"],
            booking_status=row["booking_status"],
            zone=row["zone"],
        )
        for row in rows
    ]


def bookings_of_day(conn: Connection, restaurant_id: UUID, day: date) -> list[BookedParty]:
    """Every booking of service date ``day``, whatever its status, with its tables."""
    rows = conn.execute(
        """
        SELECT b.id, b.status, b.source, b.party_size,
               coalesce(used.labels, '{}') AS labels, coalesce(used.seats, 0) AS seats
          FROM bookings b
          LEFT JOIN LATERAL (
              SELECT array_agg(t.label ORDER BY t.label) AS labels, sum(t.capacity) AS seats
                FROM tables t
               WHERE t.restaurant_id = b.restaurant_id
                 AND t.id IN (SELECT a.table_id FROM allocations a
                               WHERE a.restaurant_id = b.restaurant_id AND a.booking_id = b.id)
          ) AS used ON true
         WHERE b.restaurant_id = %s AND b.service_date = %s
         ORDER BY b.start_at, b.reference
        """,
        (restaurant_id, day),
    ).fetchall()
    return [
        BookedParty(
            id=row["id"],
            status=row["status"],
            source=row["source"],
            party_size=row["party_size"],
            tables=tuple(row["labels"]),
            seats=int(row["seats"]),
        )
        for row in rows
    ]


def moves_of_day(conn: Connection, restaurant_id: UUID, day: date) -> dict[str, int]:
    """How many times the tables of bookings of ``day`` were moved, by who moved them."""
    rows = conn.execute(
        """
        SELECT m.actor, count(*) AS moves
          FROM booking_table_moves m
          JOIN bookings b ON b.restaurant_id = m.restaurant_id AND b.id = m.booking_id
         WHERE m.restaurant_id = %s AND b.service_date = %s
         GROUP BY m.actor
        """,
        (restaurant_id, day),
    ).fetchall()
    return {row["actor"]: int(row["moves"]) for row in rows}


def walk_ins_and_blocks(
    conn: Connection, restaurant_id: UUID, start: datetime, end: datetime
) -> list[TakenWindow]:
    """The tables walk-ins and blocks take at some moment of ``[start, end)``. The bound on
    window starts lets ``allocations_start`` find them."""
    rows = conn.execute(
        """
        SELECT t.label, lower(a.occupied) AS starts, upper(a.occupied) AS ends
          FROM allocations a
          JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
          LEFT JOIN bookings b ON b.restaurant_id = a.restaurant_id AND b.id = a.booking_id
         WHERE a.restaurant_id = %(r)s
           AND a.starts_at >= %(earliest)s AND a.starts_at < %(end)s
           AND a.occupied && tstzrange(%(start)s, %(end)s)
           AND (a.block_id IS NOT NULL OR b.source = 'walk_in')
         ORDER BY t.label, lower(a.occupied)
        """,
        {"r": restaurant_id, "earliest": start - LONGEST_WINDOW, "start": start, "end": end},
    ).fetchall()
    return [TakenWindow(row["label"], row["starts"], row["ends"]) for row in rows]
