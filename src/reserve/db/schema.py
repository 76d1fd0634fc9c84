"""``reserve db check``: the live schema against what the migrations produce.

The migrations are applied to a scratch database on the same server; both databases are
described as ``{"kind name": definition}`` from the system catalogs, and every entry that
is missing, extra or different is named.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from reserve.db import migrations
from reserve.db.database import Connection, connect
from reserve.db.urls import with_database

_DESCRIBE = {
    "table": """
        SELECT c.relname AS name,
               'row level security ' || CASE WHEN c.relrowsecurity THEN 'on' ELSE 'off' END
               AS definition
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'alembic_version'
    """,
    "column": """
        SELECT c.relname || '.' || a.attname AS name,
               format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
               || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
               || CASE WHEN a.attidentity <> '' THEN ' identity' ELSE '' END AS definition
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0
           AND NOT a.attisdropped AND c.relname <> 'alembic_version'
    """,
    "constraint": """
        SELECT t.relname || '.' || c.conname AS name, pg_get_constraintdef(c.oid) AS definition
          FROM pg_constraint c
          JOIN pg_class t ON t.oid = c.conrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = 'public' AND t.relname <> 'alembic_version'
    """,
    "index": """
        SELECT tablename || '.' || indexname AS name, indexdef AS definition
          FROM pg_indexes
         WHERE schemaname = 'public' AND tablename <> 'alembic_version'
    """,
    "policy": """
        SELECT tablename || '.' || policyname AS name,
               cmd || ' using ' || coalesce(qual, '') || ' check ' || coalesce(with_check, '')
               || ' to ' || array_to_string(roles, ',') AS definition
          FROM pg_policies WHERE schemaname = 'public'
    """,
    "function": """
        SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name,
               md5(pg_get_functiondef(p.oid)) AS definition
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND p.proname LIKE 'reserve\\_%'
    """,
    "trigger": """
        SELECT c.relname || '.' || t.tgname AS name, pg_get_triggerdef(t.oid) AS definition
          FROM pg_trigger t
          JOIN pg_class c ON c.oid = t.tgrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND NOT t.tgisinternal
    """,
    "grant": """
        SELECT c.relname AS name,
               concat_ws(',',
                   CASE WHEN has_table_privilege('reserve_app', c.oid, 'SELECT') THEN 'select' END,
                   CASE WHEN has_table_privilege('reserve_app', c.oid, 'INSERT') THEN 'insert' END,
                   CASE WHEN has_table_privilege('reserve_app', c.oid, 'UPDATE') THEN 'update' END,
                   CASE WHEN has_table_privilege('reserve_app', c.oid, 'DELETE') THEN 'delete' END)
               AS definition
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND c.relname <> 'alembic_version'
           AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'reserve_app')
    """,
    "extension": "SELECT extname AS name, 'installed' AS definition FROM pg_extension",
}


def describe(conn: Connection) -> dict[str, str]:
    """Every schema object the migrations create, as ``{"kind name": definition}``."""
    described: dict[str, str] = {}
    for kind, query in _DESCRIBE.items():
        for row in conn.execute(query):
            described[f"{kind} {row['name']}"] = row["definition"]
    return described


def differences(expected: dict[str, str], live: dict[str, str]) -> list[str]:
    """One line for each object missing from, extra in or different in the live schema."""
    lines = []
    for name in sorted(expected.keys() | live.keys()):
        if name not in live:
            lines.append(f"{name}: missing (expected {expected[name]})")
        elif name not in expected:
            lines.append(f"{name}: not created by the migrations ({live[name]})")
        elif expected[name] != live[name]:
            lines.append(f"{name}: is {live[name]}; the migrations make {expected[name]}")
    return lines


def check_schema(url: str) -> list[str]:
    """Every way the database at ``url`` differs from a freshly migrated one (empty: none)."""
    with connect(url) as conn:
        revision = migrations.current_revision(conn)
        head = migrations.head_revision()
        if revision != head:
            return [f"database is at revision {revision or 'none'}; the migrations head is {head}"]
        live = describe(conn)
    with scratch_database(url) as scratch_url:
        migrations.upgrade(scratch_url)
        with connect(scratch_url) as conn:
            expected = describe(conn)
    return differences(expected, live)


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A new empty database on the server of ``url``, dropped afterwards."""
    name = f"reserve_check_{secrets.token_hex(6)}"
    with connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(url, name)
    finally:
        with connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
