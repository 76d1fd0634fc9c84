"""Retention: idempotency records are kept 30 days, expired holds not at all.

Expired holds block nobody (the booking path ignores them and purges a venue's when it books),
but they stay in the table until something removes them; ``reserve prune`` and the server's
background pruner (every ``RESERVE_PRUNE_SECONDS``) do, for every restaurant at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reserve.db.database import Connection

RESULTS_RETENTION = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class PruneResult:
    results_deleted: int
    holds_deleted: int


def prune(conn: Connection, now: datetime, retention: timedelta = RESULTS_RETENTION) -> PruneResult:
    """Delete confirmation results created more than ``retention`` before ``now`` and holds
    expired by ``now`` (their allocations go with them), in the caller's transaction.

    Works on any connection, the application role's included: it runs through
    ``reserve_prune``, which deletes as the schema's owner."""
    if retention < timedelta(0):
        raise ValueError("retention cannot be negative")
    row = conn.execute(
        "SELECT results_deleted, holds_deleted FROM reserve_prune(%s, %s)",
        (now, now - retention),
    ).fetchone()
    assert row is not None  # the function always returns one row
    return PruneResult(int(row["results_deleted"]), int(row["holds_deleted"]))
