"""Demand: recording every booking request, and the outlook learned from the records.

Booking and holds record each request they answer (``reserve.db.demand``): with the
booking or hold, in its transaction, when it is made; in a short transaction of its own when
it is refused, since the refused one rolled back. A request that could not be recorded is
logged and the guest still gets the venue's answer.

The allocator's outlook for a day is the forecast (``reserve.domain.demand.learn``, kept in
``Context.forecasts``) less the requests already seen for that day, each kind of party
placed at the window the venue would give it that day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from reserve.db import demand as store
from reserve.db.database import Connection
from reserve.domain.allocator import Expected, Outlook
from reserve.domain.demand import WEEKS, Forecast, learn, refusal_outcome
from reserve.domain.errors import OutsideServiceHours, ReserveError
from reserve.domain.timing import offered_time
from reserve.services.context import Context
from reserve.services.venue_state import VenueState

log = logging.getLogger("reserve.demand")


# --- the outlook -------------------------------------------------------------------------


def forecast(ctx: Context, conn: Connection, state: VenueState, day: date) -> Forecast | None:
    """The venue's forecast for ``day``, learned from the weeks before today (the venue's
    today) and kept for the rest of the hour; None without history."""
    known, learned = known_forecast(ctx, state, day)
    if known:
        return learned
    today = _today(ctx, state)
    key = (state.restaurant_id, day, today)
    history = store.history(conn, state.restaurant_id, today - timedelta(weeks=WEEKS), today)
    learned = learn(history, day, today)
    ctx.forecasts.put(key, learned)
    return learned


def known_forecast(ctx: Context, state: VenueState, day: date) -> tuple[bool, Forecast | None]:
    """Whether the forecast for ``day`` is kept already, and which (None: no history),
    without reading the database."""
    return ctx.forecasts.get((state.restaurant_id, day, _today(ctx, state)))


def _today(ctx: Context, state: VenueState) -> date:
    return ctx.clock().astimezone(ZoneInfo(state.venue.timezone)).date()


def outlook(state: VenueState, day: date, forecast: Forecast | None, seen: int) -> Outlook | None:
    """The demand still expected on ``day`` once ``seen`` requests were made for it, as the
    allocator reads it: every kind of party the venue offers that day, at the window it
    would occupy, with the requests for it still to come. None without a forecast."""
    if forecast is None:
        return None
    expected = []
    for (local_time, party_size), count in sorted(forecast.remaining(seen).items()):
        if count <= 0:
            continue
        try:
            offer = offered_time(state.venue, day, local_time, party_size)
        except OutsideServiceHours:  # not offered that day, or not any more
            continue
        start, end = offer.start_at.timestamp(), offer.occupied_until.timestamp()
        expected.append(Expected(party_size, start, end, count))
    return Outlook(tuple(expected))


def remaining_outlook(
    ctx: Context, conn: Connection, state: VenueState, day: date
) -> Outlook | None:
    """The outlook for ``day`` now: its forecast less the requests recorded for it so far."""
    learned = forecast(ctx, conn, state, day)
    if learned is None:
        return None
    return outlook(state, day, learned, store.requests_seen(conn, state.restaurant_id, day))


# --- recording a refusal -----------------------------------------------------------------


def record_refusal(
    ctx: Context,
    slug: str,
    refusal: ReserveError,
    *,
    kind: store.Kind,
    day: date,
    local_time: time,
    party_size: int,
    source: Callable[[VenueState], str],
) -> None:
    """Record a request refused as ``refusal`` in a transaction of its own, if the refusal
    answers it (``reserve.domain.demand.refusal_outcome``). ``source`` says, from the venue,
    whose request it was. Never raises: a failure is logged in one line."""
    try:
        outcome = refusal_outcome(refusal)
        if outcome is None:
            return

        def work(conn: Connection) -> None:
            state = ctx.venues.scoped(conn, slug)
            store.record(
                conn,
                state.restaurant_id,
                received_at=ctx.clock(),
                service_date=day,
                local_time=local_time,
                party_size=party_size,
                kind=kind,
                source=source(state),
                outcome=outcome,
            )

        ctx.database.run(work, pipeline=True)
    except Exception as error:  # the guest's answer must not depend on the record
        detail = error.detail if isinstance(error, ReserveError) else type(error).__name__
        log.warning("a refused %s request at %s was not recorded: %s", kind, slug, detail)
