"""Per-client rate limiting of the public endpoints: a token bucket per client address.

Each worker process keeps its own buckets, so with N workers behind a load balancer a
client gets up to N times the limit; put a shared limiter in front for a strict one.
Requests with a staff or admin key are never limited. A key that is refused costs the
client as a public request does, and counts in a second bucket of its own: a client whose
keys were refused that often has no key looked up until it refills.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

MAX_CLIENTS = 100_000  # buckets kept before the full (idle) ones are dropped


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> int | None:
        """None when ``client`` may go on (a request is taken from its allowance); else the
        seconds to wait before it may."""
        now = self.clock()
        with self._lock:
            tokens = self._tokens(client, now)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                return self._wait(tokens)
            self._buckets[client] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_CLIENTS:
                self._forget_idle(now)
            return None

    def waiting(self, client: str) -> int | None:
        """As ``check``, but nothing is taken from the allowance."""
        with self._lock:
            tokens = self._tokens(client, self.clock())
        return self._wait(tokens) if tokens < 1.0 else None

    def _tokens(self, client: str, now: float) -> float:
        tokens, seen = self._buckets.get(client, (self.capacity, now))
        return min(self.capacity, tokens + (now - seen) * self.refill_per_second)

    def _wait(self, tokens: float) -> int:
        return max(1, math.ceil((1.0 - tokens) / self.refill_per_second))

    def _forget_idle(self, now: float) -> None:
        full_after = self.capacity / self.refill_per_second
        self._buckets = {
            client: state for client, state in self._buckets.items() if now - state[1] < full_after
        }
