"""What the server observes for its metrics beyond its own counters: the database's figures,
read when ``/metrics`` is scraped, and the integrity report, run on a schedule by one worker
at a time.

``DatabaseFigures`` is a collector: each scrape reads ``reserve_observe()`` once on a
connection of its own (a few milliseconds), so the figures are as of the scrape whichever
worker answers it, and ``reserve_database_up`` says whether the database answered. An age
with nothing to age (no pending booking, no confirmation result) is left out rather than
exported as zero.

The integrity pass runs as the schema's owner, which the report needs to see every row.
Which worker runs it is settled by a session advisory lock on a connection the runner
keeps (``IntegrityTurn``): when it stops, or its connection breaks, the lock goes, and the
next worker to try takes it over. Its statements are bounded by
``INTEGRITY_STATEMENT_TIMEOUT_MS``; a pass cut short counts as a failure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import timedelta

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from reserve import metrics
from reserve.db.database import OperatorDatabase
from reserve.db.observation import Figures, SessionLock, figures, with_statement_timeout
from reserve.domain.errors import DatabaseUnavailable
from reserve.services.integrity import check_integrity

log = logging.getLogger("reserve.observation")

INTEGRITY_STATEMENT_TIMEOUT_MS = 60_000
INTEGRITY_LOCK = "reserve:integrity-pass"


class DatabaseFigures:
    """The database's figures as Prometheus metrics, read at each ``collect``."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._away_said = False

    def collect(self) -> Iterator[Metric]:
        began = time.perf_counter()
        try:
            found: Figures | None = figures(self._conninfo)
        except DatabaseUnavailable as away:
            if not self._away_said:
                log.warning("metrics cannot read the database: %s", away.detail)
                self._away_said = True
            found = None
        else:
            self._away_said = False
        yield _gauge("database_up", "1 when the database answered this scrape.", found is not None)
        yield _gauge(
            "database_read_seconds",
            "How long this scrape took to read the database's figures.",
            time.perf_counter() - began,
        )
        if found is None:
            return
        yield _gauge("holds_live", "Holds not yet expired.", found.holds_live)
        yield _gauge("pending_bookings", "Bookings waiting for staff to place them.", found.pending)
        if found.pending_oldest_age_seconds is not None:
            yield _gauge(
                "pending_oldest_age_seconds",
                "How long the oldest pending booking has waited.",
                found.pending_oldest_age_seconds,
            )
        if found.pending_next_start_seconds is not None:
            yield _gauge(
                "pending_next_start_seconds",
                "Seconds until the soonest pending booking starts (negative: it has started); "
                "only bookings not yet over count.",
                found.pending_next_start_seconds,
            )
        yield _gauge(
            "confirmation_results_rows",
            "Stored booking results (Idempotency-Key records): counted up to 100,000, "
            "PostgreSQL's estimate beyond.",
            found.results_rows,
        )
        yield _gauge(
            "confirmation_results_bytes",
            "Disk used by the stored booking results, indexes included.",
            found.results_bytes,
        )
        if found.results_oldest_age_seconds is not None:
            yield _gauge(
                "confirmation_results_oldest_age_seconds",
                "Age of the oldest stored booking result; retention keeps 30 days.",
                found.results_oldest_age_seconds,
            )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(metrics.PREFIX + name, documentation, value=float(value))


class IntegrityTurn:
    """Whether it is this process's turn to run the integrity pass: it is while it holds a
    session advisory lock, on a connection of its own that it keeps for that."""

    def __init__(self, url: str) -> None:
        self._lock = SessionLock(url, INTEGRITY_LOCK)

    def mine(self) -> bool:
        """Keep the turn, or try to take it; False while another process has it,
        ``DatabaseUnavailable`` when the database does not answer."""
        return self._lock.held()

    def close(self) -> None:
        """Give the turn up."""
        self._lock.release()


def run_integrity_pass(url: str, turn: IntegrityTurn, hold_grace: float) -> bool:
    """Run the integrity report over every restaurant if it is this process's turn, and
    export its violations by check; whether it ran. An expired hold counts once it has
    outlived ``hold_grace`` seconds (the pruner's interval)."""
    if not turn.mine():
        return False
    began = time.monotonic()
    bounded = OperatorDatabase(with_statement_timeout(url, INTEGRITY_STATEMENT_TIMEOUT_MS))
    report = check_integrity(bounded, hold_grace=timedelta(seconds=hold_grace))
    for check in report.checks:
        metrics.INTEGRITY_VIOLATIONS.labels(check.name).set(len(check.violations))
    metrics.INTEGRITY_DURATION.set(time.monotonic() - began)
    metrics.INTEGRITY_LAST_SUCCESS.set(time.time())
    if not report.ok:
        found = ", ".join(f"{c.name} {len(c.violations)}" for c in report.checks if not c.ok)
        log.error("the integrity pass found violations: %s (reserve integrity says which)", found)
    return True
