"""Finding a restaurant: by slug before a request knows its tenant, and what the booking
path caches about it (its version, the ids behind its labels and keys)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from reserve.db.database import Connection, scope_to_restaurant


def could_be_slug(slug: str) -> bool:
    """False for text no slug can be: PostgreSQL text cannot hold the NUL character."""
    return "\x00" not in slug


def restaurant_id_for_slug(conn: Connection, slug: str) -> UUID | None:
    """The restaurant's id, seen across tenants; None for an unknown slug."""
    if not could_be_slug(slug):
        return None
    row = conn.execute("SELECT reserve_restaurant_id(%s) AS id", (slug,)).fetchone()
    return None if row is None else row["id"]


def enter(conn: Connection, slug: str) -> tuple[UUID, datetime] | None:
    """Scope the transaction to the restaurant named ``slug`` and read its id and version
    (when it last changed), in one round trip; None for an unknown slug."""
    if not could_be_slug(slug):
        return None
    row = conn.execute("SELECT restaurant_id, version FROM reserve_enter(%s)", (slug,)).fetchone()
    return None if row is None else (row["restaurant_id"], row["version"])


def enter_by_id(conn: Connection, restaurant_id: UUID) -> datetime | None:
    """Scope the transaction to ``restaurant_id`` and read its version; None if unknown."""
    scope_to_restaurant(conn, restaurant_id)
    row = conn.execute(
        "SELECT updated_at FROM restaurants WHERE id = %s", (restaurant_id,)
    ).fetchone()
    return None if row is None else row["updated_at"]


def touch(conn: Connection, restaurant_id: UUID) -> None:
    """Mark the venue changed, so every process rebuilds what it caches of it."""
    conn.execute("UPDATE restaurants SET updated_at = now() WHERE id = %s", (restaurant_id,))


def table_ids(conn: Connection, restaurant_id: UUID) -> dict[str, UUID]:
    """Every table's id by its label."""
    rows = conn.execute(
        "SELECT id, label FROM tables WHERE restaurant_id = %s", (restaurant_id,)
    ).fetchall()
    return {row["label"]: row["id"] for row in rows}


def zone_ids(conn: Connection, restaurant_id: UUID) -> dict[str, UUID]:
    """Every zone's id by its key."""
    rows = conn.execute(
        "SELECT id, key FROM zones WHERE restaurant_id = %s", (restaurant_id,)
    ).fetchall()
    return {row["key"]: row["id"] for row in rows}


@dataclass(frozen=True, slots=True)
class Listed:
    slug: str
    name: str
    timezone: str


def directory(conn: Connection) -> list[Listed]:
    """Every venue guests may book, by name (read across tenants)."""
    rows = conn.execute("SELECT slug, name, timezone FROM reserve_venue_directory()").fetchall()
    return [Listed(row["slug"], row["name"], row["timezone"]) for row in rows]
