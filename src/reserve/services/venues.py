"""Venue documents in and out: TOML text on one side, the database on the other."""

from __future__ import annotations

from pathlib import Path

import tomli_w

from reserve.db.database import Connection, scope_to_restaurant
from reserve.db.venues import VenueSaved, load_venue, restaurant_id_for_slug, save_venue
from reserve.domain.errors import InvalidRequest, NotFound
from reserve.domain.venue import Venue
from reserve.domain.venue_document import load_venue_toml, venue_to_document

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


def import_venue(conn: Connection, venue: Venue) -> VenueSaved:
    """Create or update ``venue`` in the caller's transaction."""
    return save_venue(conn, venue)


def import_venue_file(conn: Connection, path: Path) -> tuple[Venue, VenueSaved]:
    """Validate the document at ``path`` whole, then create or update its venue."""
    venue = read_venue_file(path)
    return venue, save_venue(conn, venue)


def find_venue(conn: Connection, slug: str) -> Venue:
    restaurant_id = restaurant_id_for_slug(conn, slug)
    if restaurant_id is None:
        raise NotFound(f"no restaurant {slug!r}")
    scope_to_restaurant(conn, restaurant_id)
    return load_venue(conn, restaurant_id)


def export_venue(conn: Connection, slug: str) -> str:
    """The venue's document as TOML, which imports back to the same venue."""
    return tomli_w.dumps(venue_to_document(find_venue(conn, slug)))
