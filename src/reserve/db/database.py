"""Connections and units of work.

A unit of work is one transaction, and every use case gets its own the same way:
``database.run(work)`` calls ``work(conn)`` inside a transaction that commits when ``work``
returns and rolls back when it raises. ``run`` retries the transaction when PostgreSQL
asks for it (a deadlock, a serialisation failure, a random reference drawn twice), and
turns the driver's errors into the domain's (``reserve.domain.errors``), so nothing above
this package sees psycopg.

Two databases offer it:

- ``Database``, the pool that requests use. Its connections run as the application role,
  under row-level security: a transaction sees the rows of the restaurant it is scoped to
  (``scope_to_restaurant``) and no other's. A unit of work has a deadline: past it, its
  connection is broken from our side and it fails as ``DatabaseUnavailable``, so no request
  waits on a database that has stopped answering (``reserve.db.pool``).
- ``OperatorDatabase``, a connection per unit of work as the URL's own role (the schema's
  owner), for operators' commands: migrations, imports, keys, the integrity report.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol, TypeVar
from uuid import UUID

import psycopg
from psycopg import errors as pg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import PoolTimeout

from reserve import metrics
from reserve.config import Settings
from reserve.db import floor_changes
from reserve.db.pool import CONNECT_TIMEOUT_SECONDS, Deadlines, Pool
from reserve.db.urls import app_login, database_url
from reserve.domain.errors import (
    Busy,
    DatabaseUnavailable,
    NoAvailability,
    ReserveError,
    Unstorable,
)

log = logging.getLogger("reserve.db")

ATTEMPTS = 3
STATEMENT_TIMEOUT_MS = 5_000
IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000
# A unit of work's deadline beyond the statement timeout, unless given: the server's own
# timeout (which keeps the connection) comes first whenever the server can still keep it.
DEADLINE_MARGIN_SECONDS = 1.0

Connection = psycopg.Connection[dict[str, Any]]
T = TypeVar("T")
Work = Callable[[Connection], T]


def connect(url: str, *, autocommit: bool = False) -> Connection:
    """A connection with the rights of ``url``'s role, for migrations and operators' commands."""
    return psycopg.connect(url, autocommit=autocommit, row_factory=dict_row)


def scope_to_restaurant(conn: Connection, restaurant_id: UUID | None) -> None:
    """Make the current transaction see only ``restaurant_id``'s rows (or none for None)."""
    value = "" if restaurant_id is None else str(restaurant_id)
    conn.execute("SELECT set_config('reserve.restaurant_id', %s, true)", (value,))


class Transactions(Protocol):
    """Where a use case gets its unit of work."""

    def run(self, work: Work[T], *, pipeline: bool = False) -> T: ...


class _Units:
    """``run`` over a subclass's ``_connection``; what a unit of work changed on a venue's
    floor goes to ``_floor_changed`` once it has committed (``reserve.db.floor_changes``)."""

    def _connection(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _floor_changed(self, changes: set[str]) -> None:
        raise NotImplementedError

    @contextmanager
    def transaction(
        self,
        restaurant_id: UUID | None = None,
        *,
        pipeline: bool = False,
        changes: set[str] | None = None,
    ) -> Iterator[Connection]:
        """One transaction, scoped to ``restaurant_id``; commits unless the block raises.

        Without ``restaurant_id`` it starts unscoped (seeing no tenant's rows) with no
        statement spent on it: the scope is set only transaction-locally, so none survives
        from an earlier transaction on a pooled connection.

        With ``pipeline``, statements are sent as they are issued and answers are waited
        for only when a result is read: BEGIN and the scope go out with the first read, and
        the writes after the last read with the COMMIT, in one round trip. An error then
        surfaces at the next read or at the commit, not at the statement that caused it.

        ``changes`` gathers what the floor's triggers said (heard by the time it commits).

        The driver's errors come out as they are (past a ``Database``'s deadline, as
        ``DatabaseUnavailable``); ``run`` is what use cases call."""
        with (
            self._connection() as conn,
            floor_changes.gathering(conn, set() if changes is None else changes),
            conn.pipeline() if pipeline else nullcontext(),
            conn.transaction(),
        ):
            if restaurant_id is not None:
                scope_to_restaurant(conn, restaurant_id)
            yield conn

    def run(self, work: Work[T], *, pipeline: bool = False) -> T:
        """``work(conn)`` in a transaction of its own, retried when PostgreSQL asks."""
        for attempt in range(1, ATTEMPTS + 1):
            changes: set[str] = set()
            try:
                with self.transaction(pipeline=pipeline, changes=changes) as conn:
                    done = work(conn)
                if changes:
                    self._floor_changed(changes)
                return done
            except (pg.DeadlockDetected, pg.SerializationFailure):
                metrics.CONFLICTS.labels("retried").inc()
                if attempt == ATTEMPTS:
                    raise Busy("the venue is busy; try again") from None
            except (psycopg.Error, PoolTimeout) as error:
                if _drew_a_taken_reference(error) and attempt < ATTEMPTS:
                    continue  # two bookings drew the same random reference: draw again
                translated = _translated(error)
                if translated is None:
                    raise
                raise translated from error
        raise AssertionError("unreachable")


def _drew_a_taken_reference(error: Exception) -> bool:
    return (
        isinstance(error, pg.UniqueViolation)
        and error.diag.constraint_name == "bookings_reference_key"
    )


def _translated(error: Exception) -> ReserveError | None:
    """The domain's name for a driver error; None for one nothing foresaw (a bug)."""
    if isinstance(error, pg.LockNotAvailable):
        metrics.CONFLICTS.labels("lock_timeout").inc()
        return Busy("the venue is busy; try again")
    if isinstance(error, pg.ExclusionViolation):
        # The constraint caught what serialisation should have: never a double booking.
        metrics.EXCLUSION_VIOLATIONS.inc()
        return NoAvailability("those tables were just taken; search again")
    if isinstance(error, psycopg.DataError):
        # Input PostgreSQL cannot store (a NUL character in text, say).
        return Unstorable("the request holds a value that cannot be stored")
    if isinstance(error, psycopg.IntegrityError):
        # A rule of the schema the checks above it missed: still the request's fault.
        rule = error.diag.constraint_name or "a rule of the schema"
        return Unstorable(f"the request breaks {rule}")
    if isinstance(error, psycopg.OperationalError | PoolTimeout):
        return DatabaseUnavailable(first_line(error))
    return None


def first_line(error: Exception) -> str:
    """What a person needs of a driver's error message: its first line."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class Database(_Units):
    """The pool the API and services use. Its connections log in as ``reserve_app`` (with
    ``password`` when the server asks for one), not as the role of ``url``: no
    ``RESET ROLE`` can step out of row-level security. Every statement is bounded by
    ``statement_timeout_ms``, and a transaction left idle by ``idle_timeout_ms``.

    A unit of work, from the moment it has its connection to its commit, is bounded by
    ``deadline`` seconds (by default the statement timeout and a second): past it the
    connection is shut from our side and the unit fails as ``DatabaseUnavailable``. That
    is the only bound that holds when the server is frozen or cut off; ``timeout`` bounds
    the wait for the connection."""

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 2,
        max_size: int = 10,
        timeout: float = 5.0,
        password: str | None = None,
        statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
        idle_timeout_ms: int = IDLE_IN_TRANSACTION_TIMEOUT_MS,
        deadline: float | None = None,
    ) -> None:
        self.url = url
        # How the pool's connections log in; the floor's listener logs in the same way.
        self.conninfo = app_login(
            url,
            password=password,
            statement_timeout_ms=statement_timeout_ms,
            idle_in_transaction_timeout_ms=idle_timeout_ms,
        )
        self.deadline = (
            statement_timeout_ms / 1000 + DEADLINE_MARGIN_SECONDS if deadline is None else deadline
        )
        self.deadlines = Deadlines()
        self.notifier = floor_changes.Notifier(self.conninfo)
        self._committed: list[Callable[[set[str]], None]] = []
        # ``timeout`` bounds the wait for a connection: a request fails fast with 503 when
        # the database is away instead of hanging (at once once the pool knows it is away).
        self.pool = Pool(
            make_conninfo(self.conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS),
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            kwargs={"row_factory": dict_row},
            open=False,
            name="reserve",
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        password = settings.app_password
        return cls(
            database_url(settings),
            password=None if password is None else password.get_secret_value(),
            statement_timeout_ms=settings.statement_timeout_ms,
            idle_timeout_ms=settings.idle_in_transaction_timeout_ms,
            deadline=None
            if settings.request_deadline_ms is None
            else settings.request_deadline_ms / 1000,
        )

    def open(self, *, wait: bool = True, timeout: float = 10.0) -> None:
        self.pool.open(wait=wait, timeout=timeout)
        self.notifier.start()

    def close(self) -> None:
        self.notifier.stop()
        self.pool.close()
        self.deadlines.stop()

    def on_commit(self, listener: Callable[[set[str]], None]) -> None:
        """Have ``listener`` told of each unit of work's floor changes once it commits (in
        the thread that ran it: it must return at once)."""
        self._committed.append(listener)

    def _floor_changed(self, changes: set[str]) -> None:
        self.notifier.publish(changes)
        for listener in self._committed:
            listener(changes)

    @property
    def max_size(self) -> int:
        return self.pool.max_size

    def schema_revision(self, timeout: float) -> str | None:
        """The migration the database is at (None before the first), waiting at most
        ``timeout`` seconds in all; ``DatabaseUnavailable`` when there is no answer."""
        try:
            with self._connection(timeout) as conn:
                row = conn.execute("SELECT reserve_schema_version() AS revision").fetchone()
        except pg.UndefinedFunction:  # the first migration creates the function
            return None
        except (psycopg.Error, PoolTimeout) as error:
            raise DatabaseUnavailable(type(error).__name__) from error
        return None if row is None else row["revision"]

    @contextmanager
    def _connection(self, seconds: float | None = None) -> Iterator[Connection]:
        """A pooled connection, waited for at most ``seconds`` (the pool's timeout by
        default), and held for at most ``seconds`` (the deadline by default)."""
        wait = self.pool.timeout if seconds is None else seconds
        seconds = self.deadline if seconds is None else seconds
        # The deadline runs from when the connection is had: the wait for one is the pool's
        # to bound, so a database busy but well costs no connection.
        with (
            self.pool.connection(timeout=wait) as conn,
            self.deadlines.watch(conn, time.monotonic() + seconds) as watch,
        ):
            try:
                yield conn
            except psycopg.Error as error:
                if not watch.expired:
                    raise
                # The statement or the commit may yet land when the server wakes: for the
                # client it is not done, and its retry (same Idempotency-Key) says which.
                raise DatabaseUnavailable(
                    f"no answer from the database within {seconds:.1f} s"
                ) from error


class OperatorDatabase(_Units):
    """A connection per unit of work as the URL's own role, for operators' commands; what
    a command changed on a floor is sent as it commits."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _floor_changed(self, changes: set[str]) -> None:
        try:
            with connect(self.url) as conn:
                floor_changes.notify(conn, changes)
        except psycopg.Error as error:  # done all the same: the stands catch up as they refresh
            log.warning("could not tell the host stands of a change: %s", first_line(error))

    @classmethod
    def from_settings(cls, settings: Settings) -> OperatorDatabase:
        return cls(database_url(settings))

    def _connection(self) -> AbstractContextManager[Connection]:
        # Hearing the floor triggers' notices, whatever the server sends clients by default.
        options = conninfo_to_dict(self.url).get("options") or ""
        return connect(make_conninfo(self.url, options=f"{options} -c client_min_messages=notice"))
