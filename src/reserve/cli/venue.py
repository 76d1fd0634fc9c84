"""``reserve venue``: venue documents (TOML) in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reserve.cli.context import console, operator_database
from reserve.services.venues import export_venue, import_venue_file

app = typer.Typer(help="Import and export venue documents.", no_args_is_help=True)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="The venue document (TOML).")],
) -> None:
    """Create the venue named by the document's slug, or update it in place.

    The whole document is checked first; if anything is wrong, every problem is listed
    and nothing is written.
    """
    venue, saved = import_venue_file(operator_database(), file)
    verb = "created" if saved.created else "updated"
    console.print(
        f"{verb} {venue.slug}: {len(venue.zones)} zones, {len(venue.tables)} tables, "
        f"{len(venue.adjacency)} adjacent pairs",
        highlight=False,
    )
    for label, labels in (
        ("added", saved.tables_added if not saved.created else []),
        ("removed", saved.tables_removed),
        ("kept inactive for their history", saved.tables_retired),
    ):
        if labels:
            console.print(f"tables {label}: {', '.join(labels)}", highlight=False)


@app.command()
def export(
    slug: Annotated[str, typer.Argument(help="The venue's slug.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of to stdout.")
    ] = None,
) -> None:
    """Print the venue's document, which imports back to the same venue."""
    text = export_venue(operator_database(), slug)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
