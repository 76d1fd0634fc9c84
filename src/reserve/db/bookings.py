"""Bookings, their status history and their table moves in and out of the database.

Every function runs in the caller's transaction, already scoped to the restaurant, except
the lookups by id alone (``restaurant_of``, ``pending_allocations``), which find the
restaurant first through functions that see every tenant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from psycopg.types.json import Jsonb

from reserve.db.database import Connection
from reserve.domain.booking import (
    Booking,
    Guest,
    HistoryEntry,
    Source,
    Status,
    TableMove,
    Transition,
)
from reserve.domain.venue import Venue


@dataclass(frozen=True, slots=True)
class StoredBooking:
    """A booking and the keyed hash of its manage token, which only authorisation reads."""

    booking: Booking
    manage_token_hash: bytes


def restaurant_of(conn: Connection, booking_id: UUID) -> UUID | None:
    """The restaurant a booking belongs to, seen across tenants; None for an unknown id."""
    row = conn.execute("SELECT reserve_booking_restaurant(%s) AS owner", (booking_id,)).fetchone()
    return None if row is None else row["owner"]


def pending_allocations(conn: Connection, before: datetime) -> list[UUID]:
    """Every booking, across restaurants, left pending for want of time that starts after
    ``before``."""
    rows = conn.execute(
        "SELECT booking_id FROM reserve_pending_allocations(%s)", (before,)
    ).fetchall()
    return [row["booking_id"] for row in rows]


def insert_booking(
    conn: Connection,
    restaurant_id: UUID,
    booking: Booking,
    *,
    zone_id: UUID | None,
    manage_token_hash: bytes,
    actor: str,
    at: datetime,
) -> None:
    """Write a new booking and the first entry of its history (made in its status by
    ``actor`` at ``at``), in one statement."""
    conn.execute(
        """
        WITH booked AS (
            INSERT INTO bookings (restaurant_id, id, reference, status, pending_reason,
                party_size, service_date, local_time, start_at, end_at, zone_id, guest_name,
                guest_email, guest_phone, notes, source, manage_token_hash, created_at,
                updated_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            RETURNING restaurant_id, id, status
        )
        INSERT INTO booking_status_history (restaurant_id, booking_id, from_status, to_status,
            actor, changed_at)
        SELECT restaurant_id, id, NULL, status, %s, %s FROM booked
        """,
        (
            restaurant_id,
            booking.id,
            booking.reference,
            booking.status,
            booking.pending_reason,
            booking.party_size,
            booking.day,
            booking.local_time,
            booking.start_at,
            booking.end_at,
            zone_id,
            booking.guest.name,
            booking.guest.email,
            booking.guest.phone,
            booking.notes,
            booking.source,
            manage_token_hash,
            booking.created_at,
            booking.updated_at,
            actor,
            at,
        ),
    )


def record_status(
    conn: Connection,
    restaurant_id: UUID,
    booking_id: UUID,
    before: str | None,
    after: str,
    actor: str,
    at: datetime | None = None,
) -> None:
    """One transition of the booking's history, at ``at`` (the clock of the use case; the
    database's time when None)."""
    conn.execute(
        "INSERT INTO booking_status_history (restaurant_id, booking_id, from_status, to_status,"
        " actor, changed_at) VALUES (%s, %s, %s, %s, %s, coalesce(%s::timestamptz, now()))",
        (restaurant_id, booking_id, before, after, actor, at),
    )


def record_moves(conn: Connection, restaurant_id: UUID, moves: Sequence[TableMove]) -> None:
    """Add each move to its booking's history, all in one statement (in pipeline mode it
    goes out with the next read or the commit, as ``record_status`` does)."""
    if not moves:
        return
    rows = [
        {
            "booking_id": str(move.booking_id),
            "from_tables": sorted(move.from_tables),
            "to_tables": sorted(move.to_tables),
            "actor": move.actor,
            "moved_at": move.at.isoformat(),
        }
        for move in moves
    ]
    conn.execute(
        """
        INSERT INTO booking_table_moves (restaurant_id, booking_id, from_tables, to_tables,
            actor, moved_at)
        SELECT %s, m.booking_id, m.from_tables, m.to_tables, m.actor, m.moved_at
          FROM jsonb_to_recordset(%s) AS m(booking_id uuid, from_tables text[],
               to_tables text[], actor text, moved_at timestamptz)
        """,
        (restaurant_id, Jsonb(rows)),
    )


def history(
    conn: Connection, restaurant_id: UUID, booking_id: UUID, venue: Venue
) -> list[HistoryEntry]:
    """The booking's transitions and table moves in the order they happened (a transition
    before a move made at the same instant), times in the venue's zone."""
    zone = ZoneInfo(venue.timezone)
    rows = conn.execute(
        """
        SELECT 'status' AS kind, from_status, to_status, NULL::text[] AS from_tables,
               NULL::text[] AS to_tables, actor, changed_at AS at, id
          FROM booking_status_history
         WHERE restaurant_id = %(r)s AND booking_id = %(b)s
        UNION ALL
        SELECT 'tables', NULL, NULL, from_tables, to_tables, actor, moved_at, id
          FROM booking_table_moves
         WHERE restaurant_id = %(r)s AND booking_id = %(b)s
         ORDER BY at, kind, id
        """,
        {"r": restaurant_id, "b": booking_id},
    ).fetchall()
    return [_entry(row, booking_id, zone) for row in rows]


def _entry(row: dict[str, Any], booking_id: UUID, zone: ZoneInfo) -> HistoryEntry:
    at = row["at"].astimezone(zone)
    if row["kind"] == "tables":
        return TableMove(
            booking_id, tuple(row["from_tables"]), tuple(row["to_tables"]), row["actor"], at
        )
    before = None if row["from_status"] is None else Status(row["from_status"])
    return Transition(before, Status(row["to_status"]), row["actor"], at)


def set_status(
    conn: Connection,
    restaurant_id: UUID,
    booking_id: UUID,
    status: str,
    at: datetime,
    pending_reason: str | None = None,
) -> None:
    conn.execute(
        "UPDATE bookings SET status = %s, pending_reason = %s, updated_at = %s"
        " WHERE restaurant_id = %s AND id = %s",
        (status, pending_reason, at, restaurant_id, booking_id),
    )


def reschedule(
    conn: Connection,
    restaurant_id: UUID,
    booking_id: UUID,
    at: datetime,
    *,
    party_size: int,
    service_date: date,
    local_time: time,
    start_at: datetime,
    end_at: datetime,
) -> None:
    """A new size, date or time: the booking is seated anew where the allocator chose, so
    its tables are no longer pinned."""
    conn.execute(
        """
        UPDATE bookings SET party_size = %s, service_date = %s, local_time = %s,
               start_at = %s, end_at = %s, updated_at = %s, tables_pinned = false
         WHERE restaurant_id = %s AND id = %s
        """,
        (party_size, service_date, local_time, start_at, end_at, at, restaurant_id, booking_id),
    )


def set_details(
    conn: Connection, restaurant_id: UUID, booking_id: UUID, at: datetime, guest: Guest, notes: str
) -> None:
    """The guest's name, email and phone, and the notes."""
    conn.execute(
        """
        UPDATE bookings SET guest_name = %s, guest_email = %s, guest_phone = %s, notes = %s,
               updated_at = %s
         WHERE restaurant_id = %s AND id = %s
        """,
        (guest.name, guest.email, guest.phone, notes, at, restaurant_id, booking_id),
    )


def set_pinned(
    conn: Connection, restaurant_id: UUID, booking_id: UUID, pinned: bool, at: datetime
) -> None:
    """Pin the booking's tables (staff chose them: pooling leaves them), or unpin them."""
    conn.execute(
        "UPDATE bookings SET tables_pinned = %s, updated_at = %s"
        " WHERE restaurant_id = %s AND id = %s",
        (pinned, at, restaurant_id, booking_id),
    )


_BOOKING_COLUMNS = """
    b.id, b.reference, b.status, b.pending_reason, b.party_size, b.service_date, b.local_time,
    b.start_at, b.end_at, z.key AS zone, b.guest_name, b.guest_email, b.guest_phone, b.notes,
    b.source, b.manage_token_hash, b.created_at, b.updated_at, b.tables_pinned,
    coalesce((SELECT array_agg(t.label ORDER BY t.label)
                FROM allocations a
                JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
               WHERE a.restaurant_id = b.restaurant_id AND a.booking_id = b.id),
             '{}') AS tables
"""


def get_booking(
    conn: Connection, restaurant_id: UUID, booking_id: UUID, venue: Venue, *, lock: bool = False
) -> StoredBooking | None:
    """The booking; with ``lock``, locked against other changes until the transaction ends."""
    if lock:
        conn.execute(
            "SELECT 1 FROM bookings WHERE restaurant_id = %s AND id = %s FOR UPDATE",
            (restaurant_id, booking_id),
        )
    row = conn.execute(
        f"""
        SELECT {_BOOKING_COLUMNS}
          FROM bookings b
          LEFT JOIN zones z ON z.restaurant_id = b.restaurant_id AND z.id = b.zone_id
         WHERE b.restaurant_id = %s AND b.id = %s
        """,
        (restaurant_id, booking_id),
    ).fetchone()
    if row is None:
        return None
    return StoredBooking(_booking(row, venue), bytes(row["manage_token_hash"]))


def bookings_of_day(
    conn: Connection,
    restaurant_id: UUID,
    day: date,
    statuses: Iterable[str] | None,
    venue: Venue,
) -> list[Booking]:
    wanted = None if statuses is None else list(statuses)
    rows = conn.execute(
        f"""
        SELECT {_BOOKING_COLUMNS}
          FROM bookings b
          LEFT JOIN zones z ON z.restaurant_id = b.restaurant_id AND z.id = b.zone_id
         WHERE b.restaurant_id = %(r)s AND b.service_date = %(day)s
           AND (%(statuses)s::text[] IS NULL OR b.status = ANY(%(statuses)s::text[]))
         ORDER BY b.start_at, b.reference
        """,
        {"r": restaurant_id, "day": day, "statuses": wanted},
    ).fetchall()
    return [_booking(row, venue) for row in rows]


def _booking(row: dict[str, Any], venue: Venue) -> Booking:
    zone = ZoneInfo(venue.timezone)
    return Booking(
        id=row["id"],
        reference=row["reference"],
        restaurant=venue.slug,
        status=Status(row["status"]),
        party_size=row["party_size"],
        day=row["service_date"],
        local_time=row["local_time"],
        start_at=row["start_at"].astimezone(zone),
        end_at=row["end_at"].astimezone(zone),
        tables=tuple(row["tables"]),
        zone=row["zone"],
        guest=Guest(row["guest_name"], row["guest_email"], row["guest_phone"]),
        notes=row["notes"],
        source=Source(row["source"]),
        created_at=row["created_at"].astimezone(zone),
        updated_at=row["updated_at"].astimezone(zone),
        pending_reason=row["pending_reason"] if row["status"] == Status.PENDING else None,
        tables_pinned=row["tables_pinned"],
    )
