"""The process's cache of learned forecasts, safe to share between threads.

A forecast is learned from complete past days, which do not change during a day, so one is
kept per restaurant, forecast day and today, for ``TTL_SECONDS`` (a venue that had no
history is remembered too). The cache holds at most ``MAX_ENTRIES``; past that, the entry
stored longest ago goes first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from uuid import UUID

from reserve.domain.demand import Forecast

TTL_SECONDS = 3600.0
MAX_ENTRIES = 1024

Key = tuple[UUID, date, date]  # restaurant, the day forecast, today


class Forecasts:
    def __init__(
        self,
        *,
        ttl_seconds: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("the cache must hold at least one forecast")
        self._ttl = ttl_seconds
        self._max = max_entries
        self._monotonic = monotonic
        self._entries: OrderedDict[Key, tuple[float, Forecast | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> tuple[bool, Forecast | None]:
        """Whether a live forecast (None: no history) is kept for ``key``, and which."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False, None
            stored, forecast = entry
            if self._monotonic() - stored >= self._ttl:
                del self._entries[key]
                return False, None
            return True, forecast

    def put(self, key: Key, forecast: Forecast | None) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (self._monotonic(), forecast)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
