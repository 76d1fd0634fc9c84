"""Every Prometheus metric of the service, declared in one place (docs/operations.md lists
them, with the alerts built on them).

Names start with ``reserve_``, counters end in ``_total`` and durations in ``_seconds``;
label names are fixed here, and every label value a counter can take is created at zero, so
a rate or an increase sees its first event.

With several workers (``reserve serve --workers N``) each worker writes its values to files
in ``PROMETHEUS_MULTIPROC_DIR`` (the client library's multiprocess mode), and whichever
worker is scraped reads them all: counters and histograms add up over every worker that ever
ran, those replaced included; a gauge says how it combines (``multiprocess_mode``). A single
process keeps its values in memory and also exports its own CPU, memory and open files.

What the database holds (holds live, pending bookings, confirmation results) is read when
``/metrics`` is scraped (``reserve.services.observation``), not kept here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

PREFIX = "reserve_"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """Where the workers' values are kept; None for a single process keeping its own."""
    return os.environ.get(MULTIPROCESS_DIR) or None


if multiprocess_dir() is None:  # per process: with several it would describe only one
    ProcessCollector(namespace="reserve")

# --- requests ------------------------------------------------------------------------------

REQUEST_SECONDS = Histogram(
    "reserve_request_seconds",
    "HTTP request latency by route template, method and status class.",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
RATE_LIMITED = Counter(
    "reserve_rate_limited_total",
    "Public requests refused for exceeding the per-client rate limit.",
)

# --- bookings and allocation -----------------------------------------------------------------

BOOKING_OUTCOMES = ("confirmed", "pending", "cancelled", "no-availability", "hold-expired")
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
DAY_LOCK_WAIT_SECONDS = Histogram(
    "reserve_day_lock_wait_seconds",
    "Time a use case that allocates waited for its venue's day lock, as PostgreSQL measured it.",
    buckets=(
        0.0001,
        0.00025,
        0.0005,
        0.001,
        0.0025,
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1.0,
        2.5,
        5.0,
    ),
)
TABLES_MOVED = Counter(
    "reserve_tables_moved_total",
    "Bookings the allocator moved to other tables (pooling) to let a new party in.",
)
LIMITS_SOLVE_SECONDS = Histogram(
    "reserve_booking_limits_solve_seconds",
    "Time one solve of a venue-day's booking limits took (the linear program), off the "
    "request path.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
CONFLICT_KINDS = ("retried", "lock_timeout")
CONFLICTS = Counter(
    "reserve_allocation_conflicts_total",
    "Allocation conflicts: deadlocks or serialisation failures retried, and day locks that "
    "timed out (answered 409 busy).",
    ["kind"],
)
EXCLUSION_VIOLATIONS = Counter(
    "reserve_exclusion_violations_total",
    "Writes the exclusion constraint allocations_no_overlap refused: two allocations of one "
    "table overlapping, which the day lock should make impossible. Must stay at zero.",
)
HOLD_EVENTS = ("placed", "extended", "confirmed", "released", "expired")
HOLDS = Counter(
    "reserve_holds_total",
    "Holds by event: placed, extended, confirmed, released, expired.",
    ["event"],
)
PENDING_CONFIRMED = Counter(
    "reserve_pending_confirmed_total",
    "Pending bookings the background allocator seated.",
)

# --- confirmation results (idempotency) ------------------------------------------------------

IDEMPOTENT_REPLAYS = Counter(
    "reserve_idempotent_replays_total",
    "Booking requests answered from a stored result of the same Idempotency-Key.",
)
RESULTS_STORED = Counter(
    "reserve_confirmation_results_stored_total",
    "Booking results stored for their Idempotency-Key (one per booking made).",
)

# --- the connection pool ----------------------------------------------------------------------

POOL_CONNECTIONS = Gauge(
    "reserve_pool_connections",
    "Connections of the workers' request pools: in use by a request, or idle.",
    ["state"],
    multiprocess_mode="livesum",
)
POOL_MAX = Gauge(
    "reserve_pool_max_connections",
    "The most connections the workers' request pools may open, together.",
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "reserve_pool_waiting",
    "Requests waiting for a database connection: queued for a worker thread (a worker runs "
    "only as many as its pool has connections) or waiting in the pool.",
    multiprocess_mode="livesum",
)
POOL_TIMEOUTS = Counter(
    "reserve_pool_timeouts_total",
    "Requests answered 503 because no connection was free within the pool's timeout.",
)

# --- background work ---------------------------------------------------------------------------

PRUNE_DELETED = Counter(
    "reserve_prune_deleted_total",
    "Rows the retention pruner deleted: confirmation results past 30 days, expired holds, "
    "demand records past RESERVE_DEMAND_RETENTION_DAYS.",
    ["kind"],
)
PRUNE_LAST_SUCCESS = Gauge(
    "reserve_prune_last_success_timestamp_seconds",
    "When the retention pruner last finished a round (Unix time).",
    multiprocess_mode="mostrecent",
)
INTEGRITY_VIOLATIONS = Gauge(
    "reserve_integrity_violations",
    "Violations the last scheduled integrity pass found, by check (reserve integrity).",
    ["check"],
    multiprocess_mode="mostrecent",
)
INTEGRITY_LAST_SUCCESS = Gauge(
    "reserve_integrity_last_success_timestamp_seconds",
    "When a scheduled integrity pass last finished (Unix time).",
    multiprocess_mode="mostrecent",
)
INTEGRITY_DURATION = Gauge(
    "reserve_integrity_duration_seconds",
    "How long the last scheduled integrity pass took.",
    multiprocess_mode="mostrecent",
)
INTEGRITY_FAILURES = Counter(
    "reserve_integrity_failures_total",
    "Scheduled integrity passes that could not finish (database away, statement timeout).",
)

# --- the processes -----------------------------------------------------------------------------

UP = Gauge("reserve_up", "1 while the service runs.", multiprocess_mode="livemax")
WORKERS = Gauge(
    "reserve_workers", "Worker processes serving requests.", multiprocess_mode="livesum"
)

for _outcome in BOOKING_OUTCOMES:
    BOOKINGS.labels(_outcome)
for _kind in CONFLICT_KINDS:
    CONFLICTS.labels(_kind)
for _event in HOLD_EVENTS:
    HOLDS.labels(_event)
for _kind in ("confirmation_results", "holds", "demand"):
    PRUNE_DELETED.labels(_kind)
for _state in ("in_use", "idle"):
    POOL_CONNECTIONS.labels(_state)


class _Prefixed:
    """The default registry seen through a filter: only metrics named ``reserve_...``."""

    def collect(self) -> Iterable[Metric]:
        return (metric for metric in REGISTRY.collect() if metric.name.startswith(PREFIX))


def exposition(*extra: Collector) -> bytes:
    """The Prometheus text exposition of every ``reserve_...`` metric: this process's, or
    every worker's when they share a multiprocess directory, then those of ``extra``."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir() is None:
        registry.register(_Prefixed())
    else:
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)


def worker_stopped(pid: int) -> None:
    """Forget the live gauges of a worker that has stopped (its counters stay counted)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
