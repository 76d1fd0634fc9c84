"""The request pool while the database is away, and the deadline of a unit of work.

psycopg_pool on its own recovers slowly and can hang:

- after a failed connection attempt it waits 1 s, then 2, 4, 8... before the next, so after
  a minute's outage the pool may come back many seconds after the server did;
- it hands out idle connections unchecked, and with a ``check`` callback it backs off
  between failed checks, so the dead connections an outage leaves cost seconds each;
- a statement sent to a server that is frozen (SIGSTOP) or cut off waits for ever: the server
  cannot time it out or answer a cancel request, and a Unix socket has no keepalive.

So ``Pool`` tries again every ``RECONNECT_SECONDS`` for as long as it takes, skips an idle
connection the server has closed (one that has something to read: an end of file, a closing
error) without a pause, and while the server does not let it connect it waits only
``AWAY_WAIT_SECONDS`` for a connection, so requests answer 503 at once instead of queueing.
``Deadlines`` shuts down the socket of a connection whose unit of work outlives its deadline:
the waiting thread then gets an error, and the pool throws the broken connection away.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout
from psycopg_pool.pool import AddConnection, MaintenanceTask

from reserve import metrics

log = logging.getLogger("reserve.db")

RECONNECT_SECONDS = 0.5
AWAY_WAIT_SECONDS = 0.2  # enough for a connection being made; requests do not queue
CONNECT_TIMEOUT_SECONDS = 2  # libpq's least; a frozen server holds a new connection this long
KEEP_TRYING_SECONDS = 24 * 3600.0

Connection = psycopg.Connection[dict[str, Any]]


class _QuietAttempts(logging.Filter):
    """Drops psycopg_pool's warning for each failed connection attempt (several a second
    while the database is away); ``Pool`` says once that it is away and once that it is back."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("error connecting in")


_QUIET = _QuietAttempts()


def closed_by_server(conn: Connection) -> bool:
    """Whether an idle connection is gone: closed, or with something to read, which on an
    idle connection is the server's goodbye (an end of file, or the error it sent before
    closing). Something else (a parameter's new value) passes the round trip it then gets."""
    if conn.closed:
        return True
    poll = select.poll()
    poll.register(conn.fileno(), select.POLLIN)
    if not poll.poll(0):
        return False
    try:
        ConnectionPool.check_connection(conn)
    except psycopg.Error:
        return True
    return False


class Pool(ConnectionPool[Connection]):
    """psycopg_pool's pool, recovering as the module says."""

    def __init__(self, conninfo: str, **options: Any) -> None:
        self.away_since: float | None = None  # when an attempt to connect first failed
        logging.getLogger("psycopg.pool").addFilter(_QUIET)
        super().__init__(
            conninfo,
            configure=self._connected,
            reconnect_timeout=KEEP_TRYING_SECONDS,
            **options,
        )

    def getconn(self, timeout: float | None = None) -> Connection:
        wait = self.timeout if timeout is None else timeout
        if self.away_since is not None:
            wait = min(wait, AWAY_WAIT_SECONDS)
        deadline = time.monotonic() + wait
        while True:
            try:
                conn = super().getconn(timeout=max(deadline - time.monotonic(), 0.001))
            except PoolTimeout:
                if self.away_since is None:  # not for want of a database: all were in use
                    metrics.POOL_TIMEOUTS.inc()
                raise
            if not closed_by_server(conn):
                return conn
            self.putconn(conn)  # broken: the pool discards it and connects anew
            # The server went away, or came back: either way a new connection is quick.
            deadline = min(deadline, time.monotonic() + AWAY_WAIT_SECONDS)

    def schedule_task(self, task: MaintenanceTask, delay: float) -> None:
        # Only a failed connection attempt schedules another one.
        if isinstance(task, AddConnection):
            delay = min(delay, RECONNECT_SECONDS)
            if self.away_since is None:
                self.away_since = time.monotonic()
                log.warning("cannot connect to the database; trying every %.1f s", delay)
        super().schedule_task(task, delay)

    def _connected(self, conn: Connection) -> None:
        since, self.away_since = self.away_since, None
        if since is not None:
            log.warning("connected to the database again after %.1f s", time.monotonic() - since)


class Watch:
    """One unit of work's deadline, and whether it passed."""

    def __init__(self, conn: Connection, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        # A descriptor of our own for the socket: shutting it down is safe whatever libpq
        # has done with its own meanwhile (closed it, and the number gone to another file).
        self._fd = os.dup(conn.fileno())

    def expire(self) -> None:
        self.expired = True
        sock = socket.socket(fileno=self._fd)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already gone
        finally:
            sock.detach()  # the descriptor stays ours, closed by ``close``

    def close(self) -> None:
        os.close(self._fd)


class Deadlines:
    """A thread that breaks the connection of any unit of work still waiting on the database
    at its deadline, from outside: a frozen server answers neither the statement nor a
    cancel request, so nothing else ends the wait."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._watches: set[Watch] = set()
        self._wake_at = float("inf")
        self._thread: threading.Thread | None = None
        self._stopping = False

    @contextmanager
    def watch(self, conn: Connection, deadline: float) -> Iterator[Watch]:
        watch = Watch(conn, deadline)
        with self._changed:
            self._watches.add(watch)
            if self._thread is None:
                self._stopping = False
                self._thread = threading.Thread(
                    target=self._run, name="reserve deadlines", daemon=True
                )
                self._thread.start()
            elif deadline < self._wake_at:
                self._changed.notify()
        try:
            yield watch
        finally:
            with self._changed:
                self._watches.discard(watch)
            watch.close()

    def stop(self) -> None:
        with self._changed:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._changed.notify()
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        with self._changed:
            while not self._stopping:
                now = time.monotonic()
                for watch in [watch for watch in self._watches if watch.deadline <= now]:
                    self._watches.discard(watch)
                    watch.expire()
                self._wake_at = min((watch.deadline for watch in self._watches), default=now + 60)
                self._changed.wait(self._wake_at - now)
