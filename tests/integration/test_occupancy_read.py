"""The occupancy read under load of history: an index serves it, row-level security on."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from psycopg import ClientCursor

from reserve.db import allocations
from reserve.db.database import Connection, Database
from reserve.db.venues import save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

DAY = date(2026, 6, 15)
LONDON = ZoneInfo("Europe/London")


def _a_year_of_evenings(admin: Connection, restaurant_id: object) -> None:
    """Every table taken 18:00-20:00 every day of 2026 (by a block): 14,600 windows."""
    spots = """
        SELECT t.id AS table_id, d::date AS day,
               md5(t.id::text || d::date::text)::uuid AS block_id,
               (d::date + time '18:00') AT TIME ZONE 'Europe/London' AS starts,
               (d::date + time '20:00') AT TIME ZONE 'Europe/London' AS ends
          FROM tables t, generate_series(date '2026-01-01', date '2026-12-31', '1 day') d
         WHERE t.restaurant_id = %(r)s
    """
    admin.execute(
        "INSERT INTO blocks (restaurant_id, id, start_at, end_at, created_by)"
        f" SELECT %(r)s, block_id, starts, ends, 'test' FROM ({spots}) s",
        {"r": restaurant_id},
    )
    admin.execute(
        "INSERT INTO allocations (restaurant_id, table_id, block_id, service_date, occupied)"
        f" SELECT %(r)s, table_id, block_id, day, tstzrange(starts, ends) FROM ({spots}) s",
        {"r": restaurant_id},
    )
    admin.execute("ANALYZE allocations")


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += _nodes(child)
    return found


def _read_of(restaurant_id: object) -> dict[str, Any]:
    """The parameters of a read of DAY, as the service gives them (the pooled read's too)."""
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=LONDON)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    return {
        "r": restaurant_id,
        "earliest": start - allocations.LONGEST_WINDOW,
        "start": start,
        "end": start + timedelta(hours=36),
        "now": now,
        "excluding": None,
        "movable_after": now,
        "day": DAY,
    }


def test_a_days_occupancy_is_read_through_the_window_start_index(
    admin: Connection, database_url: str
) -> None:
    saved = save_venue(admin, read_venue_file(DEMO_VENUE))
    _a_year_of_evenings(admin, saved.restaurant_id)
    parameters = _read_of(saved.restaurant_id)
    database = Database(database_url, min_size=1, max_size=1)
    database.open()
    try:
        # As a request runs it: the application role, scoped, row-level security applying.
        with database.transaction(saved.restaurant_id) as conn:
            row = conn.execute(
                "EXPLAIN (FORMAT JSON) " + allocations.OCCUPIED, parameters
            ).fetchone()
            windows = allocations.occupied(
                conn,
                saved.restaurant_id,
                parameters["start"],
                parameters["end"],
                parameters["now"],
            )
    finally:
        database.close()

    assert row is not None
    plan = row["QUERY PLAN"]
    nodes = _nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    on_allocations = [node for node in nodes if node.get("Relation Name") == "allocations"]
    assert [node.get("Index Name") for node in on_allocations] == ["allocations_start"]
    assert len(windows) == 40
    assert {datetime.fromtimestamp(starts, LONDON).hour for _, starts, _ in windows} == {18}


def _prepared_plan(conn: Connection, query: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The plan the session runs ``query`` on once prepared, as psycopg prepares it."""
    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", query)))
    numbered = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", query)
    types = {"r": "uuid", "excluding": "uuid", "day": "date"}
    declared = [types.get(name, "timestamptz") for name in names]
    conn.execute(f"PREPARE occupancy ({', '.join(declared)}) AS {numbered}")
    values = ", ".join(f"%({name})s::{kind}" for name, kind in zip(names, declared, strict=True))
    # A utility statement takes no bound parameters: the values are written into it.
    explain = ClientCursor(conn).mogrify(
        f"EXPLAIN (FORMAT JSON) EXECUTE occupancy ({values})", parameters
    )
    row = conn.execute(explain).fetchone()
    conn.execute("DEALLOCATE occupancy")
    assert row is not None
    plan = row["QUERY PLAN"]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]  # type: ignore[no-any-return]


def test_the_requests_sessions_read_a_day_on_the_general_plan_through_the_index(
    admin: Connection, database_url: str
) -> None:
    """Prepared, both day reads keep one plan (no planning per booking), and it still looks
    the day up by window start."""
    saved = save_venue(admin, read_venue_file(DEMO_VENUE))
    _a_year_of_evenings(admin, saved.restaurant_id)
    parameters = _read_of(saved.restaurant_id)
    database = Database(database_url, min_size=1, max_size=1)
    database.open()
    try:
        with database.transaction(saved.restaurant_id) as conn:
            mode = conn.execute("SHOW plan_cache_mode").fetchone()
            plans = [
                _prepared_plan(conn, query, parameters)
                for query in (allocations.OCCUPIED, allocations.POOLED)
            ]
    finally:
        database.close()

    assert mode == {"plan_cache_mode": "force_generic_plan"}
    for plan in plans:
        on_allocations = [n for n in _nodes(plan) if n.get("Relation Name") == "allocations"]
        assert [node.get("Index Name") for node in on_allocations] == ["allocations_start"]
