"""The database's figures for the metrics, and the session lock that lets one process at a
time run the scheduled integrity pass, each on a connection of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

from reserve.db.database import first_line
from reserve.db.pool import closed_by_server
from reserve.domain.errors import DatabaseUnavailable

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
    ``CONNECT_TIMEOUT_SECONDS`` and ``STATEMENT_TIMEOUT_MS``; ``DatabaseUnavailable`` with
    the driver's first line when there is no answer."""
    options = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
    login = make_conninfo(conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        with psycopg.connect(login, options=options, autocommit=True, row_factory=dict_row) as conn:
            row = conn.execute("SELECT * FROM reserve_observe()").fetchone()
    except psycopg.Error as error:
        raise DatabaseUnavailable(first_line(error)) from error
    assert row is not None  # the function always returns one row
    return Figures(**row)


def with_statement_timeout(url: str, milliseconds: int) -> str:
    """``url`` with every statement of its sessions bounded by ``milliseconds``."""
    options = conninfo_to_dict(url).get("options") or ""
    return make_conninfo(url, options=f"{options} -c statement_timeout={milliseconds}".strip())


class SessionLock:
    """A session-level advisory lock named ``name``, held on a connection kept for it: held
    until ``release``, or until the connection is lost (the process gone, the server
    restarted), when whoever asks next may take it."""

    def __init__(self, url: str, name: str) -> None:
        self._url = url
        self._name = name
        self._conn: psycopg.Connection[dict[str, Any]] | None = None

    def held(self) -> bool:
        """Keep the lock, or try to take it; False while another session has it,
        ``DatabaseUnavailable`` when the database does not answer."""
        if self._conn is not None:
            if not closed_by_server(self._conn):
                return True
            self.release()
        try:
            conn = psycopg.connect(
                self._url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                row_factory=dict_row,
            )
            row = conn.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 0)) AS locked", (self._name,)
            ).fetchone()
        except psycopg.Error as error:
            raise DatabaseUnavailable(first_line(error)) from error
        if row is not None and row["locked"]:
            self._conn = conn
            return True
        conn.close()
        return False

    def release(self) -> None:
        """Give the lock up (closing its connection releases it)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
