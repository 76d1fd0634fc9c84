"""What every booking use case is given: where its unit of work comes from, the venues
this process knows, the secret behind manage tokens, the clock, how a venue's day is
serialised, the forecasts of demand learned so far and the booking limits solved from them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol
from uuid import UUID

from reserve.db import allocations
from reserve.db.database import Connection, Transactions
from reserve.services.day_limits import DayLimits
from reserve.services.forecasts import Forecasts
from reserve.services.venue_state import VenueStates

Now = Callable[[], datetime]

LOCK_TIMEOUT_MS = 3000


def utc_now() -> datetime:
    return datetime.now(UTC)


Waited = Callable[[], float]


class DayLock(Protocol):
    """Serialises allocation for a restaurant's service dates until the transaction ends;
    returns how to read the seconds it waited (None: it cannot say)."""

    def __call__(
        self, conn: Connection, restaurant_id: UUID, days: Sequence[date]
    ) -> Waited | None: ...


@dataclass(frozen=True, slots=True)
class AdvisoryDayLock:
    """A transaction-level advisory lock per restaurant and date, waited for at most
    ``timeout_ms`` (then the use case fails as busy)."""

    timeout_ms: int = LOCK_TIMEOUT_MS

    def __call__(self, conn: Connection, restaurant_id: UUID, days: Sequence[date]) -> Waited:
        return allocations.lock_days(conn, restaurant_id, days, self.timeout_ms)


@dataclass(frozen=True, slots=True)
class Context:
    database: Transactions
    venues: VenueStates
    secret: str
    clock: Now = utc_now
    day_lock: DayLock = field(default_factory=AdvisoryDayLock)
    forecasts: Forecasts = field(default_factory=Forecasts)
    limits: DayLimits = field(default_factory=DayLimits)
