"""Staff and admin API keys: made here, shown once, stored only as a keyed hash.

A key looks like ``rsv_<43 url-safe characters>`` (256 random bits). The database keeps its
first characters, to tell keys apart in a listing, and HMAC-SHA256 of the whole key under
``RESERVE_SECRET_KEY``, so a copy of the database alone cannot be used to call the API.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4

from reserve.db.database import Connection
from reserve.db.venues import restaurant_id_for_slug
from reserve.domain.errors import InvalidRequest, NotFound

KEY_PREFIX = "rsv_"
MAX_CACHED_KEYS = 10_000
SHOWN_PREFIX_LENGTH = 12


class Role(StrEnum):
    STAFF = "staff"
    ADMIN = "admin"


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


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request's key belongs to."""

    key_id: UUID
    role: Role
    restaurant_id: UUID | None

    def may_manage(self, restaurant_id: UUID) -> bool:
        return self.role is Role.ADMIN or self.restaurant_id == restaurant_id


def hash_key(secret: str, key: str) -> bytes:
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).digest()


def create_key(
    conn: Connection, secret: str, *, role: Role, restaurant: str | None, name: str
) -> tuple[ApiKey, str]:
    """A new key and its plain text, which is not stored anywhere."""
    if role is Role.STAFF and restaurant is None:
        raise InvalidRequest("a staff key needs --restaurant")
    if role is Role.ADMIN and restaurant is not None:
        raise InvalidRequest("an admin key belongs to no restaurant; leave out --restaurant")
    if not 1 <= len(name) <= 120:
        raise InvalidRequest("a key's name must be 1 to 120 characters")
    restaurant_id = None
    if restaurant is not None:
        restaurant_id = restaurant_id_for_slug(conn, restaurant)
        if restaurant_id is None:
            raise NotFound(f"no restaurant {restaurant!r}")
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = uuid4()
    conn.execute(
        "INSERT INTO api_keys (id, name, role, restaurant_id, prefix, key_hash)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (
            key_id,
            name,
            role.value,
            restaurant_id,
            plain[:SHOWN_PREFIX_LENGTH],
            hash_key(secret, plain),
        ),
    )
    return list_keys(conn, key_id=key_id)[0], plain


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


def revoke_key(conn: Connection, prefix_or_id: str) -> ApiKey:
    """Revoke the one key whose shown prefix (or id) is given."""
    rows = conn.execute(
        """
        UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
         WHERE prefix = %(value)s OR id::text = %(value)s
        RETURNING id
        """,
        {"value": prefix_or_id},
    ).fetchall()
    if not rows:
        raise NotFound(f"no key {prefix_or_id!r}")
    if len(rows) > 1:
        raise InvalidRequest(f"{prefix_or_id!r} names more than one key; give its id")
    return list_keys(conn, key_id=rows[0]["id"])[0]


def revoke_keys_named(conn: Connection, name: str, restaurant_id: UUID | None) -> int:
    """Revoke every live key called ``name`` of a restaurant; how many there were."""
    cursor = conn.execute(
        "UPDATE api_keys SET revoked_at = now()"
        " WHERE name = %s AND restaurant_id IS NOT DISTINCT FROM %s AND revoked_at IS NULL",
        (name, restaurant_id),
    )
    return cursor.rowcount


def authenticate(conn: Connection, secret: str, key: str) -> Principal | None:
    """The principal behind ``key``, or None for an unknown or revoked key."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    row = conn.execute(
        "SELECT key_id, role, restaurant_id FROM reserve_authenticate(%s)",
        (hash_key(secret, key),),
    ).fetchone()
    if row is None:
        return None
    return Principal(row["key_id"], Role(row["role"]), row["restaurant_id"])


class Principals:
    """Recently authenticated keys, so a busy client costs one lookup every ``ttl`` seconds
    rather than one a request. A revoked key therefore stops working within ``ttl``."""

    def __init__(self, ttl: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._known: dict[str, tuple[Principal | None, float]] = {}
        self._lock = threading.Lock()

    def recall(self, key: str) -> tuple[bool, Principal | None]:
        """(True, the principal or None for a refused key) while ``key`` is remembered;
        (False, None) when it has to be looked up."""
        with self._lock:
            cached = self._known.get(key)
        if cached is not None and cached[1] > self.clock():
            return True, cached[0]
        return False, None

    def get(self, key: str, lookup: Callable[[], Principal | None]) -> Principal | None:
        known, principal = self.recall(key)
        if known:
            return principal
        now = self.clock()
        principal = lookup()
        with self._lock:
            if len(self._known) > MAX_CACHED_KEYS:
                self._known = {k: v for k, v in self._known.items() if v[1] > now}
            self._known[key] = (principal, now + self.ttl)
        return principal
