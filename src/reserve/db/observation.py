"""The database's figures for the metrics, read on a connection of their own."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

CONNECT_TIMEOUT_SECONDS = 2  # libpq's least
STATEMENT_TIMEOUT_MS = 2_000


@dataclass(frozen=True, slots=True)
class Figures:
    """Counts and ages over every restaurant; an age is None when there is nothing to age."""

    holds_live: int
    pending: int
    pending_oldest_age_seconds: float | None
    pending_next_start_seconds: float | None
    results_rows: int
    results_bytes: int
    results_oldest_age_seconds: float | None


def figures(conninfo: str) -> Figures:
    """``reserve_observe()`` on a new connection of ``conninfo`` (the application's login
    will do): a scrape must not wait for a pool that every request is using. Bounded by
    ``CONNECT_TIMEOUT_SECONDS`` and ``STATEMENT_TIMEOUT_MS``; the driver's error otherwise."""
    options = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
    login = make_conninfo(conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    with psycopg.connect(login, options=options, autocommit=True, row_factory=dict_row) as conn:
        row = conn.execute("SELECT * FROM reserve_observe()").fetchone()
    assert row is not None  # the function always returns one row
    return Figures(**row)
