"""Telling the host stands that a venue's day changed, after the change has committed.

The triggers on bookings, holds and allocations say what a statement changed as a NOTICE
(``reserve_floor <restaurant id> <YYYY-MM-DD>``), which reaches the client with the
statement's answer: no round trip, and nothing in the transaction that would make its
commit wait for other notifying commits. A unit of work gathers those it hears
(``gathering``) and, once it has committed, hands them on: a process that serves requests
to its ``Notifier``, which sends them on a connection of its own, at most one batch every
``BATCH_SECONDS``; an operator's command at once (``notify``). A unit of work that rolls back
hands nothing on. The listeners (``reserve.db.notifications``) hear them as they hear the
triggers of the tables that change seldom, which still notify themselves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.errors import Diagnostic

log = logging.getLogger("reserve.db.floor_changes")

CHANNEL = "reserve_floor"
_SAID = CHANNEL + " "
BATCH_SECONDS = 0.05  # a change waits at most this long, and a burst costs one commit
RETRY_SECONDS = 1.0
_SEND = f"SELECT pg_notify('{CHANNEL}', payload) FROM unnest(%s::text[]) AS payload"


@contextmanager
def gathering(conn: psycopg.Connection[Any], changes: set[str]) -> Iterator[None]:
    """Add to ``changes`` what the triggers say while the block runs on ``conn``."""

    def heard(diagnostic: Diagnostic) -> None:
        said = diagnostic.message_primary
        if said is not None and said.startswith(_SAID):
            changes.add(said.removeprefix(_SAID))

    conn.add_notice_handler(heard)
    try:
        yield
    finally:
        conn.remove_notice_handler(heard)


def notify(conn: psycopg.Connection[Any], changes: Iterable[str]) -> None:
    """Send ``changes`` now, in a transaction of their own on ``conn``."""
    with conn.transaction():
        conn.execute(_SEND, (sorted(changes),))


class Notifier:
    """Sends the changes committed in this process, on one connection of its own
    (``conninfo``), in a thread: a change at once, and those that come within
    ``BATCH_SECONDS`` of a send together, each once. When the database is
    away the changes wait, and go when it is back; the stands refresh then anyway."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._waiting: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="floor-notifier", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Send what waits (if the database answers), then stop."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def publish(self, changes: Iterable[str]) -> None:
        if self._thread is None:  # stopped (a unit of work that ended after the app did)
            self._send_now(set(changes))
            return
        with self._lock:
            self._waiting.update(changes)
        self._wake.set()

    def _send_now(self, changes: set[str]) -> None:
        try:
            with psycopg.connect(self.conninfo, connect_timeout=2) as conn:
                notify(conn, changes)
        except psycopg.Error as error:
            log.warning("cannot send floor changes: %s", str(error).strip())

    def _take(self) -> set[str]:
        with self._lock:
            taken, self._waiting = self._waiting, set()
        return taken

    def _run(self) -> None:
        conn: psycopg.Connection[Any] | None = None
        failing = False
        while not self._stopping.is_set() or self._waiting:
            self._wake.wait()
            self._wake.clear()
            changes = self._take()
            if not changes:
                continue
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.conninfo, connect_timeout=2)
                notify(conn, changes)
                if failing:
                    log.info("floor changes are sent again")
                failing = False
                # A change goes at once; what comes in the next moment goes together after
                # it, so a burst of bookings costs one notifying commit a batch.
                self._stopping.wait(BATCH_SECONDS)
            except psycopg.Error as error:
                if not failing:
                    log.warning("cannot send floor changes for now: %s", str(error).strip())
                failing = True
                if conn is not None:
                    conn.close()
                conn = None
                self.publish(changes)  # they go when the database is back
                if self._stopping.wait(RETRY_SECONDS):
                    break
        if conn is not None:
            conn.close()
