"""What a server process does besides answering requests, each on its own schedule:

- retry pending bookings (every ``RESERVE_PENDING_RETRY_SECONDS``);
- prune confirmation results past the retention, expired holds and demand records past
  ``RESERVE_DEMAND_RETENTION_DAYS`` (every ``RESERVE_PRUNE_SECONDS``);
- run the integrity report (every ``RESERVE_INTEGRITY_SECONDS``), one worker at a time, and
  export what it found (``reserve.services.observation``);
- copy the request pool's figures into the metrics every second.

Every loop outlives a bad round: the database away is said in one line (the pool says when
it is back), anything else is logged with its traceback, and the next round tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from anyio import to_thread

from reserve import metrics
from reserve.db.database import Database
from reserve.domain.errors import DatabaseUnavailable
from reserve.services.context import Context
from reserve.services.observation import IntegrityTurn, run_integrity_pass
from reserve.services.pending import retry_pending
from reserve.services.prune import DEMAND_RETENTION, RESULTS_RETENTION, prune

log = logging.getLogger("reserve.api")

POOL_SAMPLE_SECONDS = 1.0


class Background:
    """The loops of one process, each waiting its number of seconds between rounds: started
    with the app, stopped (and the integrity turn given up) when it stops."""

    def __init__(
        self,
        context: Context,
        database: Database,
        *,
        pending_seconds: float,
        prune_seconds: float,
        integrity_seconds: float,
        demand_retention: timedelta = DEMAND_RETENTION,
    ) -> None:
        self._turn = IntegrityTurn(database.url)
        self._rounds: list[tuple[float, str, Callable[[], Awaitable[None]]]] = [
            (pending_seconds, "retrying pending bookings", _retry(context)),
            (prune_seconds, "pruning", _prune(context, demand_retention)),
            # An expired hold is a fault once the pruner has had its chance at it.
            (
                integrity_seconds,
                "the integrity pass",
                _integrity(database, self._turn, prune_seconds),
            ),
        ]
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(_every(seconds, what, round_), name=what)
            for seconds, what, round_ in self._rounds
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await asyncio.to_thread(self._turn.close)


async def _every(seconds: float, what: str, round_: Callable[[], Awaitable[None]]) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await round_()
        except DatabaseUnavailable as away:  # said once by the pool; the next round tries again
            log.warning("%s waits: %s", what, away.detail)
        except Exception:  # the loop must outlive a bad round
            log.exception("%s failed", what)


def _retry(context: Context) -> Callable[[], Awaitable[None]]:
    async def round_() -> None:
        seated = await asyncio.to_thread(retry_pending, context)
        if seated:
            metrics.PENDING_CONFIRMED.inc(seated)
            log.info("seated %d pending bookings", seated)

    return round_


def _prune(context: Context, demand_retention: timedelta) -> Callable[[], Awaitable[None]]:
    async def round_() -> None:
        pruned = await asyncio.to_thread(
            prune, context.database, context.clock(), RESULTS_RETENTION, demand_retention
        )
        metrics.PRUNE_LAST_SUCCESS.set(time.time())
        metrics.PRUNE_DELETED.labels("confirmation_results").inc(pruned.results_deleted)
        metrics.PRUNE_DELETED.labels("holds").inc(pruned.holds_deleted)
        metrics.PRUNE_DELETED.labels("demand").inc(pruned.demand_deleted)
        if pruned.holds_deleted:
            metrics.HOLDS.labels("expired").inc(pruned.holds_deleted)
        if pruned.results_deleted or pruned.holds_deleted or pruned.demand_deleted:
            log.info(
                "pruned %d confirmation results, %d expired holds and %d demand records",
                pruned.results_deleted,
                pruned.holds_deleted,
                pruned.demand_deleted,
            )

    return round_


def _integrity(
    database: Database, turn: IntegrityTurn, hold_grace: float
) -> Callable[[], Awaitable[None]]:
    async def round_() -> None:
        try:
            await asyncio.to_thread(run_integrity_pass, database.url, turn, hold_grace)
        except Exception:
            metrics.INTEGRITY_FAILURES.inc()
            raise

    return round_


async def sample_pool(database: Database) -> None:
    """Copy the pool's connections in use, idle and waited for into the metrics, every
    ``POOL_SAMPLE_SECONDS``, until cancelled."""
    limiter = to_thread.current_default_thread_limiter()
    while True:
        try:
            stats = database.pool.get_stats()
            size, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
            metrics.POOL_CONNECTIONS.labels("in_use").set(size - idle)
            metrics.POOL_CONNECTIONS.labels("idle").set(idle)
            metrics.POOL_MAX.set(database.max_size)
            queued = limiter.statistics().tasks_waiting
            metrics.POOL_WAITING.set(queued + stats.get("requests_waiting", 0))
        except Exception:  # the loop must outlive a bad round
            log.exception("reading the pool's figures failed")
        await asyncio.sleep(POOL_SAMPLE_SECONDS)
