"""Pooled tables: a confirmed booking keeps its time, party and zone, but its tables may
move until the party is seated, when moving it lets a new party in.

What may move is decided by the service (never a seated booking, a host's pinned tables, a
booking starting within ``Policy.pooling_freeze_minutes``, a hold or a block): those are
``Placed``; everything else is fixed occupancy.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Placed:
    """A booking whose tables may move: its party, occupied window (epoch seconds, the end
    with the buffer), its tables now (sorted labels), and the zone the guest chose."""

    booking_id: UUID
    party_size: int
    start: float
    end: float
    tables: tuple[str, ...]
    zone: str | None = None
