"""Whether a database answers, and which migration it is at (``reserve env check``)."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from reserve.db import migrations
from reserve.db.database import first_line
from reserve.domain.errors import DatabaseUnavailable

CONNECT_TIMEOUT_SECONDS = 5


def probe_revision(url: str, *, timeout: int = CONNECT_TIMEOUT_SECONDS) -> str | None:
    """The migration the database at ``url`` is at; None when it was never migrated.

    ``DatabaseUnavailable``, with the driver's first line, when it cannot be read: no answer
    within ``timeout`` seconds, credentials refused, the revision not readable by the role."""
    try:
        with psycopg.connect(url, connect_timeout=timeout, row_factory=dict_row) as conn:
            return migrations.current_revision(conn)
    except psycopg.Error as error:
        raise DatabaseUnavailable(first_line(error)) from error
