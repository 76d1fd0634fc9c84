"""How long a level's requests queued for the day's lock, as the server measured it: the
``reserve_day_lock_wait_seconds`` histogram of its ``GET /metrics``, read before and after
the level. The histogram adds up every worker and every use case that allocates, so the
difference is the level's own only while nothing else books on the server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

DAY_LOCK_WAIT = "reserve_day_lock_wait_seconds"


class MetricsUnreadable(Exception):
    """The server's /metrics could not be read, or holds no day-lock histogram."""


@dataclass(frozen=True, slots=True)
class Reading:
    """The histogram's running totals at one moment."""

    seconds: float
    waits: float


@dataclass(frozen=True, slots=True)
class LockWait:
    """What a level waited for the day's lock; ``error`` says why it is not known."""

    seconds: float | None = None
    waits: int | None = None
    error: str | None = None

    @classmethod
    def between(cls, before: Reading | str, after: Reading | str) -> LockWait:
        """The wait from one reading to the next (a string is why a reading failed)."""
        if isinstance(before, str):
            return cls(error=before)
        if isinstance(after, str):
            return cls(error=after)
        if after.waits < before.waits:
            return cls(error="the server restarted during the level (its /metrics went back)")
        return cls(after.seconds - before.seconds, round(after.waits - before.waits))

    @property
    def mean_ms(self) -> float | None:
        if self.seconds is None or not self.waits:
            return None
        return round(self.seconds * 1000 / self.waits, 3)

    def share_of(self, submit_ms: float) -> float | None:
        """The wait as a share of ``submit_ms``, the time the level's requests took to be
        answered, added up."""
        if self.seconds is None or submit_ms <= 0:
            return None
        return round(min(self.seconds * 1000 / submit_ms, 1.0), 4)

    def to_json(self, submit_ms: float) -> dict[str, Any]:
        return {
            "measured": self.error is None,
            "source": f"GET /metrics {DAY_LOCK_WAIT}, before and after the level",
            "seconds": None if self.seconds is None else round(self.seconds, 4),
            "waits": self.waits,
            "mean_ms": self.mean_ms,
            "share_of_submit_time": self.share_of(submit_ms),
            "error": self.error,
        }


async def read_lock_wait(client: httpx.AsyncClient) -> Reading | str:
    """The day-lock histogram's totals now, or why they cannot be read."""
    try:
        response = await client.get("/metrics")
    except httpx.HTTPError as error:
        return f"GET /metrics failed: {error or type(error).__name__}"
    if response.status_code != 200:
        return f"GET /metrics answered {response.status_code}"
    try:
        return parse_lock_wait(response.text)
    except MetricsUnreadable as error:
        return str(error)


def parse_lock_wait(exposition: str) -> Reading:
    """The day-lock histogram's ``_sum`` and ``_count`` in a Prometheus text exposition."""
    totals: dict[str, float] = {}
    try:
        for family in text_string_to_metric_families(exposition):
            if family.name == DAY_LOCK_WAIT:
                for sample in family.samples:
                    totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    except ValueError as error:
        raise MetricsUnreadable(f"GET /metrics is not a Prometheus exposition ({error})") from None
    if f"{DAY_LOCK_WAIT}_sum" not in totals or f"{DAY_LOCK_WAIT}_count" not in totals:
        raise MetricsUnreadable(f"the server's /metrics has no {DAY_LOCK_WAIT}")
    return Reading(totals[f"{DAY_LOCK_WAIT}_sum"], totals[f"{DAY_LOCK_WAIT}_count"])
