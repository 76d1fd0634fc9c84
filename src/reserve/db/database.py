"""Connections: a pool for requests, running as the application role under row-level
security, and plain connections for operators' commands.

A unit of work is one transaction. ``Database.transaction(restaurant_id)`` opens it, scopes
it to one restaurant (so row-level security shows that restaurant's rows and no other's)
and commits when the block ends normally; leaving the block by an exception rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from reserve.config import Settings
from reserve.db.urls import database_url

APP_ROLE = "reserve_app"

Connection = psycopg.Connection[dict[str, Any]]


def connect(url: str, *, autocommit: bool = False) -> Connection:
    """A connection with the rights of ``url``'s role, for migrations and operators' commands."""
    return psycopg.connect(url, autocommit=autocommit, row_factory=dict_row)


def scope_to_restaurant(conn: Connection, restaurant_id: UUID | None) -> None:
    """Make the current transaction see only ``restaurant_id``'s rows (or none for None)."""
    value = "" if restaurant_id is None else str(restaurant_id)
    conn.execute("SELECT set_config('reserve.restaurant_id', %s, true)", (value,))


def _as_app_role(conn: psycopg.Connection[Any]) -> None:
    conn.execute(f"SET ROLE {APP_ROLE}")
    conn.commit()


class Database:
    """The pool the API and services use; every connection runs as ``reserve_app``."""

    def __init__(
        self, url: str, *, min_size: int = 2, max_size: int = 10, timeout: float = 5.0
    ) -> None:
        self.url = url
        # ``timeout`` bounds the wait for a connection: a request fails fast with 503 when
        # the database is away instead of hanging.
        self.pool: ConnectionPool[Connection] = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            kwargs={"row_factory": dict_row},
            configure=_as_app_role,
            open=False,
            name="reserve",
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(database_url(settings))

    def open(self, *, wait: bool = True, timeout: float = 10.0) -> None:
        self.pool.open(wait=wait, timeout=timeout)

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def transaction(
        self, restaurant_id: UUID | None = None, *, pipeline: bool = False
    ) -> Iterator[Connection]:
        """One unit of work, scoped to ``restaurant_id``; commits unless the block raises.

        Without ``restaurant_id`` it starts unscoped (seeing no tenant's rows) with no
        statement spent on it: the scope is set only transaction-locally, so none survives
        from an earlier transaction on the pooled connection.

        With ``pipeline``, statements are sent as they are issued and answers are waited
        for only when a result is read: BEGIN and the scope go out with the first read, and
        the writes after the last read with the COMMIT, in one round trip. An error then
        surfaces at the next read or at the commit, not at the statement that caused it."""
        with (
            self.pool.connection() as conn,
            conn.pipeline() if pipeline else nullcontext(),
            conn.transaction(),
        ):
            if restaurant_id is not None:
                scope_to_restaurant(conn, restaurant_id)
            yield conn
