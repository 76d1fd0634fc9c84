"""Retention: idempotency records are kept 30 days, expired holds not at all.

Expired holds block nobody (the booking path ignores them and purges a venue's when it books),
but they stay in the table until something removes them; ``reserve prune`` and the server's
background pruner (every ``RESERVE_PRUNE_SECONDS``) do, for every restaurant at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reserve.db import prune as store
from reserve.db.database import Transactions

RESULTS_RETENTION = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class PruneResult:
    results_deleted: int
    holds_deleted: int


def prune(
    database: Transactions, now: datetime, retention: timedelta = RESULTS_RETENTION
) -> PruneResult:
    """Delete confirmation results created more than ``retention`` before ``now`` and holds
    expired by ``now``, in one unit of work."""
    if retention < timedelta(0):
        raise ValueError("retention cannot be negative")
    results, holds = database.run(lambda conn: store.prune(conn, now, now - retention))
    return PruneResult(results, holds)
