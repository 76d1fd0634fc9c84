"""Who occupies which table when: the day lock, occupancy reads and allocation rows.

Every function runs in the caller's transaction, already scoped to the restaurant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, overload
from uuid import UUID

from psycopg import Cursor
from psycopg.types.range import Range

from reserve.db.database import Connection
from reserve.domain.pooling import Placed

# A table taken from ``start`` to ``end`` in epoch seconds (its label first), as the allocator
# reads it (``reserve.domain.allocator.Occupancy``).
Window = tuple[str, float, float]

# No allocation lasts longer (the constraint allocations_window_short).
LONGEST_WINDOW = timedelta(hours=36)
# The shortest window: timestamptz counts microseconds.
RESOLUTION = timedelta(microseconds=1)


def lock_days(
    conn: Connection, restaurant_id: UUID, days: Sequence[date], timeout_ms: int
) -> Callable[[], float]:
    """Serialise allocation for one restaurant and each service date of ``days`` until the
    transaction ends; the days are locked in date order, so two transactions locking the
    same two days cannot deadlock.

    Taken before occupancy is read, so concurrent bookings of one day queue here instead of
    racing; other days and other restaurants go on in parallel.

    Returns how to read the seconds spent waiting for the locks, as the server measured
    them. In pipeline mode reading it before a later statement's answer costs a round trip
    of its own; after one, nothing.
    """
    asked = []
    for day in sorted(set(days)):
        # The sub-select sets the timeout before the lock is asked for, in one round trip;
        # the target list is evaluated in order, so the clock is read once the lock is had.
        asked.append(
            conn.execute(
                """
                SELECT pg_advisory_xact_lock(k.key) AS locked,
                       extract(epoch FROM clock_timestamp() - k.asked)::float8 AS waited
                  FROM (SELECT set_config('lock_timeout', %s, true),
                               hashtextextended(%s, 0) AS key,
                               clock_timestamp() AS asked) AS k
                """,
                (f"{int(timeout_ms)}ms", f"reserve:day:{restaurant_id}:{day.isoformat()}"),
            )
        )

    def waited() -> float:
        rows = [cursor.fetchone() for cursor in asked]
        return sum(float(row["waited"]) for row in rows if row is not None)

    return waited


def _delete_expired_holds(conn: Connection, restaurant_id: UUID, now: datetime) -> Cursor[Any]:
    return conn.execute(
        "DELETE FROM holds WHERE restaurant_id = %s AND expires_at <= %s", (restaurant_id, now)
    )


def purge_expired_holds(conn: Connection, restaurant_id: UUID, now: datetime) -> int:
    """Delete holds past their expiry (their allocations go with them); how many."""
    return _delete_expired_holds(conn, restaurant_id, now).rowcount


def purge_and_read(
    conn: Connection,
    restaurant_id: UUID,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    excluding: UUID | None = None,
) -> tuple[int, list[Window]]:
    """Delete expired holds, then read the occupancy of ``[start, end)`` (as ``occupied``).

    Two statements (sent together in pipeline mode): the read takes its snapshot after the
    delete has waited for anyone confirming one of those holds, so it sees the outcome.
    """
    purged = _delete_expired_holds(conn, restaurant_id, now)
    taken = occupied(conn, restaurant_id, start, end, now, excluding=excluding)
    return purged.rowcount, taken


# The day read for pooling: every allocation OCCUPIED reads (but those of the booking left
# out), and for each whether it may move: a confirmed booking of the service date, its tables
# not pinned, starting after movable_after. A booking of another service date keeps its
# tables: the lock held is that date's, not its own. One row of arrays, the fixed windows
# and the movable allocations apart: a day of a few hundred allocations costs the driver a
# few arrays to parse, not a few hundred rows.
POOLED = """
    SELECT array_agg(w.label) FILTER (WHERE NOT w.movable) AS tables,
           array_agg(w.starts) FILTER (WHERE NOT w.movable) AS starts,
           array_agg(w.ends) FILTER (WHERE NOT w.movable) AS ends,
           array_agg(w.booking_id) FILTER (WHERE w.movable) AS bookings,
           array_agg(w.label) FILTER (WHERE w.movable) AS booked_tables,
           array_agg(w.starts) FILTER (WHERE w.movable) AS booked_starts,
           array_agg(w.ends) FILTER (WHERE w.movable) AS booked_ends,
           array_agg(w.party_size) FILTER (WHERE w.movable) AS party_sizes,
           array_agg(w.zone) FILTER (WHERE w.movable) AS zones
      FROM (
        SELECT t.label,
               extract(epoch FROM lower(a.occupied))::float8 AS starts,
               extract(epoch FROM upper(a.occupied))::float8 AS ends,
               a.booking_id, b.party_size, z.key AS zone,
               coalesce(b.status = 'confirmed' AND NOT b.tables_pinned
                        AND b.start_at > %(movable_after)s AND a.service_date = %(day)s,
                        false) AS movable
          FROM allocations a
          JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
          LEFT JOIN holds h ON h.restaurant_id = a.restaurant_id AND h.id = a.hold_id
          LEFT JOIN bookings b ON b.restaurant_id = a.restaurant_id AND b.id = a.booking_id
          LEFT JOIN zones z ON z.restaurant_id = b.restaurant_id AND z.id = b.zone_id
         WHERE a.restaurant_id = %(r)s
           AND a.starts_at >= %(earliest)s AND a.starts_at < %(end)s
           AND a.occupied && tstzrange(%(start)s, %(end)s)
           AND (a.hold_id IS NULL OR h.expires_at > %(now)s)
           AND NOT coalesce(a.booking_id = %(excluding)s::uuid, false)
      ) AS w
"""


def pooled_day(
    conn: Connection,
    restaurant_id: UUID,
    start: datetime,
    end: datetime,
    now: datetime,
    movable_after: datetime,
    *,
    service_date: date | None = None,
    purge: bool = True,
    excluding: UUID | None = None,
) -> tuple[int, list[Window], Movable]:
    """Delete expired holds, then read the occupancy of ``[start, end)`` split in two: what
    stays where it is, and the bookings whose tables pooling may move. Returns how many
    holds were purged, the fixed windows and the movable bookings; together they are every
    window ``occupied`` reads, but those of the booking ``excluding``.

    Movable: a confirmed booking of ``service_date`` (by default the date ``start`` falls
    on, as ``seating.day_span`` gives it: the venue's midnight beginning the day) whose
    tables staff did not pin and which starts after ``movable_after``. Fixed: everything
    else (holds, blocks, seated or pinned bookings, those starting at or before
    ``movable_after``, those of another service date).

    Two statements, sent together in pipeline mode, as in ``purge_and_read``; without
    ``purge`` (a read that takes no lock), only the read, expired holds left out of it."""
    purged = _delete_expired_holds(conn, restaurant_id, now) if purge else None
    row = conn.execute(
        POOLED,
        {
            **_between(restaurant_id, start, end, now, excluding),
            "movable_after": movable_after,
            "day": start.date() if service_date is None else service_date,
        },
    ).fetchone()
    assert row is not None  # an aggregate's one row
    fixed = _windows(row["tables"], row["starts"], row["ends"])
    movable = Movable(
        row["bookings"] or [],
        row["booked_tables"] or [],
        row["booked_starts"] or [],
        row["booked_ends"] or [],
        row["party_sizes"] or [],
        row["zones"] or [],
    )
    return 0 if purged is None else purged.rowcount, fixed, movable


class Movable(Sequence[Placed]):
    """The movable bookings of a pooled read, one allocation at a time as read: their
    windows at once (``windows``), the bookings themselves built when first asked for. A
    booking that finds a table free never asks, so it pays for no one's ``Placed``."""

    def __init__(
        self,
        bookings: list[UUID],
        tables: list[str],
        starts: list[float],
        ends: list[float],
        party_sizes: list[int],
        zones: list[str | None],
    ) -> None:
        self._read = (bookings, tables, starts, ends, party_sizes, zones)
        self._placed: list[Placed] | None = None

    @property
    def windows(self) -> list[Window]:
        """Each movable allocation's window, where it is now."""
        _, tables, starts, ends, _, _ = self._read
        return list(zip(tables, starts, ends, strict=True))

    def _built(self) -> list[Placed]:
        if self._placed is None:
            booked: dict[UUID, list[Any]] = {}  # id: party size, start, end, tables, zone
            for booking_id, label, starts, ends, party_size, zone in zip(*self._read, strict=True):
                seen = booked.setdefault(booking_id, [party_size, starts, ends, [], zone])
                seen[1], seen[2] = min(seen[1], starts), max(seen[2], ends)
                seen[3].append(label)
            self._placed = [
                Placed(booking_id, party_size, starts, ends, tuple(sorted(labels)), zone)
                for booking_id, (party_size, starts, ends, labels, zone) in booked.items()
            ]
        return self._placed

    def __bool__(self) -> bool:
        return bool(self._read[0])

    def __len__(self) -> int:
        return len(self._built())

    @overload
    def __getitem__(self, index: int) -> Placed: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Placed]: ...

    def __getitem__(self, index: int | slice) -> Placed | Sequence[Placed]:
        return self._built()[index]

    def __iter__(self) -> Iterator[Placed]:
        return iter(self._built())


def _windows(
    labels: list[str] | None, starts: list[float] | None, ends: list[float] | None
) -> list[Window]:
    """An aggregate's arrays of windows (None for none) as windows."""
    return list(zip(labels or (), starts or (), ends or (), strict=True))


def move_tables(
    conn: Connection,
    restaurant_id: UUID,
    moves: Sequence[tuple[UUID, Sequence[UUID]]],
    service_date: date,
) -> None:
    """Seat each booking of ``moves`` (booking id, its new tables' ids) at its new tables
    for the window its allocations of ``service_date`` hold now, kept exactly.

    One statement. Every old allocation of the bookings goes before any new one is written,
    so bookings may trade tables among themselves; anything else on a new table during the
    window still breaks ``allocations_no_overlap`` (``NoAvailability`` from the unit of
    work). A booking with no allocation that day has no window to keep and gets none.
    """
    pairs = [(booking_id, table_id) for booking_id, tables in moves for table_id in tables]
    if not pairs:
        return
    conn.execute(
        """
        WITH moved (booking_id, table_id) AS (
            SELECT * FROM unnest(%(bookings)s::uuid[], %(tables)s::uuid[])
        ), windows AS (
            -- the statement's snapshot: the rows as they were before the delete below
            SELECT DISTINCT ON (a.booking_id) a.booking_id, a.occupied
              FROM allocations a
             WHERE a.restaurant_id = %(r)s AND a.booking_id = ANY(%(ids)s::uuid[])
               AND a.service_date = %(day)s
             ORDER BY a.booking_id, lower(a.occupied)
        ), cleared AS (
            DELETE FROM allocations a
             WHERE a.restaurant_id = %(r)s AND a.booking_id = ANY(%(ids)s::uuid[])
               AND a.service_date = %(day)s
            RETURNING 1
        )
        INSERT INTO allocations (restaurant_id, table_id, booking_id, service_date, occupied)
        SELECT %(r)s, m.table_id, m.booking_id, %(day)s, w.occupied
          FROM moved m JOIN windows w ON w.booking_id = m.booking_id
         -- Counting what the delete removed makes it run to completion before the first
         -- row is inserted: the exclusion constraint, checked row by row, then sees only
         -- the new rows of these bookings, never their old ones.
         WHERE (SELECT count(*) FROM cleared) >= 0
        """,
        {
            "r": restaurant_id,
            "day": service_date,
            "ids": [booking_id for booking_id, _ in moves],
            "bookings": [booking_id for booking_id, _ in pairs],
            "tables": [table_id for _, table_id in pairs],
        },
    )


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
OCCUPIED = """
    SELECT array_agg(t.label) AS tables,
           array_agg(extract(epoch FROM lower(a.occupied))::float8) AS starts,
           array_agg(extract(epoch FROM upper(a.occupied))::float8) AS ends
      FROM allocations a
      JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
      LEFT JOIN holds h ON h.restaurant_id = a.restaurant_id AND h.id = a.hold_id
     WHERE a.restaurant_id = %(r)s
       AND a.starts_at >= %(earliest)s AND a.starts_at < %(end)s
       AND a.occupied && tstzrange(%(start)s, %(end)s)
       AND (a.hold_id IS NULL OR h.expires_at > %(now)s)
       AND NOT coalesce(a.booking_id = %(excluding)s::uuid, false)
"""


def occupied(
    conn: Connection,
    restaurant_id: UUID,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    excluding: UUID | None = None,
) -> list[Window]:
    """Every allocation overlapping ``[start, end)`` (but those of holds expired by ``now``
    and of the booking ``excluding``): table label, window start and end in epoch seconds.
    One row of arrays, as ``POOLED``."""
    row = conn.execute(OCCUPIED, _between(restaurant_id, start, end, now, excluding)).fetchone()
    assert row is not None  # an aggregate's one row
    return _windows(row["tables"], row["starts"], row["ends"])


def _between(
    restaurant_id: UUID,
    start: datetime,
    end: datetime,
    now: datetime,
    excluding: UUID | None = None,
) -> dict[str, object]:
    """The parameters of a read of ``[start, end)`` leaving out the booking ``excluding``:
    window starts are looked up from ``LONGEST_WINDOW`` before it, which
    ``allocations_start`` serves."""
    return {
        "r": restaurant_id,
        "earliest": start - LONGEST_WINDOW,
        "start": start,
        "end": end,
        "now": now,
        "excluding": excluding,
    }


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
    """Free a booking's tables from ``at`` (completing it), keeping the record of where the
    party sat: each window ends at ``at``, or stays as it is if it is over already.

    A party seated early may leave before its window starts, and a walk-in completed at once
    leaves at its start; ``[start, at)`` would be empty, which no window may be. Such a
    window becomes the mark ``[at - 1 µs, at)`` (the clock's resolution), so that the tables
    are still free from ``at``. Should something else hold one of them at that instant (on
    record, if not in the room), the mark is the window's own first microsecond instead,
    which being part of what the booking held cannot overlap anything.
    """
    mark = at - RESOLUTION
    conn.execute(
        """
        UPDATE allocations a
           SET occupied = CASE
               WHEN lower(a.occupied) < %(at)s THEN tstzrange(lower(a.occupied), %(at)s)
               WHEN NOT EXISTS (
                    SELECT FROM allocations o
                     WHERE o.restaurant_id = a.restaurant_id AND o.table_id = a.table_id
                       AND o.id <> a.id
                       AND o.starts_at >= %(earliest)s AND o.starts_at < %(at)s
                       AND o.occupied && tstzrange(%(mark)s, %(at)s))
                    THEN tstzrange(%(mark)s, %(at)s)
               ELSE tstzrange(lower(a.occupied), lower(a.occupied) + interval '1 microsecond')
               END
         WHERE a.restaurant_id = %(r)s AND a.booking_id = %(b)s AND upper(a.occupied) > %(at)s
        """,
        {
            "r": restaurant_id,
            "b": booking_id,
            "at": at,
            "mark": mark,
            "earliest": mark - LONGEST_WINDOW,
        },
    )


@dataclass(frozen=True, slots=True)
class TableUse:
    """One table taken for a window, and by what: a booking, a hold or a block."""

    label: str
    starts: datetime
    ends: datetime
    kind: str  # "booking", "hold" or "block"
    owner_id: UUID
    party_size: int | None  # bookings and holds
    status: str | None  # bookings
    guest_name: str | None  # bookings
    reference: str | None  # bookings


# Allocations with what owns them; the caller adds the WHERE clause.
_USES = """
    SELECT t.label, lower(a.occupied) AS starts, upper(a.occupied) AS ends,
           a.booking_id, a.hold_id, a.block_id,
           coalesce(b.party_size, h.party_size) AS party_size,
           b.status, b.guest_name, b.reference
      FROM allocations a
      JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
      LEFT JOIN bookings b ON b.restaurant_id = a.restaurant_id AND b.id = a.booking_id
      LEFT JOIN holds h ON h.restaurant_id = a.restaurant_id AND h.id = a.hold_id
"""


def of_day(conn: Connection, restaurant_id: UUID, day: date) -> list[TableUse]:
    """Every allocation of the service date ``day``, with what owns it, by table and time."""
    rows = conn.execute(
        _USES + " WHERE a.restaurant_id = %s AND a.service_date = %s"
        " ORDER BY t.label, lower(a.occupied)",
        (restaurant_id, day),
    ).fetchall()
    return [_use(row) for row in rows]


def taken_between(
    conn: Connection,
    restaurant_id: UUID,
    table_ids: Sequence[UUID],
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[TableUse]:
    """What occupies any of ``table_ids`` at some moment of ``[start, end)`` (holds expired
    by ``now`` aside), by table and time."""
    rows = conn.execute(
        _USES
        + """
         WHERE a.restaurant_id = %(r)s AND a.table_id = ANY(%(tables)s)
           AND a.starts_at >= %(earliest)s AND a.starts_at < %(end)s
           AND a.occupied && tstzrange(%(start)s, %(end)s)
           AND (a.hold_id IS NULL OR h.expires_at > %(now)s)
         ORDER BY t.label, lower(a.occupied)
        """,
        {**_between(restaurant_id, start, end, now), "tables": list(table_ids)},
    ).fetchall()
    return [_use(row) for row in rows]


def _use(row: dict[str, Any]) -> TableUse:
    kind = "booking" if row["booking_id"] else "hold" if row["hold_id"] else "block"
    return TableUse(
        label=row["label"],
        starts=row["starts"],
        ends=row["ends"],
        kind=kind,
        owner_id=row[f"{kind}_id"],
        party_size=row["party_size"],
        status=row["status"],
        guest_name=row["guest_name"],
        reference=row["reference"],
    )
