"""Tenancy in the schema: restaurant_id in every key, and row-level security per restaurant."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import errors
from psycopg.types.json import Jsonb

from reserve.db import migrations
from reserve.db.database import Connection, Database, connect, scope_to_restaurant
from reserve.db.urls import APP_ROLE, app_login
from reserve.db.venues import save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

GLOBAL_TABLES = {"restaurants", "api_keys", "alembic_version"}


def _migrations_tenant_tables() -> set[str]:
    """The tenant tables the migrations declare: each that creates some names them in its
    ``TENANT_TABLES`` (schema v1 and later ones)."""
    tables: set[str] = set()
    for path in sorted((migrations.migrations_dir() / "versions").glob("[0-9]*.py")):
        spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        tables.update(getattr(module, "TENANT_TABLES", ()))
    return tables


def _tenant_tables(conn: Connection) -> list[str]:
    rows = conn.execute(
        """
        SELECT c.relname FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'restaurant_id'
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'api_keys'
         ORDER BY 1
        """
    ).fetchall()
    return [row["relname"] for row in rows]


def test_every_table_is_a_tenant_table_or_a_known_global_one(admin: Connection) -> None:
    tables = {
        row["tablename"]
        for row in admin.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    }
    tenant = set(_tenant_tables(admin))
    assert tables - tenant == GLOBAL_TABLES
    assert tenant == _migrations_tenant_tables()
    assert "waitlist_entries" in tenant


def test_every_key_of_every_tenant_table_includes_restaurant_id(admin: Connection) -> None:
    rows = admin.execute(
        """
        SELECT t.relname AS table_name, con.conname, con.contype,
               array(SELECT a.attname FROM unnest(con.conkey) k
                       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k)
               AS columns,
               r.relname AS referenced,
               array(SELECT a.attname FROM unnest(con.confkey) k
                       JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k)
               AS referenced_columns
          FROM pg_constraint con
          JOIN pg_class t ON t.oid = con.conrelid
          LEFT JOIN pg_class r ON r.oid = con.confrelid
         WHERE t.relname = ANY(%s) AND con.contype IN ('p', 'u', 'x', 'f')
        """,
        (_tenant_tables(admin),),
    ).fetchall()
    assert {row["contype"] for row in rows} == {"p", "u", "x", "f"}
    offending = []
    for row in rows:
        if "restaurant_id" not in row["columns"]:
            offending.append(row["conname"])
        if row["contype"] == "f":
            tenant_key = "id" if row["referenced"] == "restaurants" else "restaurant_id"
            position = row["columns"].index("restaurant_id")
            if row["referenced_columns"][position] != tenant_key:
                offending.append(row["conname"])
    assert offending == []
    checked = {row["table_name"] for row in rows if row["contype"] == "p"}
    assert checked == set(_tenant_tables(admin))


def test_every_unique_index_of_a_tenant_table_includes_restaurant_id(admin: Connection) -> None:
    rows = admin.execute(
        """
        SELECT i.indexrelid::regclass::text AS index_name
          FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
         WHERE t.relname = ANY(%s) AND i.indisunique
           AND NOT EXISTS (SELECT FROM pg_attribute a
                            WHERE a.attrelid = i.indrelid AND a.attname = 'restaurant_id'
                              AND a.attnum = ANY(i.indkey))
        """,
        (_tenant_tables(admin),),
    ).fetchall()
    assert rows == []


@pytest.mark.parametrize("table", ["bookings", "holds", "waitlist_entries", "blocks"])
def test_what_requests_look_up_by_id_alone_has_an_index_leading_with_the_id(
    admin: Connection, table: str
) -> None:
    """A booking, hold, waitlist entry or block is found by its id before its restaurant is
    known (``reserve_*_restaurant``); the primary key, led by ``restaurant_id``, would be
    searched once per restaurant."""
    admin.execute("SET enable_seqscan = off")
    plan = admin.execute(
        f"EXPLAIN (FORMAT JSON) SELECT restaurant_id FROM {table} WHERE id = %s", (uuid4(),)
    ).fetchone()
    assert plan is not None

    def indexes(node: dict[str, Any]) -> set[str]:
        found = {node["Index Name"]} if "Index Name" in node else set()
        for child in node.get("Plans", []):
            found |= indexes(child)
        return found

    assert indexes(plan["QUERY PLAN"][0]["Plan"]) == {f"{table}_by_id"}


# --- row-level security -------------------------------------------------------------------


def _fill_every_table(admin: Connection, slug: str) -> UUID:
    """A restaurant with at least one row in every tenant table."""
    saved = save_venue(admin, replace(read_venue_file(DEMO_VENUE), slug=slug))
    rid = saved.restaurant_id
    table = admin.execute(
        "SELECT id FROM tables WHERE restaurant_id = %s AND label = 'MD-01'", (rid,)
    ).fetchone()
    assert table is not None
    booking, hold, block = uuid4(), uuid4(), uuid4()
    admin.execute(
        """
        INSERT INTO bookings (restaurant_id, id, reference, status, party_size, service_date,
            local_time, start_at, end_at, guest_name, source, manage_token_hash)
        VALUES (%s, %s, 'ABCD1234', 'confirmed', 2, '2026-12-01', '12:00',
            '2026-12-01 12:00Z', '2026-12-01 13:00Z', 'Ada', 'web', '\\x00')
        """,
        (rid, booking),
    )
    admin.execute(
        "INSERT INTO booking_status_history (restaurant_id, booking_id, to_status, actor)"
        " VALUES (%s, %s, 'confirmed', 'guest')",
        (rid, booking),
    )
    admin.execute(
        "INSERT INTO holds (restaurant_id, id, party_size, service_date, local_time, start_at,"
        " end_at, expires_at) VALUES (%s, %s, 2, '2026-12-01', '14:00', '2026-12-01 14:00Z',"
        " '2026-12-01 15:00Z', now() + interval '2 minutes')",
        (rid, hold),
    )
    admin.execute(
        "INSERT INTO blocks (restaurant_id, id, start_at, end_at, created_by)"
        " VALUES (%s, %s, '2026-12-01 16:00Z', '2026-12-01 17:00Z', 'staff')",
        (rid, block),
    )
    for owner, window in (
        ("booking_id", "[2026-12-01 12:00Z, 2026-12-01 13:05Z)"),
        ("hold_id", "[2026-12-01 14:00Z, 2026-12-01 15:05Z)"),
        ("block_id", "[2026-12-01 16:00Z, 2026-12-01 17:00Z)"),
    ):
        owner_id = {"booking_id": booking, "hold_id": hold, "block_id": block}[owner]
        admin.execute(
            f"INSERT INTO allocations (restaurant_id, table_id, {owner}, service_date, occupied)"  # type: ignore[arg-type]
            " VALUES (%s, %s, %s, '2026-12-01', %s)",
            (rid, table["id"], owner_id, window),
        )
    admin.execute(
        "INSERT INTO booking_confirmation_results (restaurant_id, idempotency_key,"
        " request_hash, result, booking_id)"
        " VALUES (%s, 'key-1', '\\x01', '{}', %s)",
        (rid, booking),
    )
    admin.execute(
        "INSERT INTO feature_flag_overrides (restaurant_id, name, value)"
        " VALUES (%s, 'allocator.max_tables', %s)",
        (rid, Jsonb(2)),
    )
    admin.execute(
        "INSERT INTO closures (restaurant_id, closed_on, reason) VALUES (%s, '2026-12-25', 'x')",
        (rid,),
    )
    admin.execute(
        "INSERT INTO waitlist_entries (restaurant_id, id, name, party_size, added_at)"
        " VALUES (%s, %s, 'Grace', 2, '2026-12-01 18:00Z')",
        (rid, uuid4()),
    )
    admin.execute(
        "INSERT INTO demand_requests (restaurant_id, received_at, service_date, weekday,"
        " local_time, party_size, kind, source, outcome)"
        " VALUES (%s, '2026-11-30 10:00Z', '2026-12-01', 1, '12:00', 2, 'booking', 'web',"
        " 'confirmed')",
        (rid,),
    )
    admin.execute(
        "INSERT INTO booking_table_moves (restaurant_id, booking_id, from_tables, to_tables,"
        " actor) VALUES (%s, %s, '{T1}', '{T2}', 'allocator')",
        (rid, booking),
    )
    return rid


@pytest.fixture
def app_connection(database_url: str) -> Iterator[psycopg.Connection[dict[str, object]]]:
    """A connection as requests have one: logged in as the application role."""
    with connect(app_login(database_url)) as conn:
        yield conn


def test_every_tenant_table_has_a_row_in_the_fixture(admin: Connection) -> None:
    rid = _fill_every_table(admin, "b")
    for table in _tenant_tables(admin):
        row = admin.execute(
            f"SELECT count(*) AS n FROM {table} WHERE restaurant_id = %s",  # type: ignore[arg-type]
            (rid,),
        ).fetchone()
        assert row is not None
        assert row["n"] > 0, table


def test_a_request_scoped_to_one_restaurant_sees_no_row_of_another(
    admin: Connection, app_connection: Connection
) -> None:
    a = _fill_every_table(admin, "a")
    _fill_every_table(admin, "b")
    scope_to_restaurant(app_connection, a)
    for table in [*_tenant_tables(admin), "restaurants"]:
        key = "id" if table == "restaurants" else "restaurant_id"
        rows = app_connection.execute(
            f"SELECT DISTINCT {key} AS rid FROM {table}"  # type: ignore[arg-type]
        ).fetchall()
        assert rows == [{"rid": a}], table


def test_a_request_scoped_to_one_restaurant_cannot_change_another(
    admin: Connection, app_connection: Connection
) -> None:
    a = _fill_every_table(admin, "a")
    b = _fill_every_table(admin, "b")
    scope_to_restaurant(app_connection, a)
    for table in _tenant_tables(admin):
        updated = app_connection.execute(
            f"UPDATE {table} SET restaurant_id = restaurant_id WHERE restaurant_id = %s",  # type: ignore[arg-type]
            (b,),
        )
        assert updated.rowcount == 0, table
        deleted = app_connection.execute(
            f"DELETE FROM {table} WHERE restaurant_id = %s",  # type: ignore[arg-type]
            (b,),
        )
        assert deleted.rowcount == 0, table
    app_connection.commit()
    for table in _tenant_tables(admin):
        row = admin.execute(
            f"SELECT count(*) AS n FROM {table} WHERE restaurant_id = %s",  # type: ignore[arg-type]
            (b,),
        ).fetchone()
        assert row is not None
        assert row["n"] > 0, table


def test_a_request_scoped_to_one_restaurant_cannot_write_rows_for_another(
    admin: Connection, app_connection: Connection
) -> None:
    a = _fill_every_table(admin, "a")
    b = _fill_every_table(admin, "b")
    scope_to_restaurant(app_connection, a)
    with pytest.raises(errors.InsufficientPrivilege):
        app_connection.execute(
            "INSERT INTO closures (restaurant_id, closed_on) VALUES (%s, '2027-01-01')", (b,)
        )
    app_connection.rollback()
    scope_to_restaurant(app_connection, a)
    with pytest.raises(errors.InsufficientPrivilege):
        app_connection.execute(
            "UPDATE feature_flag_overrides"
            " SET restaurant_id = %s, name = 'debug.capacity_profiling' WHERE restaurant_id = %s",
            (b, a),
        )


def test_an_unscoped_request_sees_nothing(admin: Connection, app_connection: Connection) -> None:
    _fill_every_table(admin, "a")
    for table in [*_tenant_tables(admin), "restaurants"]:
        row = app_connection.execute(
            f"SELECT count(*) AS n FROM {table}"  # type: ignore[arg-type]
        ).fetchone()
        assert row == {"n": 0}, table


def test_requests_log_in_as_the_application_role_and_cannot_step_out_of_it(
    admin: Connection, database_url: str
) -> None:
    _fill_every_table(admin, "a")
    owner = admin.execute("SELECT current_user AS name").fetchone()
    assert owner is not None
    database = Database(database_url, min_size=1, max_size=1)
    database.open()
    try:
        with database.transaction() as conn:
            conn.execute("RESET ROLE")
            who = conn.execute("SELECT session_user AS s, current_user AS c").fetchone()
            seen = conn.execute("SELECT count(*) AS n FROM bookings").fetchone()
        with pytest.raises(errors.InsufficientPrivilege), database.transaction() as conn:
            conn.execute(f"SET ROLE {owner['name']}")  # type: ignore[arg-type]
    finally:
        database.close()
    assert who == {"s": APP_ROLE, "c": APP_ROLE}
    assert seen == {"n": 0}


def test_request_connections_bound_every_statement_and_idle_transaction(
    database_url: str,
) -> None:
    database = Database(database_url, min_size=1, max_size=1, statement_timeout_ms=250)
    database.open()
    try:
        with database.transaction() as conn:
            shown = conn.execute(
                "SELECT current_setting('statement_timeout') AS statement,"
                " current_setting('idle_in_transaction_session_timeout') AS idle"
            ).fetchone()
        with pytest.raises(errors.QueryCanceled), database.transaction() as conn:
            conn.execute("SELECT pg_sleep(2)")
    finally:
        database.close()
    assert shown == {"statement": "250ms", "idle": "10s"}


def test_a_pooled_connection_carries_no_scope_into_its_next_transaction(
    admin: Connection, database_url: str
) -> None:
    rid = _fill_every_table(admin, "a")
    database = Database(database_url, min_size=1, max_size=1)  # one connection, reused
    database.open()
    try:
        with database.transaction(rid) as conn:
            scoped = conn.execute("SELECT count(*) AS n FROM bookings").fetchone()
        with database.transaction() as conn:
            unscoped = conn.execute("SELECT count(*) AS n FROM bookings").fetchone()
    finally:
        database.close()
    assert scoped == {"n": 1}
    assert unscoped == {"n": 0}


def test_the_application_role_cannot_read_api_keys_or_own_anything(
    admin: Connection, app_connection: Connection
) -> None:
    with pytest.raises(errors.InsufficientPrivilege):
        app_connection.execute("SELECT * FROM api_keys")
    owned = admin.execute(
        "SELECT count(*) AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
        " WHERE r.rolname = %s",
        (APP_ROLE,),
    ).fetchone()
    assert owned == {"n": 0}
