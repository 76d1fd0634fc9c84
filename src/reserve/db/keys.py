"""API keys in and out of the database: only a keyed hash of each key is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from reserve.db.database import Connection
from reserve.domain.access import Principal, Role


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: UUID
    name: str
    role: Role
    restaurant: str | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def insert_key(
    conn: Connection,
    key_id: UUID,
    *,
    name: str,
    role: Role,
    restaurant_id: UUID | None,
    prefix: str,
    key_hash: bytes,
) -> None:
    conn.execute(
        "INSERT INTO api_keys (id, name, role, restaurant_id, prefix, key_hash)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (key_id, name, role.value, restaurant_id, prefix, key_hash),
    )


def list_keys(conn: Connection, *, key_id: UUID | None = None) -> list[ApiKey]:
    rows = conn.execute(
        """
        SELECT k.id, k.name, k.role, r.slug AS restaurant, k.prefix, k.created_at,
               k.revoked_at, k.last_used_at
          FROM api_keys k LEFT JOIN restaurants r ON r.id = k.restaurant_id
         WHERE %(id)s::uuid IS NULL OR k.id = %(id)s
         ORDER BY k.created_at, k.prefix
        """,
        {"id": key_id},
    ).fetchall()
    return [
        ApiKey(
            id=row["id"],
            name=row["name"],
            role=Role(row["role"]),
            restaurant=row["restaurant"],
            prefix=row["prefix"],
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
            last_used_at=row["last_used_at"],
        )
        for row in rows
    ]


def revoke(conn: Connection, prefix_or_id: str) -> list[UUID]:
    """Revoke every key whose shown prefix (or id) is ``prefix_or_id``; their ids."""
    rows = conn.execute(
        """
        UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
         WHERE prefix = %(value)s OR id::text = %(value)s
        RETURNING id
        """,
        {"value": prefix_or_id},
    ).fetchall()
    return [row["id"] for row in rows]


def revoke_named(conn: Connection, name: str, restaurant_id: UUID | None) -> int:
    """Revoke every live key called ``name`` of a restaurant; how many there were."""
    cursor = conn.execute(
        "UPDATE api_keys SET revoked_at = now()"
        " WHERE name = %s AND restaurant_id IS NOT DISTINCT FROM %s AND revoked_at IS NULL",
        (name, restaurant_id),
    )
    return cursor.rowcount


def principal_of(conn: Connection, key_hash: bytes) -> Principal | None:
    """The principal of the live key with this hash, or None."""
    row = conn.execute(
        "SELECT key_id, role, restaurant_id FROM reserve_authenticate(%s)", (key_hash,)
    ).fetchone()
    if row is None:
        return None
    return Principal(row["key_id"], Role(row["role"]), row["restaurant_id"])
