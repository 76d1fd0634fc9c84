"""What the host stand's pages share: the venue of a signed-in host, how a booking's
status reads and which buttons it has, what an action did, and the fields staff type (a
number, a date, a time, tables, a party's size, name and phone), each checked with a
message a host understands.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Any
from urllib.parse import quote, urlencode
from uuid import UUID

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from reserve.domain.booking import Booking, Status
from reserve.domain.errors import Conflict, InvalidRequest, NotFound, ReserveError
from reserve.services.availability import BookingWindow, staff_window
from reserve.services.seating import check_day
from reserve.web.forms import CLOCK, NAME_LENGTH, PHONE, PHONE_LENGTH, Form
from reserve.web.pages import context_of, render, see_other
from reserve.web.session import Host, signed_in, to_sign_in

# The buttons a booking has, by its status (cancelling asks first, on its own page;
# approving a pending party needs its tables chosen, on the booking's page).
ACTIONS: dict[Status, tuple[tuple[Status, str], ...]] = {
    Status.CONFIRMED: ((Status.SEATED, "Seat"), (Status.NO_SHOW, "No-show")),
    Status.SEATED: ((Status.COMPLETED, "Complete"),),
    Status.NO_SHOW: ((Status.CONFIRMED, "Undo no-show"),),
}
# Bookings the host stand may cancel.
CANCELLABLE = (Status.PENDING, Status.CONFIRMED)
STATUS_WORDS = {
    Status.PENDING: "Waiting for approval",
    Status.CONFIRMED: "Booked",
    Status.SEATED: "Seated",
    Status.COMPLETED: "Left",
    Status.CANCELLED: "Cancelled",
    Status.NO_SHOW: "No-show",
}

MAX_TABLES = 5  # the most tables one party is seated at, as the API allows
LABEL_LENGTH = 32

# What a page says the last action on a booking did, by the code in its address, and the
# status the booking must then have for the page to say it (None: any).
_DONE: dict[str, tuple[str, Status | None]] = {
    Status.SEATED.value: ("Booking {ref} seated.", Status.SEATED),
    Status.COMPLETED.value: ("Booking {ref} marked as left.", Status.COMPLETED),
    Status.NO_SHOW.value: ("Booking {ref} marked as a no-show.", Status.NO_SHOW),
    Status.CONFIRMED.value: ("Booking {ref} booked again.", Status.CONFIRMED),
    Status.CANCELLED.value: ("Booking {ref} cancelled.", Status.CANCELLED),
    "tables": ("Booking {ref} moved to its new tables.", None),
    "approved": ("Booking {ref} approved: it is confirmed at its tables.", Status.CONFIRMED),
    "changed": ("Booking {ref} changed.", None),
    "unpinned": ("Booking {ref}: its tables are no longer pinned.", None),
}


async def open_venue(request: Request, slug: str) -> tuple[Host, BookingWindow] | Response:
    """The signed-in host and the venue of the address, if it is theirs (else
    ``NotFound``); or the way to sign in."""
    host = await signed_in(request)
    if host is None:
        return to_sign_in(request)
    window = await run_in_threadpool(staff_window, context_of(request), slug, host.caller)
    return host, window


def host_page(
    request: Request,
    template: str,
    host: Host,
    window: BookingWindow,
    section: str,
    values: dict[str, Any],
    status: int = 200,
) -> Response:
    shared = {"host": host, "slug": window.venue.slug, "venue": window.venue, "section": section}
    return render(request, template, {**shared, **values}, status=status, private=True)


def back_to(slug: str, page: str = "", **query: str) -> Response:
    """To a page of the venue's stand (``""``: its day), with ``query``."""
    path = f"/host/r/{quote(slug)}" + (f"/{page}" if page else "")
    return see_other(f"{path}?{urlencode(query)}" if query else path, private=True)


def after_action(slug: str, booking: Booking, done: str, *, to_day: bool = False) -> Response:
    """Back to the booking's page (or its day), to say what ``done`` did to it."""
    query = {"done": done, "booking": str(booking.id)}
    if to_day:
        return back_to(slug, date=booking.day.isoformat(), **query)
    return back_to(slug, f"bookings/{booking.id}", **query)


def done_notice(request: Request, shown: Sequence[Booking]) -> str | None:
    """What the last action did, from the code and the booking the address names, said
    only of a booking shown and only when it stands as the action left it: the address
    gives codes and ids, never words."""
    code = request.query_params.get("done", "")
    named = request.query_params.get("booking", "")
    if code not in _DONE:
        return None
    words, status = _DONE[code]
    for booking in shown:
        if str(booking.id) == named and status in (None, booking.status):
            return words.format(ref=booking.reference)
    return None


def sentence(error: ReserveError | Exception) -> str:
    """A service's message as a sentence."""
    text = str(error.detail) if isinstance(error, ReserveError) else str(error)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def identifier(text: str | None, what: str = "booking") -> UUID:
    """The id in an address, or ``NotFound`` as for an id that names nothing."""
    try:
        return UUID(text or "")
    except ValueError:
        raise NotFound(f"no such {what}") from None


def whole_number(form: Form, name: str, low: int, high: int, message: str) -> int | None:
    """A count typed in digits (0 to 9 only, not other scripts' digits), from ``low`` to
    ``high``; else None, with ``message`` beside the field."""
    text = form.text(name)
    if not (text.isascii() and text.isdigit() and len(text) <= 6) or not low <= int(text) <= high:
        form.fail(name, message)
        return None
    return int(text)


def a_day(form: Form, name: str, text: str | None = None) -> date | None:
    """Any date a venue could have (``text``, else the field's value); else None, with
    the reason beside the field."""
    typed = form.text(name) if text is None else text.strip()
    try:
        day = date.fromisoformat(typed)
        check_day(day)
    except ValueError:
        form.fail(name, "Enter a date like 2026-12-07.")
        return None
    except InvalidRequest as wrong:
        form.fail(name, sentence(wrong))
        return None
    return day


def a_time(form: Form, name: str, missing: str) -> time | None:
    """A time of day as ``HH:MM``; else None, with ``missing`` (or the format) beside it."""
    text = form.text(name)
    if not CLOCK.match(text):
        form.fail(name, missing if not text else "Enter a time like 22:30.")
        return None
    return time.fromisoformat(text)


def tables_chosen(form: Form, labels: Sequence[Any]) -> tuple[str, ...] | None:
    """The table labels a form sent (one ``tables`` field each); else None, with the
    problem beside the tables."""
    chosen = tuple(label for label in labels if isinstance(label, str) and label)
    if not chosen:
        form.fail("tables", "Choose the tables to seat the party at.")
        return None
    if len(chosen) > MAX_TABLES or any(len(label) > LABEL_LENGTH for label in chosen):
        form.fail("tables", f"Choose at most {MAX_TABLES} of the venue's tables.")
        return None
    return chosen


# --- a party, as the walk-in and the waitlist read it ------------------------------------


def party_size(form: Form, largest: int) -> int | None:
    message = f"Enter the party size: a number from 1 to {largest}."
    return whole_number(form, "party", 1, largest, message)


def party_name(form: Form, *, required: bool) -> str | None:
    name = form.text("name")
    if not name and required:
        form.fail("name", "Enter the name the party gave.")
    elif len(name) > NAME_LENGTH:
        form.fail("name", f"Use at most {NAME_LENGTH} characters for the name.")
    return name or None


def party_phone(form: Form) -> str | None:
    phone = form.text("phone")
    low, high = PHONE_LENGTH
    if phone and (not PHONE.match(phone) or not low <= len(phone) <= high):
        form.fail("phone", f"Enter a phone number of {low} to {high} digits, or leave it empty.")
    return phone or None


def status_of(refused: Exception) -> int:
    """409 when the floor does not allow it now; 422 when the request cannot be met."""
    return 409 if isinstance(refused, Conflict) else 422


def named_in_address(request: Request, name: str, what: str) -> UUID | None:
    """The id the query's ``name`` gives, if it is one (None: nothing to say)."""
    try:
        return identifier(request.query_params.get(name), what)
    except NotFound:
        return None
