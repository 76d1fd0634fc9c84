"""The host stand's floor: seating a walk-in, the waitlist, and blocks (tables out of
service for a while), over the services the staff API calls.

Every button is a form that posts, then goes back to its page (303) saying what it did by
the id of what it made or changed, read back from the database: never text from the
address. A refusal shows the page again with the message beside what it concerns: 422 for
what the form got wrong or when the venue seats no walk-in now, 409 when the floor does not
allow it now (the table was taken meanwhile, the party was seated already).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from uuid import UUID

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from reserve.domain.errors import Conflict, InvalidRequest, NotFound, OutsideServiceHours
from reserve.domain.venue import Table
from reserve.domain.waitlist import WaitlistEntry
from reserve.services import blocks, waitlist
from reserve.services.availability import BookingWindow, staff_window
from reserve.services.changes import get_booking
from reserve.services.seating import check_day
from reserve.services.walk_ins import seat_walk_in
from reserve.web.forms import NAME_LENGTH, NOTES_LENGTH, PHONE, PHONE_LENGTH, Form
from reserve.web.pages import checked_form, context_of, render, see_other
from reserve.web.session import Host, HostRoute, reloading, signed_in, to_sign_in

router = APIRouter(route_class=HostRoute, include_in_schema=False)

QUOTE_MINUTES = 600  # the longest wait a host may quote, as the waitlist allows
REASON_LENGTH = 200


async def _open(request: Request, slug: str) -> tuple[Host, BookingWindow] | Response:
    """The signed-in host and the venue, if it is theirs (else ``NotFound``); or the way to
    sign in."""
    host = await signed_in(request)
    if host is None:
        return to_sign_in(request)
    window = await run_in_threadpool(staff_window, context_of(request), slug, host.caller)
    return host, window


def _page(
    request: Request,
    template: str,
    host: Host,
    window: BookingWindow,
    section: str,
    values: dict[str, Any],
    status: int,
) -> Response:
    shared = {"host": host, "slug": window.venue.slug, "venue": window.venue, "section": section}
    return render(request, template, {**shared, **values}, status=status, private=True)


def _back(slug: str, page: str, **query: str) -> Response:
    return see_other(f"/host/r/{quote(slug)}/{page}?{urlencode(query)}", private=True)


def _said(error: Exception) -> str:
    """A service's message as a sentence."""
    text = str(error)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _uuid(text: str | None) -> UUID | None:
    try:
        return UUID(text or "")
    except ValueError:
        return None


# --- reading the forms -------------------------------------------------------------------


def _count(form: Form, name: str, low: int, high: int, message: str) -> int | None:
    text = form.text(name)
    if not text.isdigit() or not low <= int(text) <= high:
        form.fail(name, message)
        return None
    return int(text)


def _party(form: Form, largest: int) -> int | None:
    return _count(form, "party", 1, largest, f"Enter the party size: a number from 1 to {largest}.")


def _name(form: Form, *, required: bool) -> str | None:
    name = form.text("name")
    if not name and required:
        form.fail("name", "Enter the name the party gave.")
    elif len(name) > NAME_LENGTH:
        form.fail("name", f"Use at most {NAME_LENGTH} characters for the name.")
    return name or None


def _phone(form: Form) -> str | None:
    phone = form.text("phone")
    low, high = PHONE_LENGTH
    if phone and (not PHONE.match(phone) or not low <= len(phone) <= high):
        form.fail("phone", f"Enter a phone number of {low} to {high} digits, or leave it empty.")
    return phone or None


def _tables(form: Form) -> tuple[str, ...] | None:
    """The tables a "Seat at" button names: ``T4`` or ``T4+T5``."""
    labels = tuple(label.strip() for label in form.text("tables").split("+") if label.strip())
    if not labels or len(labels) > 5 or any(len(label) > 32 for label in labels):
        form.fail("tables", "Choose one of the ways to seat the party.")
        return None
    return labels


# --- walk-ins ----------------------------------------------------------------------------


@router.get("/host/r/{slug}/walk-in")
async def walk_in_page(request: Request, slug: str) -> Response:
    """The party's size (and name and phone), then the ways to seat it now."""
    opened = await _open(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    form = Form.of(request.query_params)
    party = _party(form, window.largest_party) if "party" in form.values else None
    _name(form, required=False)
    _phone(form)
    notice = await _seated(request, host, window)
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
        "seats": {table.label: table.capacity for table in window.venue.tables},
        "party_query": urlencode(party_query),
    }
    code = status or (200 if form.ok else 422)
    return _page(request, "host_walk_in.html", host, window, "Walk-in", values, code)


@router.post("/host/r/{slug}/walk-in")
async def seat_a_walk_in(request: Request, slug: str) -> Response:
    """A "Seat at" button: a walk-in booking, seated now at those tables."""
    ctx = context_of(request)
    data = await checked_form(request)
    opened = await _open(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    form = Form.of(data)
    party, name, phone = (
        _party(form, window.largest_party),
        _name(form, required=False),
        _phone(form),
    )
    tables = _tables(form)
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
        form.fail("tables", _said(refused) + again)
        return await _walk_in(request, host, window, form, party, status=_status_of(refused))
    return _back(window.venue.slug, "walk-in", seated=str(booking.id))


def _status_of(refused: Exception) -> int:
    return 409 if isinstance(refused, Conflict) else 422


async def _seated(request: Request, host: Host, window: BookingWindow) -> str | None:
    """What a "Seat at" button did: the booking named by ``seated`` in the address."""
    booking_id = _uuid(request.query_params.get("seated"))
    if booking_id is None:
        return None
    try:
        booking = await run_in_threadpool(get_booking, context_of(request), booking_id, host.caller)
    except NotFound:
        return None
    if booking.restaurant != window.venue.slug:
        return None
    return (
        f"{booking.guest.name}, party of {booking.party_size}, seated at "
        f"{' + '.join(booking.tables)} until {booking.end_at:%H:%M}: booking "
        f"{booking.reference}."
    )


# --- the waitlist ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Waiting:
    """A waiting party as the list shows it."""

    entry: WaitlistEntry
    waited: int  # whole minutes
    over_by: int | None  # minutes past its quote, once past it
    seating: waitlist.SeatingNow


@router.get("/host/r/{slug}/waitlist")
async def waitlist_page(request: Request, slug: str) -> Response:
    """The parties waiting, the longest first, each with the tables that would seat it now;
    then a form to add one (filled in from the address when the walk-in page sends a party
    here)."""
    opened = await _open(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    form = Form({name: request.query_params.get(name, "") for name in ("party", "name", "phone")})
    notice = await _waitlist_notice(request, host, window)
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
    # Off unless asked for: a reload would lose a party being typed in.
    again = reloading(request, f"/host/r/{quote(window.venue.slug)}/waitlist", default=False)
    values = {"form": form, "rows": rows, "notice": notice, "reloading": again}
    code = status or (200 if form.ok else 422)
    return _page(request, "host_waitlist.html", host, window, "Waitlist", values, code)


def _over_by(entry: WaitlistEntry, now: datetime) -> int | None:
    if entry.quoted_wait_minutes is None or not entry.over_quote(now):
        return None
    return max(1, entry.waited(now) - entry.quoted_wait_minutes)


@router.post("/host/r/{slug}/waitlist")
async def add_to_waitlist(request: Request, slug: str) -> Response:
    ctx = context_of(request)
    data = await checked_form(request)
    opened = await _open(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    form = Form.of(data)
    name = _name(form, required=True)
    phone = _phone(form)
    party = _party(form, window.largest_party)
    quoted = None
    if form.text("quote"):
        quoted = _count(
            form,
            "quote",
            0,
            QUOTE_MINUTES,
            f"Enter the wait quoted in minutes, 0 to {QUOTE_MINUTES}.",
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
            form.fail(fields.get(field, field), _said(refused))
        return await _waitlist(request, host, window, form)
    return _back(window.venue.slug, "waitlist", added=str(entry.id))


@router.post("/host/r/{slug}/waitlist/{entry_id}/seat")
async def seat_from_waitlist(request: Request, slug: str, entry_id: str) -> Response:
    """A waiting party's "Seat at" button: a walk-in under its name, and off the list."""
    ctx = context_of(request)
    data = await checked_form(request)
    opened = await _open(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    entry_key = _uuid(entry_id)
    if entry_key is None:
        raise NotFound("no such waitlist entry")
    problem = Form({})  # the refusal, shown beside the party
    tables = _tables(Form.of(data))
    if tables is None:
        problem.fail(f"seat-{entry_key}", "Choose one of the ways to seat the party.")
        return await _waitlist(request, host, window, problem)
    try:
        booking = await run_in_threadpool(waitlist.seat, ctx, entry_key, host.caller, tables)
    except (Conflict, InvalidRequest) as refused:
        problem.fail(f"seat-{entry_key}", f"{_said(refused)} Nothing was changed.")
        return await _waitlist(request, host, window, problem, status=_status_of(refused))
    return _back(window.venue.slug, "waitlist", seated=str(booking.id))


@router.post("/host/r/{slug}/waitlist/{entry_id}/remove")
async def remove_from_waitlist(request: Request, slug: str, entry_id: str) -> Response:
    ctx = context_of(request)
    await checked_form(request)
    opened = await _open(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    entry_key = _uuid(entry_id)
    if entry_key is None:
        raise NotFound("no such waitlist entry")
    try:
        await run_in_threadpool(waitlist.remove, ctx, entry_key, host.caller)
    except Conflict as refused:
        problem = Form({})
        problem.fail("waitlist", _said(refused))
        return await _waitlist(request, host, window, problem, status=409)
    return _back(window.venue.slug, "waitlist", removed=str(entry_key))


async def _waitlist_notice(request: Request, host: Host, window: BookingWindow) -> str | None:
    """What the last button did, from the id in the address: added, seated or removed."""
    query = request.query_params
    if "seated" in query:
        return await _seated(request, host, window)
    for code, done in (("added", "added to"), ("removed", "removed from")):
        entry_id = _uuid(query.get(code))
        if entry_id is None:
            continue
        try:
            entry = await run_in_threadpool(
                waitlist.entry_of, context_of(request), entry_id, host.caller
            )
        except NotFound:
            return None
        quoted = ""
        if code == "added" and entry.quoted_wait_minutes is not None:
            quoted = f", quoted {entry.quoted_wait_minutes} min"
        return f"{entry.name}, party of {entry.party_size}, {done} the waitlist{quoted}."
    return None


# --- blocks ------------------------------------------------------------------------------


@router.get("/host/r/{slug}/blocks")
async def blocks_page(request: Request, slug: str) -> Response:
    """The day's blocks, each with "Remove", and a form to block tables."""
    opened = await _open(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    form = Form({})
    day = window.first_day
    text = request.query_params.get("date", "").strip()
    if text:
        shown = _day(form, "go-date", text)
        day = shown or day
    notice = await _blocks_notice(request, host, window, day)
    return await _blocks(request, host, window, day, form, (), notice=notice)


async def _blocks(
    request: Request,
    host: Host,
    window: BookingWindow,
    day: date,
    form: Form,
    chosen: tuple[str, ...],
    *,
    notice: str | None = None,
    status: int | None = None,
) -> Response:
    ctx = context_of(request)
    found = await run_in_threadpool(blocks.blocks_of_day, ctx, window.venue.slug, day, host.caller)
    names = {zone.key: zone.name for zone in window.venue.zones}
    zones: dict[str, list[Table]] = {}
    for table in window.venue.tables:
        if table.active:
            zones.setdefault(names.get(table.zone, table.zone), []).append(table)
    values = {
        "form": form,
        "day": day,
        "today": window.first_day,
        "previous": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "blocks": found,
        "zones": zones,
        "chosen": set(chosen),
        "notice": notice,
    }
    code = status or (200 if form.ok else 422)
    return _page(request, "host_blocks.html", host, window, "Blocks", values, code)


def _day(form: Form, name: str, text: str) -> date | None:
    try:
        day = date.fromisoformat(text)
        check_day(day)
    except ValueError:
        form.fail(name, "Enter a date like 2026-12-07.")
        return None
    except InvalidRequest as wrong:
        form.fail(name, _said(wrong))
        return None
    return day


def _clock_field(form: Form, name: str, missing: str) -> time | None:
    text = form.text(name)
    try:
        return time.fromisoformat(text).replace(second=0, microsecond=0, tzinfo=None)
    except ValueError:
        form.fail(name, missing if not text else "Enter a time like 22:30.")
        return None


@router.post("/host/r/{slug}/blocks")
async def block_tables(request: Request, slug: str) -> Response:
    ctx = context_of(request)
    data = await checked_form(request)
    chosen = tuple(
        value for value in (await request.form()).getlist("tables") if isinstance(value, str)
    )
    opened = await _open(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    form = Form.of(data)
    if not chosen:
        form.fail("tables", "Choose at least one table to block.")
    day = _day(form, "date", form.text("date")) or window.first_day
    if "date" not in form.errors and day < window.first_day:
        form.fail("date", "That date has passed; choose today or later.")
    start = _clock_field(form, "start", "Enter the time the block starts.")
    end = _clock_field(form, "end", "Enter the time the block ends.")
    if start is not None and start == end:
        form.fail("end", "Choose a “to” time other than the “from” time.")
    reason = form.text("reason")
    if len(reason) > REASON_LENGTH:
        form.fail("reason", f"Keep the reason to {REASON_LENGTH} characters.")
    shown = day if "date" not in form.errors else window.first_day
    if start is None or end is None or not form.ok:
        return await _blocks(request, host, window, shown, form, chosen)
    end_day = day + timedelta(days=1) if end < start else day  # past midnight
    try:
        made = await run_in_threadpool(
            blocks.block,
            ctx,
            window.venue.slug,
            chosen,
            day,
            start,
            end,
            reason,
            host.caller,
            end_day=end_day,
        )
    except (Conflict, InvalidRequest) as refused:
        fields = {"end_date": "end"}
        named = getattr(refused, "fields", ()) or ("tables",)
        for field in named:
            form.fail(fields.get(field, field), _said(refused))
        return await _blocks(
            request,
            host,
            window,
            day,
            form,
            chosen,
            status=409 if isinstance(refused, Conflict) else 422,
        )
    return _back(window.venue.slug, "blocks", date=day.isoformat(), created=str(made.id))


@router.post("/host/r/{slug}/blocks/{block_id}/remove")
async def remove_block(request: Request, slug: str, block_id: str) -> Response:
    ctx = context_of(request)
    data = await checked_form(request)
    opened = await _open(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    block_key = _uuid(block_id)
    if block_key is None:
        raise NotFound("no such block")
    day = _day(Form({}), "date", data.get("date", "")) or window.first_day
    listed = await run_in_threadpool(blocks.blocks_of_day, ctx, window.venue.slug, day, host.caller)
    await run_in_threadpool(blocks.remove_block, ctx, block_key, host.caller)
    tables = next((found.tables for found in listed if found.id == block_key), ())
    return _back(window.venue.slug, "blocks", date=day.isoformat(), removed="+".join(tables))


async def _blocks_notice(
    request: Request, host: Host, window: BookingWindow, day: date
) -> str | None:
    """What the last button did: the block made (by its id), or the tables of the one
    removed (only labels of the venue's tables are said)."""
    query = request.query_params
    made = _uuid(query.get("created"))
    if made is not None:
        found = await run_in_threadpool(
            blocks.blocks_of_day, context_of(request), window.venue.slug, day, host.caller
        )
        for block in found:
            if block.id == made:
                return f"Blocked {', '.join(block.tables)} {_span(block)}."
        return None
    if "removed" in query:
        known = {table.label for table in window.venue.tables}
        tables = [label for label in query["removed"].split("+") if label in known]
        if tables:
            verb = "is" if len(tables) == 1 else "are"
            return f"Block removed: {', '.join(tables)} {verb} back in service."
        return "Block removed."
    return None


def _span(block: blocks.Block) -> str:
    """From when to when, with the dates: "from 22:00 on Tue 1 Dec to 02:00 on Wed 2 Dec"."""

    def at(moment: datetime) -> str:
        return f"{moment:%H:%M} on {moment:%a} {moment.day} {moment:%b}"

    return f"from {at(block.start_at)} to {at(block.end_at)}"
