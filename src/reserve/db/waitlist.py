"""Waitlist entries in and out of the database.

Every function runs in the caller's transaction, already scoped to the restaurant, except
``restaurant_of``, which finds an entry's restaurant across tenants.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from reserve.db.database import Connection
from reserve.domain.waitlist import WaitlistEntry, WaitlistStatus


def restaurant_of(conn: Connection, entry_id: UUID) -> UUID | None:
    """The restaurant an entry belongs to, seen across tenants; None for an unknown id."""
    row = conn.execute("SELECT reserve_waitlist_restaurant(%s) AS owner", (entry_id,)).fetchone()
    return None if row is None else row["owner"]


def insert_entry(conn: Connection, restaurant_id: UUID, entry: WaitlistEntry) -> None:
    conn.execute(
        """
        INSERT INTO waitlist_entries (restaurant_id, id, name, phone, party_size,
            quoted_wait_minutes, notes, added_at, status)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (
            restaurant_id,
            entry.id,
            entry.name,
            entry.phone,
            entry.party_size,
            entry.quoted_wait_minutes,
            entry.notes,
            entry.added_at,
            entry.status,
        ),
    )


def get_entry(
    conn: Connection, restaurant_id: UUID, entry_id: UUID, timezone: str, *, lock: bool = False
) -> WaitlistEntry | None:
    """The entry, times in ``timezone``; with ``lock``, locked until the transaction ends,
    so that seating and removing it take turns."""
    query = "SELECT * FROM waitlist_entries WHERE restaurant_id = %s AND id = %s"
    row = conn.execute(query + (" FOR UPDATE" if lock else ""), (restaurant_id, entry_id))
    found = row.fetchone()
    return None if found is None else _entry(found, ZoneInfo(timezone))


def waiting(conn: Connection, restaurant_id: UUID, timezone: str) -> list[WaitlistEntry]:
    """The parties still waiting, longest first (``waitlist_entries_waiting``)."""
    rows = conn.execute(
        """
        SELECT * FROM waitlist_entries
         WHERE restaurant_id = %s AND status = 'waiting'
         ORDER BY added_at, id
        """,
        (restaurant_id,),
    ).fetchall()
    zone = ZoneInfo(timezone)
    return [_entry(row, zone) for row in rows]


def mark_seated(
    conn: Connection, restaurant_id: UUID, entry_id: UUID, booking_id: UUID, at: datetime
) -> None:
    """The entry became the walk-in ``booking_id`` at ``at`` (never before it was added,
    should the clock have stepped back)."""
    conn.execute(
        """
        UPDATE waitlist_entries
           SET status = 'seated', seated_booking_id = %s, ended_at = greatest(%s, added_at)
         WHERE restaurant_id = %s AND id = %s
        """,
        (booking_id, at, restaurant_id, entry_id),
    )


def mark_removed(conn: Connection, restaurant_id: UUID, entry_id: UUID, at: datetime) -> None:
    """The party left the list at ``at`` (never before it was added)."""
    conn.execute(
        "UPDATE waitlist_entries SET status = 'removed', ended_at = greatest(%s, added_at)"
        " WHERE restaurant_id = %s AND id = %s",
        (at, restaurant_id, entry_id),
    )


def _entry(row: dict[str, Any], zone: ZoneInfo) -> WaitlistEntry:
    ended = row["ended_at"]
    return WaitlistEntry(
        id=row["id"],
        name=row["name"],
        phone=row["phone"],
        party_size=row["party_size"],
        quoted_wait_minutes=row["quoted_wait_minutes"],
        notes=row["notes"],
        added_at=row["added_at"].astimezone(zone),
        status=WaitlistStatus(row["status"]),
        seated_booking_id=row["seated_booking_id"],
        ended_at=None if ended is None else ended.astimezone(zone),
    )
