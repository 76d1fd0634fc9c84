"""The occupancy read under load of history: an index serves it, row-level security on."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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


def test_a_days_occupancy_is_read_through_the_window_start_index(
    admin: Connection, database_url: str
) -> None:
    saved = save_venue(admin, read_venue_file(DEMO_VENUE))
    _a_year_of_evenings(admin, saved.restaurant_id)
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=LONDON)
    end = start + timedelta(hours=36)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    parameters = {
        "r": saved.restaurant_id,
        "earliest": start - allocations.LONGEST_WINDOW,
        "start": start,
        "end": end,
        "now": now,
        "excluding": None,
    }
    database = Database(database_url, min_size=1, max_size=1)
    database.open()
    try:
        # As a request runs it: the application role, scoped, row-level security applying.
        with database.transaction(saved.restaurant_id) as conn:
            row = conn.execute(
                "EXPLAIN (FORMAT JSON) " + allocations.OCCUPIED, parameters
            ).fetchone()
            windows = allocations.occupied(conn, saved.restaurant_id, start, end, now)
    finally:
        database.close()

    assert row is not None
    plan = row["QUERY PLAN"]
    nodes = _nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    on_allocations = [node for node in nodes if node.get("Relation Name") == "allocations"]
    assert [node.get("Index Name") for node in on_allocations] == ["allocations_start"]
    assert len(windows) == 40
    assert {datetime.fromtimestamp(starts, LONDON).hour for _, starts, _ in windows} == {18}
