"""Every Prometheus metric of the service, declared in one place.

Names start with ``reserve_``, counters end in ``_total`` and durations in ``_seconds``;
label names are fixed here. Each worker process keeps its own values.

``exposition()`` is what ``/metrics`` serves: these metrics and the process's own figures
(CPU, memory, open files) under the same prefix, and none of the client library's
unprefixed defaults.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from prometheus_client.metrics_core import Metric

PREFIX = "reserve_"

ProcessCollector(namespace="reserve")

BOOKINGS = Counter(
    "reserve_booking_outcomes_total",
    "Booking requests by outcome: confirmed, pending, cancelled, no-availability, hold-expired.",
    ["outcome"],
)
ALLOCATION_SECONDS = Histogram(
    "reserve_allocation_seconds",
    "Time the allocator took to choose tables for one request.",
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.2),
)
REQUEST_SECONDS = Histogram(
    "reserve_request_seconds",
    "HTTP request latency by route template, method and status class.",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
CONFLICTS = Counter(
    "reserve_allocation_conflicts_total",
    "Allocation conflicts: retried deadlocks or serialisation failures, lock timeouts, and "
    "exclusion-constraint violations (which serialisation should make impossible).",
    ["kind"],
)
HOLDS = Counter(
    "reserve_holds_total",
    "Holds by event: placed, extended, confirmed, released, expired.",
    ["event"],
)
IDEMPOTENT_REPLAYS = Counter(
    "reserve_idempotent_replays_total",
    "Booking requests answered from a stored result of the same Idempotency-Key.",
)
PENDING_CONFIRMED = Counter(
    "reserve_pending_confirmed_total",
    "Pending bookings the background allocator seated.",
)
RATE_LIMITED = Counter(
    "reserve_rate_limited_total",
    "Public requests refused for exceeding the per-client rate limit.",
)
UP = Gauge("reserve_up", "1 while the service runs.")


class _Prefixed:
    """The default registry seen through a filter: only metrics named ``reserve_...``."""

    def collect(self) -> Iterable[Metric]:
        return (metric for metric in REGISTRY.collect() if metric.name.startswith(PREFIX))


def exposition() -> bytes:
    """The Prometheus text exposition of every ``reserve_...`` metric."""
    return generate_latest(_Prefixed())
