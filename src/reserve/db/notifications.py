"""What the database says when a venue's floor changes: the migrations' triggers notify the
channel ``reserve_floor`` from every transaction that changes what the host stand shows,
and ``listen`` hears them on a connection of its own.

PostgreSQL sends a notification when its transaction commits, to every connection that
listens on that database at the time; one lost meanwhile hears nothing of what it missed.
So ``listen`` says when it (re)connects, and whoever relies on it refreshes then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import psycopg
from psycopg.conninfo import make_conninfo

from reserve.db.database import first_line
from reserve.db.floor_changes import CHANNEL

log = logging.getLogger("reserve.db.notifications")

ANY_DAY = "*"
# A connection quiet this long is asked a question: one lost without a word (a cable pulled,
# a firewall's idle timeout) is found within a ping, not when the next change never comes.
PING_SECONDS = 15.0
PING_TIMEOUT_SECONDS = 5.0
FIRST_RETRY_SECONDS = 0.5
LAST_RETRY_SECONDS = 1.0  # once the database is back, heard again within a second


@dataclass(frozen=True, slots=True)
class FloorChange:
    restaurant_id: UUID
    day: date | None  # None: any day (the floor itself, a block, the waitlist)


def parse(payload: str) -> FloorChange | None:
    """The change a notification names; None for a payload no trigger of ours sends."""
    restaurant, _, day = payload.partition(" ")
    try:
        return FloorChange(UUID(restaurant), None if day == ANY_DAY else date.fromisoformat(day))
    except ValueError:
        return None


async def listen(
    conninfo: str,
    changed: Callable[[FloorChange], None],
    connected: Callable[[], None],
) -> None:
    """Until cancelled: listen on a connection of its own, calling ``changed`` for every
    change and ``connected`` every time it is listening (again). When the database goes,
    it says so once, tries again with a growing pause, and says when it is back."""
    conninfo = make_conninfo(
        conninfo,
        connect_timeout=5,
        application_name="reserve floor listener",
        keepalives=1,
        keepalives_idle=30,
        keepalives_interval=10,
        keepalives_count=3,
    )
    pause = FIRST_RETRY_SECONDS
    lost = False
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                if lost:
                    log.info("hearing the floor's changes again")
                    lost = False
                pause = FIRST_RETRY_SECONDS
                connected()
                await _hear(conn, changed)
        except (psycopg.Error, TimeoutError, OSError) as error:
            if not lost:
                log.warning("lost the floor's changes (%s); trying again", first_line(error))
                lost = True
        await asyncio.sleep(pause)
        pause = min(pause * 2, LAST_RETRY_SECONDS)


async def _hear(
    conn: psycopg.AsyncConnection[tuple[object, ...]], changed: Callable[[FloorChange], None]
) -> None:
    while True:
        async for notice in conn.notifies(timeout=PING_SECONDS):
            change = parse(notice.payload)
            if change is not None:
                changed(change)
        await asyncio.wait_for(conn.execute("SELECT 1"), PING_TIMEOUT_SECONDS)
