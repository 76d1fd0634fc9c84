"""The host stand's walk-in page: a party's size (and name and phone), then the ways to
seat it now, each a "Seat at" button that makes a walk-in booking seated at those tables.

Every button is a form that posts, then goes back to its page (303) saying what it did by
the id of what it made, read back from the database: never text from the address. A
refusal shows the page again with the message beside what it concerns: 422 for what the
form got wrong or when the venue seats no walk-in now, 409 when the floor does not allow
it now (the table was taken meanwhile).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from reserve.domain.booking import Source, Status
from reserve.domain.errors import Conflict, InvalidRequest, NotFound, OutsideServiceHours
from reserve.services import waitlist
from reserve.services.availability import BookingWindow
from reserve.services.changes import get_booking
from reserve.services.walk_ins import seat_walk_in
from reserve.web.forms import Form
from reserve.web.pages import checked_form, context_of
from reserve.web.session import Host, HostRoute
from reserve.web.stand import (
    back_to,
    host_page,
    named_in_address,
    open_venue,
    party_name,
    party_phone,
    party_size,
    sentence,
    status_of,
    tables_chosen,
)

router = APIRouter(route_class=HostRoute, include_in_schema=False)


async def seated_notice(request: Request, host: Host, window: BookingWindow) -> str | None:
    """What a "Seat at" button did: the booking named by ``seated`` in the address, said
    only while it is a walk-in of this venue seated now."""
    booking_id = named_in_address(request, "seated", "booking")
    if booking_id is None:
        return None
    try:
        booking = await run_in_threadpool(get_booking, context_of(request), booking_id, host.caller)
    except NotFound:
        return None
    if (booking.restaurant, booking.status, booking.source) != (
        window.venue.slug,
        Status.SEATED,
        Source.WALK_IN,
    ):
        return None
    return (
        f"{booking.guest.name}, party of {booking.party_size}, seated at "
        f"{' + '.join(booking.tables)} until {booking.end_at:%H:%M}: booking "
        f"{booking.reference}."
    )


# --- the page ----------------------------------------------------------------------------


@router.get("/host/r/{slug}/walk-in")
async def walk_in_page(request: Request, slug: str) -> Response:
    """The party's size (and name and phone), then the ways to seat it now."""
    opened = await open_venue(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    form = Form.of(request.query_params)
    party = party_size(form, window.largest_party) if "party" in form.values else None
    party_name(form, required=False)
    party_phone(form)
    notice = await seated_notice(request, host, window)
    return await _walk_in(request, host, window, form, party, notice=notice)


async def _walk_in(
    request: Request,
    host: Host,
    window: BookingWindow,
    form: Form,
    party: int | None,
    *,
    notice: str | None = None,
    status: int | None = None,
) -> Response:
    seating = None
    if party is not None:
        found = await run_in_threadpool(
            waitlist.seating_now, context_of(request), window.venue.slug, host.caller, [party]
        )
        seating = found[party]
    # The party as typed: for the waitlist's form, and for the live part to fetch again.
    party_query = {name: form.text(name) for name in ("party", "name", "phone") if form.text(name)}
    values = {
        "form": form,
        "party": party,
        "seating": seating,
        "notice": notice,
        "today": window.first_day,
        "seats": {table.label: table.capacity for table in window.venue.tables},
        "party_query": urlencode(party_query),
    }
    code = status or (200 if form.ok else 422)
    return host_page(request, "host_walk_in.html", host, window, "Walk-in", values, code)


@router.post("/host/r/{slug}/walk-in")
async def seat_a_walk_in(request: Request, slug: str) -> Response:
    """A "Seat at" button: a walk-in booking, seated now at those tables."""
    ctx = context_of(request)
    data = await checked_form(request)
    labels = (await request.form()).getlist("tables")
    opened = await open_venue(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    form = Form.of(data)
    party = party_size(form, window.largest_party)
    name, phone = party_name(form, required=False), party_phone(form)
    # The tables are offered only for a party size: without one, there are none to choose.
    tables = None if party is None else tables_chosen(form, labels)
    if party is None or tables is None or not form.ok:
        return await _walk_in(request, host, window, form, party)
    try:
        booking = await run_in_threadpool(
            seat_walk_in,
            ctx,
            window.venue.slug,
            party,
            host.caller,
            tables=tables,
            name=name,
            phone=phone,
        )
    except (Conflict, InvalidRequest) as refused:
        again = "" if isinstance(refused, OutsideServiceHours) else " Choose another way below."
        form.fail("tables", sentence(refused) + again)
        return await _walk_in(request, host, window, form, party, status=status_of(refused))
    return back_to(window.venue.slug, "walk-in", seated=str(booking.id))
