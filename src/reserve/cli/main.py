"""``reserve``: the entry point. Errors end as one line on standard error and a non-zero exit."""

from __future__ import annotations

import sys

import psycopg
import typer

from reserve.cli import db, env, flags, integrity, keys, prune, report, serve, slotfill, venue
from reserve.cli.context import errors
from reserve.db.database import first_line
from reserve.domain.errors import DatabaseUnavailable, ReserveError

app = typer.Typer(
    name="reserve",
    help="Restaurant reservations: fast table allocation that never double-books.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(venue.app, name="venue")
app.add_typer(keys.app, name="keys")
app.add_typer(flags.app, name="flags")
app.add_typer(env.app, name="env")
app.add_typer(report.app, name="report")
app.command()(serve.serve)
app.command()(serve.demo)
app.command()(integrity.integrity)
app.command()(prune.prune)
app.command("slot-fill")(slotfill.slot_fill)


def main(args: list[str] | None = None) -> None:
    """Run the command line (``args`` defaults to ``sys.argv``); always ends in SystemExit."""
    try:
        app(args=args)
    except DatabaseUnavailable as error:
        errors.print(f"error: database: {error}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except ReserveError as error:
        errors.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except psycopg.Error as error:
        errors.print(
            f"error: database: {first_line(error)}", markup=False, highlight=False, soft_wrap=True
        )
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
