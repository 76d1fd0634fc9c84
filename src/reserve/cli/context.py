"""What every command needs: validated settings, the database URL, an operator connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from reserve.config import Settings, load_settings
from reserve.db.database import Connection, connect
from reserve.db.urls import database_url

console = Console()
if not console.is_terminal:
    # Rich fits output for a pipe or a file into 80 columns, squeezing a table until flag
    # names and key prefixes end in "…"; scripts and logs get the whole text instead.
    console.width = 1000
errors = Console(stderr=True)

__all__ = ["console", "errors", "load_settings", "operator_connection"]


@contextmanager
def operator_connection(settings: Settings) -> Iterator[Connection]:
    """A connection as the URL's own role, one transaction: commit on success, else roll back."""
    with connect(database_url(settings)) as conn:
        yield conn
