"""Venue documents in and out: TOML text on one side, the database on the other."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import tomli_w

from reserve.db import restaurants
from reserve.db.database import Connection, Transactions, scope_to_restaurant
from reserve.db.restaurants import Listed, restaurant_id_for_slug
from reserve.db.venues import VenueSaved, load_venue, save_venue
from reserve.domain.errors import InvalidRequest, NotFound
from reserve.domain.venue import Venue
from reserve.domain.venue_document import load_venue_toml, venue_to_document
from reserve.services.context import Context

DEMO_VENUE = Path(__file__).resolve().parent.parent / "venues" / "white-horse.toml"


def read_venue_file(path: Path) -> Venue:
    """The venue a TOML file describes; every problem in it is reported at once."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidRequest(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidRequest(f"cannot read {path}: {error}") from None
    return load_venue_toml(text)


def import_venue(database: Transactions, venue: Venue) -> VenueSaved:
    """Create or update ``venue`` in one unit of work."""
    return database.run(lambda conn: save_venue(conn, venue))


def import_venue_file(database: Transactions, path: Path) -> tuple[Venue, VenueSaved]:
    """Validate the document at ``path`` whole, then create or update its venue."""
    venue = read_venue_file(path)
    return venue, import_venue(database, venue)


def venue_named(conn: Connection, slug: str) -> Venue:
    """The venue named ``slug``, the transaction scoped to it."""
    restaurant_id = restaurant_id_for_slug(conn, slug)
    if restaurant_id is None:
        raise NotFound(f"no restaurant {slug!r}")
    scope_to_restaurant(conn, restaurant_id)
    return load_venue(conn, restaurant_id)


def find_venue(database: Transactions, slug: str) -> Venue:
    return database.run(lambda conn: venue_named(conn, slug))


def export_venue(database: Transactions, slug: str) -> str:
    """The venue's document as TOML, which imports back to the same venue."""
    return tomli_w.dumps(venue_to_document(find_venue(database, slug)))


def venue_directory(database: Transactions) -> list[Listed]:
    """Every venue, for the guests' front page."""
    return database.run(restaurants.directory)


def slug_of(ctx: Context, restaurant_id: UUID) -> str:
    """The slug of the venue with this id (a staff key knows its venue by id)."""
    return ctx.database.run(lambda conn: ctx.venues.of(conn, restaurant_id).venue.slug)
