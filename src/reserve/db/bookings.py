"""Bookings, holds, blocks and their allocations in and out of the database.

Every function runs in the caller's transaction, already scoped to the restaurant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from psycopg.types.range import Range

from reserve.db.database import Connection

Window = tuple[str, datetime, datetime]

# No allocation lasts longer (the constraint allocations_window_short).
LONGEST_WINDOW = timedelta(hours=36)


def lock_day(conn: Connection, restaurant_id: UUID, day: date, timeout_ms: int) -> None:
    """Serialise allocation for one restaurant and service date until the transaction ends.

    Taken before occupancy is read, so concurrent bookings of one day queue here instead of
    racing; other days and other restaurants go on in parallel.
    """
    # The sub-select sets the timeout before the lock is asked for, in one round trip.
    conn.execute(
        """
        SELECT pg_advisory_xact_lock(k.key)
          FROM (SELECT set_config('lock_timeout', %s, true),
                       hashtextextended(%s, 0) AS key) AS k
        """,
        (f"{int(timeout_ms)}ms", f"reserve:day:{restaurant_id}:{day.isoformat()}"),
    )


def claim_key(
    conn: Connection, restaurant_id: UUID, key: str
) -> tuple[bool, dict[str, Any] | None]:
    """Claim an idempotency key for this transaction and read what it was answered before.

    ``(False, None)`` while another request holds the key. The lookup is a statement after
    the claim, so its snapshot shows whatever the previous holder committed; in pipeline
    mode the two still go out in one round trip.
    """
    claim = conn.execute(
        "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0)) AS locked",
        (f"reserve:idempotency:{restaurant_id}:{key}",),
    )
    lookup = conn.execute(
        "SELECT request_hash, response_status, response_body FROM booking_confirmation_results"
        " WHERE restaurant_id = %s AND idempotency_key = %s",
        (restaurant_id, key),
    )
    row = claim.fetchone()
    if not (row and row["locked"]):
        return False, None
    return True, lookup.fetchone()


def purge_and_read(
    conn: Connection, restaurant_id: UUID, start: datetime, end: datetime, now: datetime
) -> tuple[int, list[Window]]:
    """Delete expired holds, then read the occupancy of ``[start, end)``.

    Two statements (sent together in pipeline mode): the read takes its snapshot after the
    delete has waited for anyone confirming one of those holds, so it sees the outcome.
    """
    purged = conn.execute(
        "DELETE FROM holds WHERE restaurant_id = %s AND expires_at <= %s", (restaurant_id, now)
    )
    windows = occupied_windows(conn, restaurant_id, start, end, now)
    return purged.rowcount, windows


def purge_expired_holds(conn: Connection, restaurant_id: UUID, now: datetime) -> int:
    """Delete holds past their expiry (their allocations go with them)."""
    cursor = conn.execute(
        "DELETE FROM holds WHERE restaurant_id = %s AND expires_at <= %s", (restaurant_id, now)
    )
    return cursor.rowcount


def covers_by_start(
    conn: Connection, restaurant_id: UUID, day: date, now: datetime
) -> dict[datetime, int]:
    """Covers of the bookings (confirmed or seated) and live holds of ``day`` by start."""
    rows = conn.execute(
        """
        SELECT start_at, sum(party_size) AS covers FROM (
            SELECT start_at, party_size FROM bookings
             WHERE restaurant_id = %(r)s AND service_date = %(day)s
               AND status IN ('confirmed', 'seated')
            UNION ALL
            SELECT start_at, party_size FROM holds
             WHERE restaurant_id = %(r)s AND service_date = %(day)s AND expires_at > %(now)s
        ) AS starting GROUP BY start_at
        """,
        {"r": restaurant_id, "day": day, "now": now},
    ).fetchall()
    return {row["start_at"]: int(row["covers"]) for row in rows}


# Every allocation overlapping [start, end) but those of holds expired by now. The bound on
# window starts lets allocations_start find them, so the read costs the same with years of
# history as on an empty book.
OCCUPIED_WINDOWS = """
    SELECT t.label, lower(a.occupied) AS starts, upper(a.occupied) AS ends
      FROM allocations a
      JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
      LEFT JOIN holds h ON h.restaurant_id = a.restaurant_id AND h.id = a.hold_id
     WHERE a.restaurant_id = %(r)s
       AND a.starts_at >= %(earliest)s AND a.starts_at < %(end)s
       AND a.occupied && tstzrange(%(start)s, %(end)s)
       AND (a.hold_id IS NULL OR h.expires_at > %(now)s)
"""


def occupied_windows(
    conn: Connection, restaurant_id: UUID, start: datetime, end: datetime, now: datetime
) -> list[Window]:
    """Every allocation overlapping ``[start, end)`` (but those of holds expired by ``now``):
    table label, window start and end."""
    rows = conn.execute(
        OCCUPIED_WINDOWS,
        {
            "r": restaurant_id,
            "earliest": start - LONGEST_WINDOW,
            "start": start,
            "end": end,
            "now": now,
        },
    ).fetchall()
    return [(row["label"], row["starts"], row["ends"]) for row in rows]


def allocate_tables(
    conn: Connection,
    restaurant_id: UUID,
    table_ids: Sequence[UUID],
    *,
    owner: str,
    owner_id: UUID,
    service_date: date,
    start: datetime,
    end: datetime,
) -> None:
    """One allocation row per table for ``[start, end)``, owned by a booking, hold or block."""
    column = {"booking": "booking_id", "hold": "hold_id", "block": "block_id"}[owner]
    with conn.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO allocations (restaurant_id, table_id, {column}, service_date, occupied)"
            " VALUES (%s, %s, %s, %s, %s)",
            [
                (restaurant_id, table_id, owner_id, service_date, Range(start, end, "[)"))
                for table_id in table_ids
            ],
        )


def free_booking_tables(conn: Connection, restaurant_id: UUID, booking_id: UUID) -> None:
    conn.execute(
        "DELETE FROM allocations WHERE restaurant_id = %s AND booking_id = %s",
        (restaurant_id, booking_id),
    )


def end_booking_allocations(
    conn: Connection, restaurant_id: UUID, booking_id: UUID, at: datetime
) -> None:
    """Free a booking's tables from ``at`` (completing early); windows already over stay."""
    conn.execute(
        """
        DELETE FROM allocations
         WHERE restaurant_id = %(r)s AND booking_id = %(b)s AND lower(occupied) >= %(at)s
        """,
        {"r": restaurant_id, "b": booking_id, "at": at},
    )
    conn.execute(
        """
        UPDATE allocations SET occupied = tstzrange(lower(occupied), %(at)s)
         WHERE restaurant_id = %(r)s AND booking_id = %(b)s AND upper(occupied) > %(at)s
        """,
        {"r": restaurant_id, "b": booking_id, "at": at},
    )


# --- bookings ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewBooking:
    id: UUID
    created_at: datetime
    reference: str
    status: str
    pending_reason: str | None
    party_size: int
    service_date: date
    local_time: time
    start_at: datetime
    end_at: datetime
    zone_id: UUID | None
    guest_name: str
    guest_email: str | None
    guest_phone: str | None
    notes: str
    source: str
    manage_token_hash: bytes


def insert_booking(conn: Connection, restaurant_id: UUID, booking: NewBooking) -> None:
    conn.execute(
        """
        INSERT INTO bookings (restaurant_id, id, reference, status, pending_reason, party_size,
            service_date, local_time, start_at, end_at, zone_id, guest_name, guest_email,
            guest_phone, notes, source, manage_token_hash, created_at, updated_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (
            restaurant_id,
            booking.id,
            booking.reference,
            booking.status,
            booking.pending_reason,
            booking.party_size,
            booking.service_date,
            booking.local_time,
            booking.start_at,
            booking.end_at,
            booking.zone_id,
            booking.guest_name,
            booking.guest_email,
            booking.guest_phone,
            booking.notes,
            booking.source,
            booking.manage_token_hash,
            booking.created_at,
            booking.created_at,
        ),
    )


def record_status(
    conn: Connection,
    restaurant_id: UUID,
    booking_id: UUID,
    before: str | None,
    after: str,
    actor: str,
) -> None:
    conn.execute(
        "INSERT INTO booking_status_history (restaurant_id, booking_id, from_status, to_status,"
        " actor) VALUES (%s, %s, %s, %s, %s)",
        (restaurant_id, booking_id, before, after, actor),
    )


def set_status(
    conn: Connection,
    restaurant_id: UUID,
    booking_id: UUID,
    status: str,
    pending_reason: str | None = None,
) -> None:
    conn.execute(
        "UPDATE bookings SET status = %s, pending_reason = %s, updated_at = now()"
        " WHERE restaurant_id = %s AND id = %s",
        (status, pending_reason, restaurant_id, booking_id),
    )


def reschedule(
    conn: Connection,
    restaurant_id: UUID,
    booking_id: UUID,
    *,
    party_size: int,
    service_date: date,
    local_time: time,
    start_at: datetime,
    end_at: datetime,
) -> None:
    conn.execute(
        """
        UPDATE bookings SET party_size = %s, service_date = %s, local_time = %s,
               start_at = %s, end_at = %s, updated_at = now()
         WHERE restaurant_id = %s AND id = %s
        """,
        (party_size, service_date, local_time, start_at, end_at, restaurant_id, booking_id),
    )


_BOOKING_COLUMNS = """
    b.id, b.reference, b.status, b.pending_reason, b.party_size, b.service_date, b.local_time,
    b.start_at, b.end_at, z.key AS zone, b.guest_name, b.guest_email, b.guest_phone, b.notes,
    b.source, b.manage_token_hash, b.created_at, b.updated_at,
    coalesce((SELECT array_agg(t.label ORDER BY t.label)
                FROM allocations a
                JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
               WHERE a.restaurant_id = b.restaurant_id AND a.booking_id = b.id),
             '{}') AS tables
"""


def get_booking(
    conn: Connection, restaurant_id: UUID, booking_id: UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    if for_update:
        conn.execute(
            "SELECT 1 FROM bookings WHERE restaurant_id = %s AND id = %s FOR UPDATE",
            (restaurant_id, booking_id),
        )
    return conn.execute(
        f"""
        SELECT {_BOOKING_COLUMNS}
          FROM bookings b
          LEFT JOIN zones z ON z.restaurant_id = b.restaurant_id AND z.id = b.zone_id
         WHERE b.restaurant_id = %s AND b.id = %s
        """,
        (restaurant_id, booking_id),
    ).fetchone()


def bookings_of_day(
    conn: Connection, restaurant_id: UUID, day: date, statuses: Iterable[str] | None
) -> list[dict[str, Any]]:
    wanted = None if statuses is None else list(statuses)
    return conn.execute(
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


# --- holds and blocks ----------------------------------------------------------------------


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


def get_hold(conn: Connection, restaurant_id: UUID, hold_id: UUID) -> dict[str, Any] | None:
    """A hold and its tables, locked until the transaction ends."""
    return conn.execute(
        """
        SELECT h.*, coalesce((SELECT array_agg(a.table_id ORDER BY a.table_id)
                                FROM allocations a
                               WHERE a.restaurant_id = h.restaurant_id AND a.hold_id = h.id),
                             '{}') AS table_ids
          FROM holds h WHERE h.restaurant_id = %s AND h.id = %s FOR UPDATE
        """,
        (restaurant_id, hold_id),
    ).fetchone()


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


def timeline(conn: Connection, restaurant_id: UUID, day: date) -> list[dict[str, Any]]:
    """Every allocation of the service date ``day``, with what owns it."""
    return conn.execute(
        """
        SELECT t.label, lower(a.occupied) AS starts, upper(a.occupied) AS ends,
               a.booking_id, a.hold_id, a.block_id,
               coalesce(b.party_size, h.party_size) AS party_size,
               b.status, b.guest_name
          FROM allocations a
          JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
          LEFT JOIN bookings b ON b.restaurant_id = a.restaurant_id AND b.id = a.booking_id
          LEFT JOIN holds h ON h.restaurant_id = a.restaurant_id AND h.id = a.hold_id
         WHERE a.restaurant_id = %s AND a.service_date = %s
         ORDER BY t.label, lower(a.occupied)
        """,
        (restaurant_id, day),
    ).fetchall()


# --- idempotency ---------------------------------------------------------------------------


def store_result(
    conn: Connection,
    restaurant_id: UUID,
    key: str,
    request_hash: bytes,
    status: int,
    body: dict[str, Any],
    booking_id: UUID | None,
) -> None:
    conn.execute(
        "INSERT INTO booking_confirmation_results (restaurant_id, idempotency_key, request_hash,"
        " response_status, response_body, booking_id) VALUES (%s, %s, %s, %s, %s, %s)",
        (restaurant_id, key, request_hash, status, Jsonb(body), booking_id),
    )
