"""Retention: idempotency records are kept 30 days, expired holds not at all, demand records
``RESERVE_DEMAND_RETENTION_DAYS`` (400 by default, so that the learned outlook can look a
year back to the same weekday).

Expired holds block nobody (the booking path ignores them and purges a venue's when it books),
but they stay in the table until something removes them; ``reserve prune`` and the server's
background pruner (every ``RESERVE_PRUNE_SECONDS``) do, for every restaurant at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reserve.config import DEMAND_RETENTION_DAYS
from reserve.db import prune as store
from reserve.db.database import Connection, Transactions

RESULTS_RETENTION = timedelta(days=30)
DEMAND_RETENTION = timedelta(days=DEMAND_RETENTION_DAYS)


@dataclass(frozen=True, slots=True)
class PruneResult:
    results_deleted: int
    holds_deleted: int
    demand_deleted: int = 0


def prune(
    database: Transactions,
    now: datetime,
    retention: timedelta = RESULTS_RETENTION,
    demand_retention: timedelta = DEMAND_RETENTION,
) -> PruneResult:
    """Delete confirmation results created more than ``retention`` before ``now``, holds
    expired by ``now`` and demand records received more than ``demand_retention`` before
    ``now``, in one unit of work."""
    if retention < timedelta(0) or demand_retention < timedelta(0):
        raise ValueError("retention cannot be negative")

    def work(conn: Connection) -> PruneResult:
        results, holds = store.prune(conn, now, now - retention)
        return PruneResult(results, holds, store.prune_demand(conn, now - demand_retention))

    return database.run(work)
