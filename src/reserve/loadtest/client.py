"""The HTTP conversation with ``reserve serve``: the venue, clearing a day, and one booking
attempt from submit to its outcome. Every request carries the staff key, so none is
rate-limited."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from time import perf_counter
from typing import Any

import httpx

from reserve.loadtest.log import Outcome, Record
from reserve.loadtest.plan import PlannedRequest

REQUEST_TIMEOUT_SECONDS = 30.0
FIRST_POLL_SECONDS = 0.05
LONGEST_POLL_SECONDS = 1.0
# The key's first request may still be running (after an interruption): wait for its answer.
KEY_IN_USE_RETRIES = 10
KEY_IN_USE_PAUSE_SECONDS = 0.1
CLEARING_WIDTH = 16
NOT_OFFERED = frozenset({"outside-service-hours", "party-too-large"})


class ApiError(Exception):
    """The server refused or could not be reached for something the run cannot do without."""


def new_client(base_url: str, api_key: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        base_url=base_url,
        limits=limits,
        timeout=REQUEST_TIMEOUT_SECONDS,
        headers={"Authorization": f"Bearer {api_key}"},
    )


# --- the venue and its day ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fit:
    """A table's seats, and how many of them a party leaves empty."""

    seats: int
    waste: int


@dataclass(frozen=True, slots=True)
class VenueInfo:
    slug: str
    name: str
    capacities: dict[str, int]  # seats by table label
    parties: dict[str, tuple[int, int]]  # the smallest and largest party, by table label
    open_weekdays: frozenset[int]  # ISO weekdays with a service period
    max_online_party_size: int

    @property
    def seats(self) -> int:
        return sum(self.capacities.values())

    def best_alone(self, party_size: int) -> Fit | None:
        """The table of the floor that leaves the fewest seats empty for the party (the
        smaller of two that leave as many), None when no single table seats it: the best
        fit on an empty floor, combinations aside."""
        return min(
            (
                Fit(self.capacities[label], max(self.capacities[label] - party_size, 0))
                for label, (least, most) in self.parties.items()
                if least <= party_size <= most
            ),
            key=lambda fit: (fit.waste, fit.seats),
            default=None,
        )

    def next_open_day(self, today: date) -> date:
        """The first day after ``today`` on a weekday the venue serves (closures aside)."""
        for ahead in range(1, 8):
            day = today + timedelta(days=ahead)
            if day.isoweekday() in self.open_weekdays:
                return day
        raise ApiError(f"{self.slug} has no service periods; pass --date")


async def fetch_venue(client: httpx.AsyncClient, slug: str) -> VenueInfo:
    body = await _json(client, "GET", f"/v1/restaurants/{slug}")
    return VenueInfo(
        slug=body["slug"],
        name=body["name"],
        capacities={table["label"]: table["capacity"] for table in body["tables"]},
        parties={
            table["label"]: (table["min_party"], table["max_party"]) for table in body["tables"]
        },
        open_weekdays=frozenset(
            weekday for period in body["service_periods"] for weekday in period["weekdays"]
        ),
        max_online_party_size=body["max_online_party_size"],
    )


async def day_bookings(
    client: httpx.AsyncClient, slug: str, day: date, statuses: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The day's bookings (staff only: this is also how the key is checked)."""
    params = [("date", day.isoformat()), *(("status", status) for status in statuses)]
    body = await _json(client, "GET", f"/v1/restaurants/{slug}/bookings", params=params)
    bookings: list[dict[str, Any]] = body["bookings"]
    return bookings


@dataclass(frozen=True, slots=True)
class Cleared:
    bookings: int
    holds: int


async def clear_day(client: httpx.AsyncClient, slug: str, day: date) -> Cleared:
    """Cancel every pending or confirmed booking of the day and release its holds, through
    the staff API, so that a level starts from an empty floor. Seated guests and blocks stay."""
    bookings = await day_bookings(client, slug, day, ("pending", "confirmed"))
    timeline = await _json(
        client, "GET", f"/v1/restaurants/{slug}/timeline", params={"date": day.isoformat()}
    )
    holds = {
        allocation["hold_id"]
        for table in timeline["tables"]
        for allocation in table["allocations"]
        if allocation["kind"] == "hold"
    }
    width = asyncio.Semaphore(CLEARING_WIDTH)

    async def call(method: str, path: str) -> None:
        async with width:
            await _json(client, method, path, allowed=(404,))

    await asyncio.gather(
        *(call("POST", f"/v1/bookings/{booking['id']}/cancel") for booking in bookings),
        *(call("DELETE", f"/v1/holds/{hold}") for hold in holds),
    )
    return Cleared(bookings=len(bookings), holds=len(holds))


async def _json(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    params: Any = None,
    allowed: Sequence[int] = (),
) -> Any:
    """The answer's JSON (None for an empty body); ApiError, in one line, for a refusal
    other than ``allowed`` or a server out of reach."""
    try:
        response = await client.request(method, path, params=params)
    except httpx.HTTPError as error:
        raise ApiError(f"cannot reach {client.base_url}: {error or type(error).__name__}") from None
    if response.is_success or response.status_code in allowed:
        try:
            return response.json() if response.content else None
        except ValueError:
            raise ApiError(f"{method} {path} answered something other than JSON") from None
    problem, detail = _problem(response)
    if response.status_code == 401:
        raise ApiError(f"the API key was refused: {detail}")
    raise ApiError(f"{method} {path} answered {response.status_code} {problem or ''}: {detail}")


async def least_free_waste(
    client: httpx.AsyncClient, venue: VenueInfo, booking_id: str, party_size: int
) -> int | None:
    """The fewest seats the party would leave empty at the tables free for its booking's
    window now, its own counted free: the least waste of the free ways the server offers
    staff to move it (``GET /v1/bookings/{id}/tables``, best first). None when the server
    offers none, or the booking no longer takes tables."""
    body = await _json(client, "GET", f"/v1/bookings/{booking_id}/tables", allowed=(404, 422))
    if not isinstance(body, dict) or "ways" not in body:
        return None
    wastes = [
        max(seats - party_size, 0)
        for seats in (_seats(venue, way) for way in body["ways"])
        if seats is not None
    ]
    return min(wastes, default=None)


# --- one booking attempt --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    """What every request of a level shares."""

    client: httpx.AsyncClient
    venue: VenueInfo
    day: date
    run: str
    segment: str
    seed: int
    concurrency: int
    two_phase: bool
    poll_timeout: float


@dataclass(slots=True)
class _Answer:
    """A request's fields as they are learnt."""

    http_status: int | None = None
    problem: str | None = None
    detail: str | None = None
    booking: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False
    hold_ms: float | None = None
    submit_ms: float | None = None
    poll_ms: float | None = None


async def attempt(context: Attempt, request: PlannedRequest) -> Record:
    """Make one booking request and follow it to its outcome; never raises for what the
    server or the network does (that is an ``error`` outcome)."""
    started_at = datetime.now(UTC)
    began = perf_counter()
    answer = _Answer()
    try:
        outcome = await _book(context, request, answer, began)
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
        outcome = Outcome.ERROR
        answer.problem = answer.problem or type(error).__name__
        answer.detail = str(error)[:300] or None
    tables: list[str] = list(answer.booking.get("tables") or [])
    seats = _seats(context.venue, tables)
    return Record(
        run=context.run,
        segment=context.segment,
        restaurant=context.venue.slug,
        date=context.day.isoformat(),
        seed=context.seed,
        two_phase=context.two_phase,
        concurrency=context.concurrency,
        slot=request.slot,
        request=request.index,
        party_size=request.party_size,
        idempotency_key=idempotency_key(context, request),
        started_at=started_at.isoformat(timespec="microseconds"),
        outcome=outcome,
        http_status=answer.http_status,
        problem=answer.problem,
        detail=answer.detail,
        booking_id=answer.booking.get("id"),
        status=answer.booking.get("status"),
        replayed=answer.replayed,
        hold_ms=answer.hold_ms,
        submit_ms=answer.submit_ms,
        poll_ms=answer.poll_ms,
        total_ms=_since(began),
        tables=tables,
        seats=seats,
        # As the allocator counts it: an extended table seating beyond capacity wastes none.
        seat_waste=None if seats is None else max(seats - request.party_size, 0),
        end_at=answer.booking.get("end_at") if tables else None,
    )


def idempotency_key(context: Attempt, request: PlannedRequest) -> str:
    """The same for the same request of the same run and level: a request resumed after an
    interruption is answered by the server's record of it if it got that far."""
    return f"slot-fill:{context.run}:c{context.concurrency}:{request.slot}:{request.index}"


def guest_email(context: Attempt, request: PlannedRequest) -> str:
    """Unique to the request, so that its booking can be found among the day's."""
    slot = request.slot.replace(":", "")
    return f"slot-fill+{context.run[:12]}.c{context.concurrency}.{slot}.{request.index}@example.com"


def classify(http_status: int, problem: str | None) -> Outcome:
    """The outcome of a refusal: a clean 409 or 422 is a rejection, anything else an error."""
    if http_status == 409 and problem == "no-availability":
        return Outcome.REJECTED_NO_AVAILABILITY
    if http_status == 422 and problem in NOT_OFFERED:
        return Outcome.REJECTED_NOT_OFFERED
    return Outcome.ERROR


async def _book(
    context: Attempt, request: PlannedRequest, answer: _Answer, began: float
) -> Outcome:
    client, slug = context.client, context.venue.slug
    body: dict[str, Any] = {
        "party_size": request.party_size,
        "date": context.day.isoformat(),
        "time": request.slot,
    }
    hold_id = None
    # Above the online limit a venue takes no holds: such parties book directly.
    if context.two_phase and request.party_size <= context.venue.max_online_party_size:
        response = await client.post(f"/v1/restaurants/{slug}/holds", json=body)
        answer.hold_ms = answer.submit_ms = _since(began)
        if response.status_code != 201:
            return _refused(response, answer)
        hold_id = response.json()["id"]
    body["guest"] = {
        "name": f"Slot fill {request.slot} #{request.index}",
        "email": guest_email(context, request),
    }
    body["source"] = "load_test"
    if hold_id is not None:
        body["hold_id"] = hold_id
    response = await _submit(context, request, body)
    answer.submit_ms = _since(began)
    answer.replayed = response.headers.get("Idempotent-Replayed") == "true"
    if response.status_code not in (201, 202):
        if hold_id is not None:
            await _release(client, hold_id)
            if _problem(response)[0] == "idempotency-key-reused":
                # Resumed: the interrupted run booked this request on another hold.
                return await _recover(context, request, answer)
        return _refused(response, answer)
    answer.http_status = response.status_code
    answer.booking = response.json()
    return await _settle(context, answer)


async def _submit(
    context: Attempt, request: PlannedRequest, body: dict[str, Any]
) -> httpx.Response:
    path = f"/v1/restaurants/{context.venue.slug}/bookings"
    headers = {"Idempotency-Key": idempotency_key(context, request)}
    for _ in range(KEY_IN_USE_RETRIES):
        response = await context.client.post(path, json=body, headers=headers)
        if _problem(response)[0] != "idempotency-key-in-use":
            break
        await asyncio.sleep(KEY_IN_USE_PAUSE_SECONDS)
    return response


async def _settle(context: Attempt, answer: _Answer) -> Outcome:
    """Confirmed, or pending: poll the booking until it is confirmed or time runs out."""
    status = answer.booking["status"]
    if status == "confirmed":
        return Outcome.CONFIRMED_INLINE
    if status != "pending":
        answer.detail = f"the booking was made {status}"
        return Outcome.ERROR
    polling = perf_counter()
    deadline = polling + context.poll_timeout
    pause = FIRST_POLL_SECONDS
    while status == "pending" and perf_counter() < deadline:
        await asyncio.sleep(min(pause, max(deadline - perf_counter(), 0.0)))
        pause = min(pause * 2, LONGEST_POLL_SECONDS)
        response = await context.client.get(f"/v1/bookings/{answer.booking['id']}")
        if response.status_code != 200:
            answer.poll_ms = _since(polling)
            return _refused(response, answer)
        answer.booking = response.json()
        status = answer.booking["status"]
    answer.poll_ms = _since(polling)
    if status == "confirmed":
        return Outcome.CONFIRMED_POLL
    if status == "pending":
        return Outcome.PENDING_TIMEOUT
    answer.detail = f"the pending booking became {status}"
    return Outcome.ERROR


async def _recover(context: Attempt, request: PlannedRequest, answer: _Answer) -> Outcome:
    email = guest_email(context, request)
    for booking in await day_bookings(context.client, context.venue.slug, context.day):
        if booking["guest"]["email"] == email:
            answer.http_status, answer.booking, answer.replayed = 200, booking, True
            return await _settle(context, answer)
    answer.detail = "the key was used, but its booking is not among the day's"
    return Outcome.ERROR


async def _release(client: httpx.AsyncClient, hold_id: str) -> None:
    """Give back a hold whose booking failed, so it does not block the floor until it expires."""
    await client.delete(f"/v1/holds/{hold_id}")


def _refused(response: httpx.Response, answer: _Answer) -> Outcome:
    answer.http_status = response.status_code
    answer.problem, answer.detail = _problem(response)
    return classify(response.status_code, answer.problem)


def _problem(response: httpx.Response) -> tuple[str | None, str]:
    """The problem type and detail of a refusal (or the start of whatever else it sent)."""
    if response.is_success:
        return None, ""
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:300]
    if not isinstance(body, dict):
        return None, response.text[:300]
    return body.get("type"), str(body.get("detail") or body.get("title") or "")[:300]


def _seats(venue: VenueInfo, tables: Sequence[str]) -> int | None:
    if not tables or any(label not in venue.capacities for label in tables):
        return None
    return sum(venue.capacities[label] for label in tables)


def _since(began: float) -> float:
    return round((perf_counter() - began) * 1000, 3)
