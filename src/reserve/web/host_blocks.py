"""The host stand's blocks: a day's tables out of service for a while (a private party, a
broken chair), each with "Remove", and a form to block tables, past midnight if need be.

As on the other host pages, every button posts and goes back to the day's blocks (303)
saying what it did, said only when the day's list bears it out: 422 for what the form got
wrong, 409 when the tables are taken then. Removing a block another host has just removed
is done already, and said so.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from reserve.domain.errors import Conflict, InvalidRequest, NotFound
from reserve.domain.limits import CLOSURE_REASON_LENGTH
from reserve.domain.venue import Table
from reserve.services import blocks
from reserve.services.availability import BookingWindow
from reserve.web.forms import Form
from reserve.web.pages import checked_form, context_of
from reserve.web.session import Host, HostRoute
from reserve.web.stand import a_day, a_time, back_to, host_page, identifier, open_venue, sentence

router = APIRouter(route_class=HostRoute, include_in_schema=False)

# A block's reason is kept as a closure's is (the schema's blocks_reason_length).
REASON_LENGTH = CLOSURE_REASON_LENGTH
# The form's fields, by the names a refusal gives them; any other is shown by the tables.
FIELDS = {"tables": "tables", "date": "date", "start": "start", "end": "end", "end_date": "end"}


@router.get("/host/r/{slug}/blocks")
async def blocks_page(request: Request, slug: str) -> Response:
    """The day's blocks, each with "Remove", and a form to block tables."""
    opened = await open_venue(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    form = Form({})
    day = window.first_day
    text = request.query_params.get("date", "").strip()
    if text:
        day = a_day(form, "go-date", text) or day
    return await _blocks(request, host, window, day, form, (), say_what_was_done=True)


async def _blocks(
    request: Request,
    host: Host,
    window: BookingWindow,
    day: date,
    form: Form,
    chosen: tuple[str, ...],
    *,
    status: int | None = None,
    say_what_was_done: bool = False,
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
        "notice": _notice(request, window, found) if say_what_was_done else None,
        "reason_length": REASON_LENGTH,
    }
    code = status or (200 if form.ok else 422)
    return host_page(request, "host_blocks.html", host, window, "Blocks", values, code)


@router.post("/host/r/{slug}/blocks")
async def block_tables(request: Request, slug: str) -> Response:
    ctx = context_of(request)
    data = await checked_form(request)
    chosen = tuple(
        value for value in (await request.form()).getlist("tables") if isinstance(value, str)
    )
    opened = await open_venue(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    form = Form.of(data)
    if not chosen:
        form.fail("tables", "Choose at least one table to block.")
    day = a_day(form, "date") or window.first_day
    if "date" not in form.errors and day < window.first_day:
        form.fail("date", "That date has passed; choose today or later.")
    start = a_time(form, "start", "Enter the time the block starts.")
    end = a_time(form, "end", "Enter the time the block ends.")
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
        for field in getattr(refused, "fields", ()) or ("tables",):
            form.fail(FIELDS.get(field, "tables"), sentence(refused))
        code = 409 if isinstance(refused, Conflict) else 422
        return await _blocks(request, host, window, day, form, chosen, status=code)
    return back_to(window.venue.slug, "blocks", date=day.isoformat(), created=str(made.id))


@router.post("/host/r/{slug}/blocks/{block_id}/remove")
async def remove_block(request: Request, slug: str, block_id: str) -> Response:
    """Its tables back in service; a block already gone (another host removed it) is
    removed as far as anyone can tell, and the page says so."""
    ctx = context_of(request)
    data = await checked_form(request)
    opened = await open_venue(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    block_key = identifier(block_id, "block")
    day = a_day(Form({}), "date", data.get("date", "")) or window.first_day
    listed = await run_in_threadpool(blocks.blocks_of_day, ctx, window.venue.slug, day, host.caller)
    try:
        await run_in_threadpool(blocks.remove_block, ctx, block_key, host.caller)
    except NotFound:
        return back_to(window.venue.slug, "blocks", date=day.isoformat(), gone=str(block_key))
    tables = next((found.tables for found in listed if found.id == block_key), ())
    return back_to(window.venue.slug, "blocks", date=day.isoformat(), removed="+".join(tables))


def _notice(request: Request, window: BookingWindow, found: list[blocks.Block]) -> str | None:
    """What the last button did, as the day's list bears it out: the block made (by its
    id, listed), the one already gone (by its id, not listed), or the tables of the one
    removed (only the venue's tables, and only those no block of the day still holds)."""
    query = request.query_params
    listed = {str(block.id): block for block in found}
    if "created" in query:
        made = listed.get(query["created"])
        return None if made is None else f"Blocked {', '.join(made.tables)} {_span(made)}."
    if "gone" in query:
        return None if query["gone"] in listed else "That block was already removed."
    if "removed" in query:
        known = {table.label for table in window.venue.tables}
        held = {label for block in found for label in block.tables}
        tables = [label for label in query["removed"].split("+") if label in known - held]
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
