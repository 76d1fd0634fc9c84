"""Venues in and out of the database: restaurants, zones, tables, adjacency, opening times.

``save_venue`` writes a whole venue document in the caller's transaction: it creates the
restaurant, or updates it in place (zones matched by key, tables by label, so their ids and
the allocations that point at them survive). A table left out of the document is deleted;
one with past allocations only is kept as inactive, for the history; one with future
allocations stops the import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID, uuid4

from reserve.db.database import Connection, scope_to_restaurant
from reserve.db.restaurants import restaurant_id_for_slug
from reserve.domain.errors import VenueInUse
from reserve.domain.venue import (
    Closure,
    Service,
    ServicePeriod,
    Table,
    TurnBand,
    Venue,
    Zone,
)

MIDNIGHT = "24:00"


@dataclass(slots=True)
class VenueSaved:
    restaurant_id: UUID
    created: bool
    tables_added: list[str] = field(default_factory=list)
    tables_removed: list[str] = field(default_factory=list)
    tables_retired: list[str] = field(default_factory=list)


def save_venue(conn: Connection, venue: Venue) -> VenueSaved:
    """Create or update ``venue``; the caller's transaction commits or rolls back all of it."""
    restaurant_id = restaurant_id_for_slug(conn, venue.slug)
    created = restaurant_id is None
    if restaurant_id is None:
        restaurant_id = uuid4()
    scope_to_restaurant(conn, restaurant_id)
    _upsert_restaurant(conn, restaurant_id, venue)
    saved = VenueSaved(restaurant_id, created)
    zone_ids = _save_zones(conn, restaurant_id, venue.zones)
    table_ids = _save_tables(conn, restaurant_id, venue.tables, zone_ids, saved)
    _drop_unused_zones(conn, restaurant_id, venue.zones)
    _replace_adjacency(conn, restaurant_id, venue, table_ids, zone_ids)
    _replace_opening_times(conn, restaurant_id, venue)
    return saved


def _upsert_restaurant(conn: Connection, restaurant_id: UUID, venue: Venue) -> None:
    conn.execute(
        """
        INSERT INTO restaurants (id, slug, name, timezone, slot_interval_minutes,
            hold_ttl_seconds, buffer_minutes, max_online_party_size, booking_horizon_days,
            lead_time_minutes, seat_early_minutes, no_show_grace_minutes, max_covers_per_slot,
            embed_origins)
        VALUES (%(id)s, %(slug)s, %(name)s, %(timezone)s, %(slot)s, %(ttl)s, %(buffer)s,
            %(online)s, %(horizon)s, %(lead)s, %(early)s, %(grace)s, %(pacing)s,
            %(origins)s::text[])
        ON CONFLICT (id) DO UPDATE SET
            name = excluded.name, timezone = excluded.timezone,
            slot_interval_minutes = excluded.slot_interval_minutes,
            hold_ttl_seconds = excluded.hold_ttl_seconds,
            buffer_minutes = excluded.buffer_minutes,
            max_online_party_size = excluded.max_online_party_size,
            booking_horizon_days = excluded.booking_horizon_days,
            lead_time_minutes = excluded.lead_time_minutes,
            seat_early_minutes = excluded.seat_early_minutes,
            no_show_grace_minutes = excluded.no_show_grace_minutes,
            max_covers_per_slot = excluded.max_covers_per_slot,
            embed_origins = excluded.embed_origins,
            updated_at = now()
        """,
        {
            "id": restaurant_id,
            "slug": venue.slug,
            "name": venue.name,
            "timezone": venue.timezone,
            "slot": venue.slot_interval_minutes,
            "ttl": venue.hold_ttl_seconds,
            "buffer": venue.buffer_minutes,
            "online": venue.max_online_party_size,
            "horizon": venue.booking_horizon_days,
            "lead": venue.lead_time_minutes,
            "early": venue.seat_early_minutes,
            "grace": venue.no_show_grace_minutes,
            "pacing": venue.max_covers_per_slot,
            "origins": list(venue.embed_origins),
        },
    )


def _save_zones(conn: Connection, restaurant_id: UUID, zones: tuple[Zone, ...]) -> dict[str, UUID]:
    existing = {
        row["key"]: row["id"]
        for row in conn.execute(
            "SELECT key, id FROM zones WHERE restaurant_id = %s", (restaurant_id,)
        )
    }
    zone_ids: dict[str, UUID] = {}
    for position, zone in enumerate(zones):
        zone_id = existing.get(zone.key, uuid4())
        conn.execute(
            """
            INSERT INTO zones (restaurant_id, id, key, name, position)
            VALUES (%s, %s, %s, %s, %s)
            ON CONFLICT (restaurant_id, id) DO UPDATE
                SET name = excluded.name, position = excluded.position
            """,
            (restaurant_id, zone_id, zone.key, zone.name, position),
        )
        zone_ids[zone.key] = zone_id
    return zone_ids


def _save_tables(
    conn: Connection,
    restaurant_id: UUID,
    tables: tuple[Table, ...],
    zone_ids: dict[str, UUID],
    saved: VenueSaved,
) -> dict[str, UUID]:
    existing = {
        row["label"]: row["id"]
        for row in conn.execute(
            "SELECT label, id FROM tables WHERE restaurant_id = %s", (restaurant_id,)
        )
    }
    _remove_tables(conn, restaurant_id, set(existing) - {t.label for t in tables}, saved)
    # Adjacency is rebuilt afterwards; clearing it first lets a table move to another zone.
    conn.execute("DELETE FROM table_adjacency WHERE restaurant_id = %s", (restaurant_id,))
    table_ids: dict[str, UUID] = {}
    for position, table in enumerate(tables):
        table_id = existing.get(table.label)
        if table_id is None:
            table_id = uuid4()
            saved.tables_added.append(table.label)
        conn.execute(
            """
            INSERT INTO tables (restaurant_id, id, zone_id, label, capacity, min_party,
                max_party, category, seating, combinable, active, position)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (restaurant_id, id) DO UPDATE SET
                zone_id = excluded.zone_id, capacity = excluded.capacity,
                min_party = excluded.min_party, max_party = excluded.max_party,
                category = excluded.category, seating = excluded.seating,
                combinable = excluded.combinable, active = excluded.active,
                position = excluded.position
            """,
            (
                restaurant_id,
                table_id,
                zone_ids[table.zone],
                table.label,
                table.capacity,
                table.min_party,
                table.max_party,
                table.category,
                table.seating,
                table.combinable,
                table.active,
                position,
            ),
        )
        table_ids[table.label] = table_id
    return table_ids


def _remove_tables(
    conn: Connection, restaurant_id: UUID, labels: set[str], saved: VenueSaved
) -> None:
    if not labels:
        return
    rows = conn.execute(
        """
        SELECT t.label,
               bool_or(upper(a.occupied) > now()) AS future,
               count(a.id) > 0 AS used
          FROM tables t LEFT JOIN allocations a
            ON a.restaurant_id = t.restaurant_id AND a.table_id = t.id
         WHERE t.restaurant_id = %s AND t.label = ANY(%s)
         GROUP BY t.label
        """,
        (restaurant_id, sorted(labels)),
    ).fetchall()
    busy = sorted(row["label"] for row in rows if row["future"])
    if busy:
        raise VenueInUse("cannot remove tables that have future allocations: " + ", ".join(busy))
    retired = sorted(row["label"] for row in rows if row["used"])
    removed = sorted(labels - set(retired))
    conn.execute(
        "UPDATE tables SET active = false WHERE restaurant_id = %s AND label = ANY(%s)",
        (restaurant_id, retired),
    )
    conn.execute(
        "DELETE FROM tables WHERE restaurant_id = %s AND label = ANY(%s)",
        (restaurant_id, removed),
    )
    saved.tables_retired.extend(retired)
    saved.tables_removed.extend(removed)


def _drop_unused_zones(conn: Connection, restaurant_id: UUID, zones: tuple[Zone, ...]) -> None:
    conn.execute(
        """
        DELETE FROM zones z
         WHERE z.restaurant_id = %s AND NOT z.key = ANY(%s)
           AND NOT EXISTS (SELECT FROM tables t
                            WHERE t.restaurant_id = z.restaurant_id AND t.zone_id = z.id)
        """,
        (restaurant_id, [zone.key for zone in zones]),
    )


def _replace_adjacency(
    conn: Connection,
    restaurant_id: UUID,
    venue: Venue,
    table_ids: dict[str, UUID],
    zone_ids: dict[str, UUID],
) -> None:
    zone_of = {table.label: zone_ids[table.zone] for table in venue.tables}
    rows = []
    for first, second in venue.adjacent_pairs():
        table_a, table_b = sorted((table_ids[first], table_ids[second]))
        rows.append((restaurant_id, zone_of[first], table_a, table_b))
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO table_adjacency (restaurant_id, zone_id, table_a, table_b)"
            " VALUES (%s, %s, %s, %s)",
            rows,
        )


def _replace_opening_times(conn: Connection, restaurant_id: UUID, venue: Venue) -> None:
    # Periods and bands go with their services (ON DELETE CASCADE).
    conn.execute("DELETE FROM services WHERE restaurant_id = %s", (restaurant_id,))
    conn.execute("DELETE FROM closures WHERE restaurant_id = %s", (restaurant_id,))
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO services (restaurant_id, name, position) VALUES (%s, %s, %s)",
            [
                (restaurant_id, service.name, position)
                for position, service in enumerate(venue.services)
            ],
        )
        cursor.executemany(
            "INSERT INTO turn_time_bands (restaurant_id, service, max_party_size, minutes)"
            " VALUES (%s, %s, %s, %s)",
            [
                (restaurant_id, service.name, band.max_party_size, band.minutes)
                for service in venue.services
                for band in service.turn_bands
            ],
        )
        cursor.executemany(
            "INSERT INTO service_periods (restaurant_id, id, service, weekdays, start_time,"
            " end_time, position) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    restaurant_id,
                    uuid4(),
                    period.service,
                    list(period.weekdays),
                    period.start,
                    MIDNIGHT if period.end is None else period.end,
                    position,
                )
                for position, period in enumerate(venue.periods)
            ],
        )
        cursor.executemany(
            "INSERT INTO closures (restaurant_id, closed_on, reason) VALUES (%s, %s, %s)",
            [(restaurant_id, closure.day, closure.reason) for closure in venue.closures],
        )


def load_venue(conn: Connection, restaurant_id: UUID) -> Venue:
    """The venue as stored, in document order."""
    restaurant = conn.execute(
        "SELECT * FROM restaurants WHERE id = %s", (restaurant_id,)
    ).fetchone()
    if restaurant is None:
        raise LookupError(f"no restaurant {restaurant_id}")
    zones = conn.execute(
        "SELECT key, name FROM zones WHERE restaurant_id = %s ORDER BY position, key",
        (restaurant_id,),
    ).fetchall()
    tables = conn.execute(
        """
        SELECT t.label, z.key AS zone, t.capacity, t.min_party, t.max_party, t.category,
               t.seating, t.combinable, t.active
          FROM tables t JOIN zones z ON z.restaurant_id = t.restaurant_id AND z.id = t.zone_id
         WHERE t.restaurant_id = %s
         ORDER BY t.position, t.label
        """,
        (restaurant_id,),
    ).fetchall()
    pairs = conn.execute(
        """
        SELECT a.label AS first, b.label AS second
          FROM table_adjacency j
          JOIN tables a ON a.restaurant_id = j.restaurant_id AND a.id = j.table_a
          JOIN tables b ON b.restaurant_id = j.restaurant_id AND b.id = j.table_b
         WHERE j.restaurant_id = %s
        """,
        (restaurant_id,),
    ).fetchall()
    return Venue(
        slug=restaurant["slug"],
        name=restaurant["name"],
        timezone=restaurant["timezone"],
        slot_interval_minutes=restaurant["slot_interval_minutes"],
        hold_ttl_seconds=restaurant["hold_ttl_seconds"],
        buffer_minutes=restaurant["buffer_minutes"],
        max_online_party_size=restaurant["max_online_party_size"],
        booking_horizon_days=restaurant["booking_horizon_days"],
        lead_time_minutes=restaurant["lead_time_minutes"],
        seat_early_minutes=restaurant["seat_early_minutes"],
        no_show_grace_minutes=restaurant["no_show_grace_minutes"],
        max_covers_per_slot=restaurant["max_covers_per_slot"],
        embed_origins=tuple(restaurant["embed_origins"]),
        zones=tuple(Zone(**row) for row in zones),
        tables=tuple(Table(**row) for row in tables),
        adjacency=frozenset(frozenset((row["first"], row["second"])) for row in pairs),
        services=_load_services(conn, restaurant_id),
        periods=_load_periods(conn, restaurant_id),
        closures=tuple(
            Closure(day=row["closed_on"], reason=row["reason"])
            for row in conn.execute(
                "SELECT closed_on, reason FROM closures WHERE restaurant_id = %s"
                " ORDER BY closed_on",
                (restaurant_id,),
            )
        ),
    )


def _load_services(conn: Connection, restaurant_id: UUID) -> tuple[Service, ...]:
    bands: dict[str, list[TurnBand]] = {}
    for row in conn.execute(
        """
        SELECT s.name, b.max_party_size, b.minutes
          FROM services s LEFT JOIN turn_time_bands b
            ON b.restaurant_id = s.restaurant_id AND b.service = s.name
         WHERE s.restaurant_id = %s
         ORDER BY s.position, b.max_party_size
        """,
        (restaurant_id,),
    ):
        service_bands = bands.setdefault(row["name"], [])
        if row["max_party_size"] is not None:
            service_bands.append(TurnBand(row["max_party_size"], row["minutes"]))
    return tuple(Service(name, tuple(service_bands)) for name, service_bands in bands.items())


def _load_periods(conn: Connection, restaurant_id: UUID) -> tuple[ServicePeriod, ...]:
    rows = conn.execute(
        """
        SELECT service, weekdays, start_time,
               CASE WHEN end_time = '24:00' THEN NULL ELSE end_time END AS end_time
          FROM service_periods
         WHERE restaurant_id = %s
         ORDER BY position
        """,
        (restaurant_id,),
    ).fetchall()
    return tuple(
        ServicePeriod(
            service=row["service"],
            weekdays=tuple(row["weekdays"]),
            start=row["start_time"],
            end=row["end_time"],
        )
        for row in rows
    )
