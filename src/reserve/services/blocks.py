"""Blocks: staff take tables out of service for a while (a private event, a broken chair).

A block is checked like a booking: under the day lock of every service date it touches,
against what already occupies its tables; a clash is refused naming what is in the way,
never left for the exclusion constraint to catch. It may run past midnight and over
several days: its tables then take one allocation per service date, so each day's
timeline shows its part, and each day's list of blocks lists it. Removing a block frees its
tables at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from reserve.db import allocations, holds
from reserve.db.allocations import TableUse
from reserve.db.database import Connection, scope_to_restaurant
from reserve.domain.errors import InvalidRequest, NoAvailability, NotFound
from reserve.domain.timing import day_start, local_instant
from reserve.services.authorisation import Caller, require_staff, staff_venue
from reserve.services.context import Context
from reserve.services.seating import check_day, lock_days
from reserve.services.venue_state import VenueState

LONGEST_BLOCK = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class Block:
    id: UUID
    tables: tuple[str, ...]
    start_at: datetime
    end_at: datetime
    reason: str


def block(
    ctx: Context,
    slug: str,
    labels: Sequence[str],
    day: date,
    start: time,
    end: time,
    reason: str,
    caller: Caller,
    *,
    end_day: date | None = None,
) -> Block:
    """Take tables out of service from ``start`` on ``day`` to ``end`` on ``end_day`` (the
    same day unless given)."""

    def work(conn: Connection) -> Block:
        state = staff_venue(ctx, conn, slug, caller)
        chosen = sorted(set(labels))
        unknown = [label for label in chosen if label not in state.table_ids]
        if unknown or not chosen:
            raise InvalidRequest(f"unknown tables: {', '.join(unknown) or '-'}", fields=("tables",))
        starts, ends = _span(state, day, start, end_day or day, end)
        days = _service_days(starts, ends)
        # The day before too: its bookings' windows may run on past midnight.
        lock_days(ctx, conn, state, days[0] - timedelta(days=1), *days)
        now = ctx.clock()
        allocations.purge_expired_holds(conn, state.restaurant_id, now)
        table_ids = [state.table_ids[label] for label in chosen]
        in_the_way = allocations.taken_between(
            conn, state.restaurant_id, table_ids, starts, ends, now
        )
        if in_the_way:
            raise NoAvailability(_clash(state, in_the_way))
        block_id = uuid4()
        holds.insert_block(
            conn,
            state.restaurant_id,
            block_id,
            start_at=starts,
            end_at=ends,
            reason=reason,
            created_by=caller.actor,
        )
        for service_date, piece_starts, piece_ends in _pieces(state, starts, ends):
            allocations.allocate_tables(
                conn,
                state.restaurant_id,
                table_ids,
                owner="block",
                owner_id=block_id,
                service_date=service_date,
                start=piece_starts,
                end=piece_ends,
            )
        return Block(block_id, tuple(chosen), starts, ends, reason)

    return ctx.database.run(work)


def blocks_of_day(ctx: Context, slug: str, day: date, caller: Caller) -> list[Block]:
    """The blocks with a part on ``day`` (those spanning midnight included), by start;
    times in the venue's zone."""
    check_day(day)

    def work(conn: Connection) -> list[Block]:
        state = staff_venue(ctx, conn, slug, caller)
        zone = ZoneInfo(state.venue.timezone)
        return [
            Block(
                found.id,
                found.tables,
                found.start_at.astimezone(zone),
                found.end_at.astimezone(zone),
                found.reason,
            )
            for found in holds.blocks_of_day(conn, state.restaurant_id, day)
        ]

    return ctx.database.run(work)


def remove_block(ctx: Context, block_id: UUID, caller: Caller) -> None:
    """Put the block's tables back in service (staff of its venue only; to anyone else the
    block does not exist)."""
    require_staff(caller)

    def work(conn: Connection) -> None:
        restaurant_id = holds.block_restaurant_of(conn, block_id)
        if restaurant_id is None or not caller.is_staff_of(restaurant_id):
            raise NotFound("no such block")
        scope_to_restaurant(conn, restaurant_id)
        if not holds.delete_block(conn, restaurant_id, block_id):
            raise NotFound("no such block")

    ctx.database.run(work)


def _span(
    state: VenueState, day: date, start: time, end_day: date, end: time
) -> tuple[datetime, datetime]:
    check_day(day)
    check_day(end_day)
    starts = local_instant(state.venue.timezone, day, start, field="start")
    ends = local_instant(state.venue.timezone, end_day, end, field="end")
    if ends.timestamp() <= starts.timestamp():  # aware times of one zone compare by the wall
        raise InvalidRequest("a block must end after it starts", fields=("end",))
    if ends - starts > LONGEST_BLOCK:
        raise InvalidRequest(
            f"a block lasts at most {LONGEST_BLOCK.days} days", fields=("end_date",)
        )
    return starts, ends


def _service_days(starts: datetime, ends: datetime) -> list[date]:
    """Every local date the span ``[starts, ends)`` touches (both in the venue's zone)."""
    last = (ends - timedelta(microseconds=1)).date()
    count = (last - starts.date()).days + 1
    return [starts.date() + timedelta(days=offset) for offset in range(count)]


def _pieces(
    state: VenueState, starts: datetime, ends: datetime
) -> list[tuple[date, datetime, datetime]]:
    """The span cut at the venue's midnights: (service date, start, end) for each day."""
    pieces = []
    for day in _service_days(starts, ends):
        opens = day_start(state.venue.timezone, day)
        closes = day_start(state.venue.timezone, day + timedelta(days=1))
        # By the instant: aware times of one zone would compare by the wall clock.
        pieces.append(
            (
                day,
                max(starts, opens, key=datetime.timestamp),
                min(ends, closes, key=datetime.timestamp),
            )
        )
    return pieces


def _clash(state: VenueState, uses: Sequence[TableUse]) -> str:
    """What is in the way, as staff would say it: the bookings by reference."""
    zone = ZoneInfo(state.venue.timezone)
    tables = sorted({use.label for use in uses})
    owners = []
    for use in uses:
        if use.kind == "booking":
            owners.append(
                f"booking {use.reference} ({use.label}, {use.starts.astimezone(zone):%H:%M})"
            )
        else:
            owners.append(f"a {use.kind} ({use.label})")
    shown = ", ".join(dict.fromkeys(owners))
    return f"{', '.join(tables)} {'is' if len(tables) == 1 else 'are'} taken then: {shown}"
