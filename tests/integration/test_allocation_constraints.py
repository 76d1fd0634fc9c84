"""The invariant lives in the schema: no two allocations of one table overlap, ever."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import errors

from reserve.db.database import Connection
from reserve.db.venues import save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

DAY = date(2026, 12, 1)


def _restaurant_with_block(admin: Connection, slug: str) -> tuple[UUID, UUID, UUID]:
    """A copy of the White Horse under ``slug``, and one block to own allocations."""
    saved = save_venue(admin, replace(read_venue_file(DEMO_VENUE), slug=slug))
    table = admin.execute(
        "SELECT id FROM tables WHERE restaurant_id = %s AND label = 'MD-01'",
        (saved.restaurant_id,),
    ).fetchone()
    assert table is not None
    block_id = uuid4()
    admin.execute(
        "INSERT INTO blocks (restaurant_id, id, start_at, end_at, created_by)"
        " VALUES (%s, %s, '2026-12-01 12:00Z', '2026-12-01 22:00Z', 'test')",
        (saved.restaurant_id, block_id),
    )
    return saved.restaurant_id, table["id"], block_id


def _allocate(admin: Connection, ids: tuple[UUID, UUID, UUID], window: str | None) -> None:
    restaurant_id, table_id, block_id = ids
    admin.execute(
        "INSERT INTO allocations (restaurant_id, table_id, block_id, service_date, occupied)"
        " VALUES (%s, %s, %s, %s, %s::tstzrange)",
        (restaurant_id, table_id, block_id, DAY, window),
    )


def test_refuses_two_overlapping_allocations_on_one_table(admin: Connection) -> None:
    ids = _restaurant_with_block(admin, "one")
    _allocate(admin, ids, "[2026-12-01 12:00Z, 2026-12-01 13:00Z)")
    with pytest.raises(errors.ExclusionViolation) as refused:
        _allocate(admin, ids, "[2026-12-01 12:59Z, 2026-12-01 14:00Z)")
    assert refused.value.diag.constraint_name == "allocations_no_overlap"


def test_accepts_back_to_back_allocations_on_one_table(admin: Connection) -> None:
    ids = _restaurant_with_block(admin, "one")
    _allocate(admin, ids, "[2026-12-01 12:00Z, 2026-12-01 13:00Z)")
    _allocate(admin, ids, "[2026-12-01 13:00Z, 2026-12-01 14:00Z)")


def test_accepts_the_same_window_in_two_restaurants(admin: Connection) -> None:
    window = "[2026-12-01 12:00Z, 2026-12-01 13:00Z)"
    _allocate(admin, _restaurant_with_block(admin, "one"), window)
    _allocate(admin, _restaurant_with_block(admin, "two"), window)
    count = admin.execute("SELECT count(*) AS n FROM allocations").fetchone()
    assert count == {"n": 2}


@pytest.mark.parametrize(
    ("window", "error"),
    [
        (None, errors.NotNullViolation),
        ("empty", errors.CheckViolation),
        ("[2026-12-01 12:00Z, 2026-12-01 12:00Z)", errors.CheckViolation),
        ("[2026-12-01 12:00Z,)", errors.CheckViolation),
        ("(,2026-12-01 12:00Z)", errors.CheckViolation),
        ("(,)", errors.CheckViolation),
    ],
)
def test_refuses_a_null_empty_or_unbounded_window(
    admin: Connection, window: str | None, error: type[psycopg.Error]
) -> None:
    ids = _restaurant_with_block(admin, "one")
    with pytest.raises(error):
        _allocate(admin, ids, window)


def test_refuses_a_window_longer_than_36_hours(admin: Connection) -> None:
    ids = _restaurant_with_block(admin, "one")
    _allocate(admin, ids, "[2026-12-01 00:00Z, 2026-12-02 12:00Z)")
    with pytest.raises(errors.CheckViolation) as refused:
        _allocate(admin, ids, "[2026-12-03 00:00Z, 2026-12-04 12:01Z)")
    assert refused.value.diag.constraint_name == "allocations_window_short"


def test_refuses_an_allocation_with_no_owner_or_two(admin: Connection) -> None:
    restaurant_id, table_id, block_id = _restaurant_with_block(admin, "one")
    window = "[2026-12-01 12:00Z, 2026-12-01 13:00Z)"
    with pytest.raises(errors.CheckViolation):
        admin.execute(
            "INSERT INTO allocations (restaurant_id, table_id, service_date, occupied)"
            " VALUES (%s, %s, %s, %s)",
            (restaurant_id, table_id, DAY, window),
        )
    hold_id = uuid4()
    admin.execute(
        "INSERT INTO holds (restaurant_id, id, party_size, service_date, local_time, start_at,"
        " end_at, expires_at) VALUES (%s, %s, 2, %s, '12:00', '2026-12-01 12:00Z',"
        " '2026-12-01 13:00Z', now())",
        (restaurant_id, hold_id, DAY),
    )
    with pytest.raises(errors.CheckViolation):
        admin.execute(
            "INSERT INTO allocations (restaurant_id, table_id, hold_id, block_id, service_date,"
            " occupied) VALUES (%s, %s, %s, %s, %s, %s)",
            (restaurant_id, table_id, hold_id, block_id, DAY, window),
        )


def test_refuses_adjacency_between_zones(admin: Connection) -> None:
    restaurant_id, _, _ = _restaurant_with_block(admin, "one")
    rows = admin.execute(
        "SELECT t.id, t.zone_id FROM tables t WHERE restaurant_id = %s"
        " AND label IN ('MD-01', 'BA-01') ORDER BY id",
        (restaurant_id,),
    ).fetchall()
    with pytest.raises(errors.ForeignKeyViolation):
        admin.execute(
            "INSERT INTO table_adjacency (restaurant_id, zone_id, table_a, table_b)"
            " VALUES (%s, %s, %s, %s)",
            (restaurant_id, rows[0]["zone_id"], rows[0]["id"], rows[1]["id"]),
        )
