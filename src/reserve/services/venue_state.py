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
from reserve.db import restaurants
from reserve.db.database import Connection
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
        entered = restaurants.enter(conn, slug)
        if entered is None:
            raise NotFound(f"no restaurant {slug!r}")
        return self.entered(conn, *entered)

    def of(self, conn: Connection, restaurant_id: UUID) -> VenueState:
        """The venue of ``restaurant_id``, with the transaction scoped to it."""
        version = restaurants.enter_by_id(conn, restaurant_id)
        if version is None:
            raise NotFound("no such restaurant")
        return self.entered(conn, restaurant_id, version)

    def entered(self, conn: Connection, restaurant_id: UUID, version: datetime) -> VenueState:
        """The venue of ``restaurant_id`` at ``version``, once the transaction is scoped to
        it (as ``reserve.db.idempotency.enter_and_claim`` does)."""
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
    table_ids = restaurants.table_ids(conn, restaurant_id)
    return VenueState(
        restaurant_id=restaurant_id,
        version=version,
        venue=venue,
        floor=floor,
        policy=policy,
        lookahead=Lookahead(floor, policy.rule, TYPICAL_DEMAND),
        table_ids=table_ids,
        table_labels={table_id: label for label, table_id in table_ids.items()},
        zone_ids=restaurants.zone_ids(conn, restaurant_id),
        largest_party=floor.largest_party(policy.rule),
    )
