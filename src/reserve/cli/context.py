"""What every command needs: validated settings and the database as its operator."""

from __future__ import annotations

from rich.console import Console

from reserve.config import Settings, load_settings
from reserve.db.database import OperatorDatabase

console = Console()
if not console.is_terminal:
    # Rich fits output for a pipe or a file into 80 columns, squeezing a table until flag
    # names and key prefixes end in "…"; scripts and logs get the whole text instead.
    console.width = 1000
errors = Console(stderr=True)

__all__ = ["console", "errors", "load_settings", "operator_database"]


def operator_database(settings: Settings | None = None) -> OperatorDatabase:
    """The database as the URL's own role (the schema's owner), a connection per unit of work."""
    return OperatorDatabase.from_settings(settings or load_settings())
