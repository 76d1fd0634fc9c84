"""Which database to use, and the same URL in the forms psycopg and SQLAlchemy want."""

from __future__ import annotations

import re

from psycopg.conninfo import make_conninfo

from reserve.config import Settings
from reserve.db.embedded import embedded_database_url

# The role requests log in as: it owns nothing, and row-level security applies to it.
APP_ROLE = "reserve_app"


def database_url(settings: Settings) -> str:
    """``RESERVE_DATABASE_URL``, or the embedded server's when it is unset."""
    if settings.database_url:
        return settings.database_url
    return embedded_database_url(settings.data_dir)


def app_login(
    url: str,
    *,
    password: str | None = None,
    statement_timeout_ms: int | None = None,
    idle_in_transaction_timeout_ms: int | None = None,
) -> str:
    """The same server and database, logged in as the application role (with ``password``
    when the server asks for one), with the given timeouts on every session, hearing
    notices, and running prepared statements on their general plan."""
    options = " ".join(
        f"-c {name}={value}"
        for name, value in (
            ("statement_timeout", statement_timeout_ms),
            ("idle_in_transaction_session_timeout", idle_in_transaction_timeout_ms),
            # The floor's triggers say what changed as a NOTICE (reserve.db.floor_changes):
            # a server set to send clients only warnings would silence the host stands.
            ("client_min_messages", "notice"),
            # A statement psycopg has prepared (from its sixth use on a connection) runs
            # its one plan. Left to choose, the server keeps planning the day's reads
            # afresh: its statistics hold no rows for days booked since the last ANALYZE,
            # so each plan for a given day looks cheaper than the general one, and
            # planning then costs more than running (bench/booking_http.py measures it).
            ("plan_cache_mode", "force_generic_plan"),
        )
        if value is not None
    )
    extra: dict[str, str] = {"user": APP_ROLE}
    if password:
        extra["password"] = password
    if options:
        extra["options"] = options
    return make_conninfo(url, **extra)


def sqlalchemy_url(url: str) -> str:
    """The URL with the psycopg 3 driver named, as SQLAlchemy (and so Alembic) needs it."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    match = re.match(r"^(?P<head>[a-z+]+://[^/?#]*)/?(?P<db>[^?#]*)(?P<tail>.*)$", url)
    if match is None:
        raise ValueError(f"not a PostgreSQL URL: {url}")
    return f"{match['head']}/{database}{match['tail']}"
