"""Which database to use, and the same URL in the forms psycopg and SQLAlchemy want."""

from __future__ import annotations

import re

from reserve.config import Settings
from reserve.db.embedded import embedded_database_url


def database_url(settings: Settings) -> str:
    """``RESERVE_DATABASE_URL``, or the embedded server's when it is unset."""
    if settings.database_url:
        return settings.database_url
    return embedded_database_url(settings.data_dir)


def sqlalchemy_url(url: str) -> str:
    """The URL with the psycopg 3 driver named, as SQLAlchemy (and so Alembic) needs it."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    match = re.match(r"^(?P<head>[a-z+]+://[^/?#]*)/?(?P<db>[^?#]*)(?P<tail>.*)$", url)
    if match is None:
        raise ValueError(f"not a PostgreSQL URL: {url}")
    return f"{match['head']}/{database}{match['tail']}"
