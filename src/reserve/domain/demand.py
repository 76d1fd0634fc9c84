"""Demand: every booking request a venue receives, whatever its answer, and the forecast
learned from them.

A forecast says how many requests a day of the venue usually brings, for each kind of
party (the local time asked and the party size). It is learned from complete past days
only: the service dates of the last ``weeks`` weeks before today. When at least
``min_days`` of those days fall on the weekday being forecast, only they are used; while
there are fewer, every day of the window is, since a little history of the wrong weekday
says more than none. Without any history there is no forecast, and the allocator never
turns a party away while a table is free.

During the day, the requests already seen for it are taken off: ``Forecast.remaining``
scales every kind by the share of the day's usual requests not seen yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum

from reserve.domain.errors import (
    NoAvailability,
    OutsideServiceHours,
    PartyTooLarge,
    TooFarAhead,
    TooLate,
)

WEEKS = 8
MIN_DAYS = 3

Kind = tuple[time, int]  # the local time asked and the party size

# The refusals that say the start is not offered to that party at all.
NOT_OFFERED = (OutsideServiceHours, TooLate, TooFarAhead, PartyTooLarge)


class Outcome(StrEnum):
    """What the venue answered a request."""

    CONFIRMED = "confirmed"
    PENDING = "pending"
    HELD = "held"
    FULL = "full"
    PACED = "paced"
    DECLINED = "declined"
    NOT_OFFERED = "not_offered"


def refusal_outcome(error: Exception) -> Outcome | None:
    """The outcome a refused request is recorded with; None for a refusal that is not an
    answer to the request (malformed input, an expired hold, a busy venue...)."""
    if isinstance(error, NoAvailability):
        return Outcome(error.reason)
    if isinstance(error, NOT_OFFERED):
        return Outcome.NOT_OFFERED
    return None


@dataclass(frozen=True, slots=True)
class Asked:
    """One recorded request, as learning needs it."""

    service_date: date
    local_time: time
    party_size: int


@dataclass(frozen=True, slots=True)
class Forecast:
    """The requests a day usually brings.

    ``per_kind``: for each (local time asked, party size), the mean requests a day;
    ``requests``: their sum; ``days``: the history days it was learned from;
    ``same_weekday``: whether those were days of the forecast day's weekday (or, while
    there were too few, every day of the window)."""

    per_kind: Mapping[Kind, float]
    requests: float
    days: int
    same_weekday: bool

    def share_remaining(self, seen: int) -> float:
        """The share of the day's usual requests still to come once ``seen`` were."""
        if self.requests <= 0:
            return 0.0
        return max(0.0, 1.0 - seen / self.requests)

    def remaining(self, seen: int) -> dict[Kind, float]:
        """The requests still expected for each kind once ``seen`` were made."""
        share = self.share_remaining(seen)
        return {kind: count * share for kind, count in self.per_kind.items()}


def learn(
    history: Iterable[Asked],
    day: date,
    today: date,
    *,
    weeks: int = WEEKS,
    min_days: int = MIN_DAYS,
) -> Forecast | None:
    """The forecast for ``day`` from the requests recorded for service dates in
    ``[today - weeks, today)``; None when none was."""
    first = today - timedelta(weeks=weeks)
    by_day: dict[date, list[Asked]] = {}
    for asked in history:
        if first <= asked.service_date < today:
            by_day.setdefault(asked.service_date, []).append(asked)
    same = [d for d in by_day if d.weekday() == day.weekday()]
    same_weekday = len(same) >= min_days
    used = same if same_weekday else list(by_day)
    if not used:
        return None
    counts = Counter((a.local_time, a.party_size) for d in used for a in by_day[d])
    per_kind = {kind: n / len(used) for kind, n in sorted(counts.items())}
    return Forecast(
        per_kind=per_kind,
        requests=sum(counts.values()) / len(used),
        days=len(used),
        same_weekday=same_weekday,
    )
