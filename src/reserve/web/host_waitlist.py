"""The host stand's waitlist: the parties waiting, the longest first, each with the tables
that would seat it now; seating one (a walk-in under its name, and off the list) or
removing it; and a form to add a party.

As on the walk-in page, every button posts and goes back to the list (303) saying what it
did by the id of what it changed, said only when the record stands so: 422 for what the
form got wrong, 409 when the floor does not allow it now (the party was seated already,
its table was taken meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from reserve.domain.errors import Conflict, InvalidRequest, NotFound
from reserve.domain.waitlist import MAX_QUOTED_WAIT_MINUTES, WaitlistEntry, WaitlistStatus
from reserve.services import waitlist
from reserve.services.availability import BookingWindow
from reserve.web.forms import NOTES_LENGTH, Form
from reserve.web.host_walk_in import seated_notice
from reserve.web.pages import checked_form, context_of
from reserve.web.session import Host, HostRoute, reloading
from reserve.web.stand import (
    back_to,
    host_page,
    identifier,
    named_in_address,
    open_venue,
    party_name,
    party_phone,
    party_size,
    sentence,
    status_of,
    tables_chosen,
    whole_number,
)

router = APIRouter(route_class=HostRoute, include_in_schema=False)

# Where a problem of the list as a whole is shown: its heading (``field-waitlist``).
LIST = "waitlist"


@dataclass(frozen=True, slots=True)
class Waiting:
    """A waiting party as the list shows it."""

    entry: WaitlistEntry
    waited: int  # whole minutes
    over_by: int | None  # minutes past its quote, once past it
    seating: waitlist.SeatingNow


@router.get("/host/r/{slug}/waitlist")
async def waitlist_page(request: Request, slug: str) -> Response:
    """The list, then the form to add a party (filled in from the address when the walk-in
    page sends a party here)."""
    opened = await open_venue(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    form = Form({name: request.query_params.get(name, "") for name in ("party", "name", "phone")})
    notice = await _notice(request, host, window)
    return await _waitlist(request, host, window, form, notice=notice, status=200)


async def _waitlist(
    request: Request,
    host: Host,
    window: BookingWindow,
    form: Form,
    *,
    notice: str | None = None,
    status: int | None = None,
) -> Response:
    ctx = context_of(request)
    slug = window.venue.slug
    entries = await run_in_threadpool(waitlist.waiting, ctx, slug, host.caller)
    seating = await run_in_threadpool(
        waitlist.seating_now, ctx, slug, host.caller, [entry.party_size for entry in entries]
    )
    now = ctx.clock()
    rows = [
        Waiting(entry, entry.waited(now), _over_by(entry, now), seating[entry.party_size])
        for entry in entries
    ]
    _beside_what_is_shown(form, rows)
    # Off unless asked for: a reload would lose a party being typed in.
    again = reloading(request, f"/host/r/{quote(slug)}/waitlist", default=False)
    values = {
        "form": form,
        "rows": rows,
        "notice": notice,
        "reloading": again,
        "today": window.first_day,
    }
    code = status or (200 if form.ok else 422)
    return host_page(request, "host_waitlist.html", host, window, "Waitlist", values, code)


def _beside_what_is_shown(form: Form, rows: list[Waiting]) -> None:
    """A party's problem is shown beside it; once it is off the list (seated or removed
    meanwhile), above the list instead, so that every message links to what is there."""
    shown = {f"seat-{row.entry.id}" for row in rows}
    for name in [name for name in form.errors if name.startswith("seat-")]:
        if name not in shown:
            form.fail(LIST, form.errors.pop(name))


def _over_by(entry: WaitlistEntry, now: datetime) -> int | None:
    if entry.quoted_wait_minutes is None or not entry.over_quote(now):
        return None
    return max(1, entry.waited(now) - entry.quoted_wait_minutes)


@router.post("/host/r/{slug}/waitlist")
async def add_to_waitlist(request: Request, slug: str) -> Response:
    ctx = context_of(request)
    data = await checked_form(request)
    opened = await open_venue(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    form = Form.of(data)
    name = party_name(form, required=True)
    phone = party_phone(form)
    party = party_size(form, window.largest_party)
    quoted = None
    if form.text("quote"):
        most = MAX_QUOTED_WAIT_MINUTES
        quoted = whole_number(
            form, "quote", 0, most, f"Enter the wait quoted in minutes, 0 to {most}."
        )
    notes = form.values.get("notes", "").replace("\x00", "").replace("\r\n", "\n").strip()
    if len(notes) > NOTES_LENGTH:
        form.fail("notes", f"Keep notes to {NOTES_LENGTH} characters (now {len(notes)}).")
    if name is None or party is None or not form.ok:
        return await _waitlist(request, host, window, form)
    try:
        entry = await run_in_threadpool(
            waitlist.add,
            ctx,
            window.venue.slug,
            host.caller,
            name,
            party,
            phone=phone,
            quoted_wait_minutes=quoted,
            notes=notes,
        )
    except InvalidRequest as refused:
        fields = {"party_size": "party", "quoted_wait_minutes": "quote"}
        for field in refused.fields or ("party_size",):
            form.fail(fields.get(field, field), sentence(refused))
        return await _waitlist(request, host, window, form)
    return back_to(window.venue.slug, "waitlist", added=str(entry.id))


@router.post("/host/r/{slug}/waitlist/{entry_id}/seat")
async def seat_from_waitlist(request: Request, slug: str, entry_id: str) -> Response:
    """A waiting party's "Seat at" button: a walk-in under its name, and off the list."""
    ctx = context_of(request)
    await checked_form(request)
    labels = (await request.form()).getlist("tables")
    opened = await open_venue(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    entry_key = identifier(entry_id, "waitlist entry")
    problem = Form({})  # the refusal, shown beside the party
    beside = f"seat-{entry_key}"
    chosen = Form({})
    tables = tables_chosen(chosen, labels)
    if tables is None:
        problem.fail(beside, chosen.errors["tables"])
        return await _waitlist(request, host, window, problem)
    try:
        booking = await run_in_threadpool(waitlist.seat, ctx, entry_key, host.caller, tables)
    except (Conflict, InvalidRequest) as refused:
        problem.fail(beside, f"{sentence(refused)} Nothing was changed.")
        return await _waitlist(request, host, window, problem, status=status_of(refused))
    return back_to(window.venue.slug, "waitlist", seated=str(booking.id))


@router.post("/host/r/{slug}/waitlist/{entry_id}/remove")
async def remove_from_waitlist(request: Request, slug: str, entry_id: str) -> Response:
    """Off the list (removing it again changes nothing)."""
    ctx = context_of(request)
    await checked_form(request)
    opened = await open_venue(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    entry_key = identifier(entry_id, "waitlist entry")
    try:
        await run_in_threadpool(waitlist.remove, ctx, entry_key, host.caller)
    except Conflict as refused:
        problem = Form({})
        problem.fail(LIST, sentence(refused))
        return await _waitlist(request, host, window, problem, status=409)
    return back_to(window.venue.slug, "waitlist", removed=str(entry_key))


async def _notice(request: Request, host: Host, window: BookingWindow) -> str | None:
    """What the last button did, from the id in the address: a party added, seated (its
    booking) or removed, said only while the record stands so."""
    if "seated" in request.query_params:
        return await seated_notice(request, host, window)
    for code, done in (("added", "added to"), ("removed", "removed from")):
        entry_id = named_in_address(request, code, "waitlist entry")
        if entry_id is None:
            continue
        try:
            entry = await run_in_threadpool(
                waitlist.entry_of, context_of(request), entry_id, host.caller
            )
        except NotFound:
            return None
        if code == "removed" and entry.status is not WaitlistStatus.REMOVED:
            return None
        quoted = ""
        if code == "added" and entry.quoted_wait_minutes is not None:
            quoted = f", quoted {entry.quoted_wait_minutes} min"
        return f"{entry.name}, party of {entry.party_size}, {done} the waitlist{quoted}."
    return None
