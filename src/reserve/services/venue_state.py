"""A venue as the booking path needs it: the floor with its candidates computed, the
allocation policy from its flags, and the ids behind labels and keys.

Building a floor's candidates takes milliseconds, so each process keeps the last state of
every venue and rebuilds it only when the venue changes: an import or a flag change
moves ``restaurants.updated_at``, which every request reads anyway.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from reserve.config import allocation_policy, effective_flags
from reserve.db.database import Connection, scope_to_restaurant
from reserve.db.venues import load_venue
from reserve.domain.allocator import TYPICAL_DEMAND, Lookahead, Policy
from reserve.domain.errors import NotFound
from reserve.domain.floor import Floor
from reserve.domain.venue import Venue
from reserve.services.flags import load_overrides


@dataclass(frozen=True, slots=True)
class VenueState:
    restaurant_id: UUID
    version: datetime
    venue: Venue
    floor: Floor
    policy: Policy
    lookahead: Lookahead
    table_ids: dict[str, UUID]
    table_labels: dict[UUID, str]
    zone_ids: dict[str, UUID]
    largest_party: int  # the largest party the floor can ever seat under the policy


class VenueStates:
    """The process's cache of venue states, safe to share between threads."""

    def __init__(self) -> None:
        self._states: dict[UUID, VenueState] = {}
        self._lock = threading.Lock()

    def scoped(self, conn: Connection, slug: str) -> VenueState:
        """The venue named ``slug``, with the transaction scoped to it (one round trip)."""
        if "\x00" in slug:  # PostgreSQL text cannot hold it, and no slug has it
            raise NotFound(f"no restaurant {slug!r}")
        row = conn.execute(
            "SELECT restaurant_id, version FROM reserve_enter(%s)", (slug,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no restaurant {slug!r}")
        return self._current(conn, row["restaurant_id"], row["version"])

    def of(self, conn: Connection, restaurant_id: UUID) -> VenueState:
        """The venue of ``restaurant_id``, with the transaction scoped to it."""
        scope_to_restaurant(conn, restaurant_id)
        row = conn.execute(
            "SELECT updated_at FROM restaurants WHERE id = %s", (restaurant_id,)
        ).fetchone()
        if row is None:
            raise NotFound("no such restaurant")
        return self._current(conn, restaurant_id, row["updated_at"])

    def _current(self, conn: Connection, restaurant_id: UUID, version: datetime) -> VenueState:
        with self._lock:
            cached = self._states.get(restaurant_id)
        if cached is not None and cached.version == version:
            return cached
        state = _load(conn, restaurant_id, version)
        with self._lock:
            self._states[restaurant_id] = state
        return state


def _load(conn: Connection, restaurant_id: UUID, version: datetime) -> VenueState:
    venue = load_venue(conn, restaurant_id)
    floor = Floor(venue)
    policy = allocation_policy(effective_flags(load_overrides(conn, restaurant_id)))
    tables = conn.execute(
        "SELECT id, label FROM tables WHERE restaurant_id = %s", (restaurant_id,)
    ).fetchall()
    zones = conn.execute(
        "SELECT id, key FROM zones WHERE restaurant_id = %s", (restaurant_id,)
    ).fetchall()
    return VenueState(
        restaurant_id=restaurant_id,
        version=version,
        venue=venue,
        floor=floor,
        policy=policy,
        lookahead=Lookahead(floor, policy.rule, TYPICAL_DEMAND),
        table_ids={row["label"]: row["id"] for row in tables},
        table_labels={row["id"]: row["label"] for row in tables},
        zone_ids={row["key"]: row["id"] for row in zones},
        largest_party=floor.largest_party(policy.rule),
    )
