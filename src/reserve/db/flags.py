"""A venue's flag overrides in and out of the database (values as stored JSON)."""

from __future__ import annotations

from uuid import UUID

from psycopg.types.json import Jsonb

from reserve.db.database import Connection
from reserve.db.restaurants import touch


def overrides(conn: Connection, restaurant_id: UUID) -> dict[str, object]:
    """The venue's overrides as stored, by flag name."""
    rows = conn.execute(
        "SELECT name, value FROM feature_flag_overrides WHERE restaurant_id = %s ORDER BY name",
        (restaurant_id,),
    ).fetchall()
    return {row["name"]: row["value"] for row in rows}


def put_override(conn: Connection, restaurant_id: UUID, name: str, value: object) -> None:
    conn.execute(
        """
        INSERT INTO feature_flag_overrides (restaurant_id, name, value) VALUES (%s, %s, %s)
        ON CONFLICT (restaurant_id, name) DO UPDATE SET value = excluded.value, updated_at = now()
        """,
        (restaurant_id, name, Jsonb(value)),
    )
    touch(conn, restaurant_id)


def delete_override(conn: Connection, restaurant_id: UUID, name: str) -> bool:
    """Remove an override; whether there was one."""
    cursor = conn.execute(
        "DELETE FROM feature_flag_overrides WHERE restaurant_id = %s AND name = %s",
        (restaurant_id, name),
    )
    touch(conn, restaurant_id)
    return cursor.rowcount > 0
