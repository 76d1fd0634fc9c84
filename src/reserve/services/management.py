"""A venue's own settings as its staff and admins change them: the venue document, and
per-venue flag overrides."""

from __future__ import annotations

from collections.abc import Mapping

from reserve.db.database import Connection
from reserve.db.venues import save_venue
from reserve.domain.errors import InvalidRequest
from reserve.domain.venue import Venue
from reserve.domain.venue_document import parse_venue_document
from reserve.services import flags
from reserve.services.authorisation import Caller, require_admin, staff_venue
from reserve.services.context import Context
from reserve.services.flags import FlagState
from reserve.services.venues import venue_named


def venue_flags(ctx: Context, slug: str, caller: Caller) -> list[FlagState]:
    """Every flag: its default, this venue's override, and the value in force."""

    def work(conn: Connection) -> list[FlagState]:
        state = staff_venue(ctx, conn, slug, caller)
        return flags.states_of(conn, state.restaurant_id)

    return ctx.database.run(work)


def change_flags(
    ctx: Context, slug: str, changes: Mapping[str, object], caller: Caller
) -> list[FlagState]:
    """Set this venue's overrides (None removes one), all or nothing; the flags after."""

    def work(conn: Connection) -> list[FlagState]:
        state = staff_venue(ctx, conn, slug, caller)
        flags.change(conn, state.restaurant_id, changes)
        return flags.states_of(conn, state.restaurant_id)

    return ctx.database.run(work)


def replace_venue(ctx: Context, slug: str, document: Mapping[str, object], caller: Caller) -> Venue:
    """(Admin) create or update the venue from its document; refuses to drop tables that
    have future allocations."""
    require_admin(caller)
    venue = parse_venue_document(document)
    if venue.slug != slug:
        raise InvalidRequest(f"the document's slug {venue.slug!r} is not {slug!r}")

    def work(conn: Connection) -> Venue:
        save_venue(conn, venue)
        return venue_named(conn, slug)

    return ctx.database.run(work)
