"""Retention in the database: old idempotency records, expired holds and old demand records,
every restaurant at once."""

from __future__ import annotations

from datetime import datetime

from reserve.db.database import Connection


def prune(conn: Connection, now: datetime, results_before: datetime) -> tuple[int, int]:
    """Delete confirmation results created before ``results_before`` and holds expired by
    ``now`` (their allocations go with them): how many of each.

    Works on any connection, the application role's included: it runs through
    ``reserve_prune``, which deletes as the schema's owner."""
    row = conn.execute(
        "SELECT results_deleted, holds_deleted FROM reserve_prune(%s, %s)",
        (now, results_before),
    ).fetchone()
    assert row is not None  # the function always returns one row
    return int(row["results_deleted"]), int(row["holds_deleted"])


def prune_demand(conn: Connection, received_before: datetime) -> int:
    """Delete the demand records received before ``received_before``: how many.

    Like ``prune``, on any connection, through ``reserve_prune_demand``."""
    row = conn.execute(
        "SELECT reserve_prune_demand(%s) AS demand_deleted", (received_before,)
    ).fetchone()
    assert row is not None  # the function always returns one row
    return int(row["demand_deleted"])
