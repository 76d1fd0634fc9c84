"""Holds and blocks in and out of the database (their tables are in ``allocations``).

Every function runs in the caller's transaction, already scoped to the restaurant, except
``restaurant_of`` and ``block_restaurant_of``, which find a hold's or a block's restaurant
across tenants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from uuid import UUID

from reserve.db.database import Connection


@dataclass(frozen=True, slots=True)
class StoredHold:
    id: UUID
    party_size: int
    day: date
    local_time: time
    start_at: datetime
    end_at: datetime
    expires_at: datetime
    table_ids: tuple[UUID, ...]
    extensions: int  # how often the guest has extended it


def restaurant_of(conn: Connection, hold_id: UUID) -> UUID | None:
    """The restaurant a hold belongs to, seen across tenants; None for an unknown id."""
    row = conn.execute("SELECT reserve_hold_restaurant(%s) AS owner", (hold_id,)).fetchone()
    return None if row is None else row["owner"]


def insert_hold(
    conn: Connection,
    restaurant_id: UUID,
    hold_id: UUID,
    *,
    party_size: int,
    service_date: date,
    local_time: time,
    start_at: datetime,
    end_at: datetime,
    zone_id: UUID | None,
    expires_at: datetime,
) -> None:
    conn.execute(
        """
        INSERT INTO holds (restaurant_id, id, party_size, service_date, local_time, start_at,
            end_at, zone_id, expires_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (
            restaurant_id,
            hold_id,
            party_size,
            service_date,
            local_time,
            start_at,
            end_at,
            zone_id,
            expires_at,
        ),
    )


_HOLD = """
    SELECT h.*, coalesce((SELECT array_agg(a.table_id ORDER BY a.table_id)
                            FROM allocations a
                           WHERE a.restaurant_id = h.restaurant_id AND a.hold_id = h.id),
                         '{}') AS table_ids
      FROM holds h WHERE h.restaurant_id = %s AND h.id = %s
"""


def get_hold(
    conn: Connection, restaurant_id: UUID, hold_id: UUID, *, lock: bool = True
) -> StoredHold | None:
    """A hold and its tables; with ``lock`` (the default), locked until the transaction
    ends, so that confirming, extending and purging it take turns."""
    query = _HOLD + " FOR UPDATE" if lock else _HOLD
    row = conn.execute(query, (restaurant_id, hold_id)).fetchone()
    if row is None:
        return None
    return StoredHold(
        id=row["id"],
        party_size=row["party_size"],
        day=row["service_date"],
        local_time=row["local_time"],
        start_at=row["start_at"],
        end_at=row["end_at"],
        expires_at=row["expires_at"],
        table_ids=tuple(row["table_ids"]),
        extensions=row["extensions"],
    )


def extend_hold(conn: Connection, restaurant_id: UUID, hold_id: UUID, expires_at: datetime) -> int:
    """Move the hold's expiry to ``expires_at`` and count the extension: the count after."""
    row = conn.execute(
        "UPDATE holds SET expires_at = %s, extensions = extensions + 1"
        " WHERE restaurant_id = %s AND id = %s RETURNING extensions",
        (expires_at, restaurant_id, hold_id),
    ).fetchone()
    assert row is not None  # the caller holds the row's lock
    return int(row["extensions"])


def hand_hold_to_booking(
    conn: Connection, restaurant_id: UUID, hold_id: UUID, booking_id: UUID
) -> None:
    """The hold's allocations become the booking's; the hold goes."""
    conn.execute(
        "UPDATE allocations SET hold_id = NULL, booking_id = %s"
        " WHERE restaurant_id = %s AND hold_id = %s",
        (booking_id, restaurant_id, hold_id),
    )
    delete_hold(conn, restaurant_id, hold_id)


def delete_hold(conn: Connection, restaurant_id: UUID, hold_id: UUID) -> bool:
    cursor = conn.execute(
        "DELETE FROM holds WHERE restaurant_id = %s AND id = %s", (restaurant_id, hold_id)
    )
    return cursor.rowcount > 0


def insert_block(
    conn: Connection,
    restaurant_id: UUID,
    block_id: UUID,
    *,
    start_at: datetime,
    end_at: datetime,
    reason: str,
    created_by: str,
) -> None:
    conn.execute(
        "INSERT INTO blocks (restaurant_id, id, start_at, end_at, reason, created_by)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (restaurant_id, block_id, start_at, end_at, reason, created_by),
    )


@dataclass(frozen=True, slots=True)
class StoredBlock:
    id: UUID
    tables: tuple[str, ...]  # labels, sorted
    start_at: datetime
    end_at: datetime
    reason: str


def block_restaurant_of(conn: Connection, block_id: UUID) -> UUID | None:
    """The restaurant a block belongs to, seen across tenants; None for an unknown id."""
    row = conn.execute("SELECT reserve_block_restaurant(%s) AS owner", (block_id,)).fetchone()
    return None if row is None else row["owner"]


def blocks_of_day(conn: Connection, restaurant_id: UUID, day: date) -> list[StoredBlock]:
    """Every block with a part on the service date ``day`` (a block takes one allocation
    per table and service date it touches), by start; each with all of its tables."""
    rows = conn.execute(
        """
        SELECT b.id, b.start_at, b.end_at, b.reason,
               coalesce((SELECT array_agg(DISTINCT t.label ORDER BY t.label)
                           FROM allocations a
                           JOIN tables t ON t.restaurant_id = a.restaurant_id
                                        AND t.id = a.table_id
                          WHERE a.restaurant_id = b.restaurant_id AND a.block_id = b.id),
                        '{}') AS tables
          FROM blocks b
         WHERE b.restaurant_id = %(r)s
           AND b.id IN (SELECT a.block_id FROM allocations a
                         WHERE a.restaurant_id = %(r)s AND a.service_date = %(day)s
                           AND a.block_id IS NOT NULL)
         ORDER BY b.start_at, b.id
        """,
        {"r": restaurant_id, "day": day},
    ).fetchall()
    return [
        StoredBlock(row["id"], tuple(row["tables"]), row["start_at"], row["end_at"], row["reason"])
        for row in rows
    ]


def delete_block(conn: Connection, restaurant_id: UUID, block_id: UUID) -> bool:
    """Remove the block; its allocations go with it (ON DELETE CASCADE), freeing its
    tables. False when there was no such block."""
    cursor = conn.execute(
        "DELETE FROM blocks WHERE restaurant_id = %s AND id = %s", (restaurant_id, block_id)
    )
    return cursor.rowcount > 0
