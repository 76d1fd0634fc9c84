"""Retention in the database: old idempotency records and expired holds, every restaurant
at once."""

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
