"""Live updates for the host stand: each process listens for the database's floor changes
(``reserve.db.notifications``) on one connection, and tells every open page of the venue
changed which day changed.

A page subscribes for a restaurant (and the day it shows); what it is told piles up as a
set of days until it asks, so a burst of changes costs it one refresh, and a slow page
holds no queue. When the listener (re)connects it may have missed changes, so it tells
every page to refresh. Everything here runs on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import Callable, Iterator
from datetime import date
from uuid import UUID

from reserve.db.database import Connection
from reserve.db.notifications import FloorChange, listen
from reserve.services.authorisation import Caller, staff_venue
from reserve.services.context import Context

# How long the feed remembers a venue's changes, for a page that subscribes a moment after
# it was rendered (``subscribe``'s ``age``), and how much later than its render a change may
# be heard (the listener is told after the commit; the page read before it).
REMEMBERED_SECONDS = 60.0
HEARD_LATE_SECONDS = 1.0

Days = frozenset[date | None]  # None: any day

_feeds: weakref.WeakSet[FloorFeed] = weakref.WeakSet()


class Subscription:
    """One open page's changes: the days changed since it last asked."""

    def __init__(self, restaurant_id: UUID, day: date | None) -> None:
        self.restaurant_id = restaurant_id
        self.day = day  # None: every day of the venue
        self.ended = False
        self._days: set[date | None] = set()
        self._told = asyncio.Event()

    def tell(self, day: date | None) -> None:
        if day is None or self.day is None or day == self.day:
            self._days.add(day)
            self._told.set()

    def end(self) -> None:
        self.ended = True
        self._told.set()

    async def changes(self, timeout: float) -> Days:
        """The days changed since the last call (empty when none changed within ``timeout``
        seconds, or when the subscription has ended)."""
        if not self._days and not self.ended:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._told.wait(), timeout)
        self._told.clear()
        days = frozenset(self._days)
        self._days.clear()
        return days


class FloorFeed:
    """The process's listener and the subscriptions it tells, by restaurant."""

    def __init__(self, conninfo: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._conninfo = conninfo
        self._clock = clock
        self._subscribers: dict[UUID, set[Subscription]] = {}
        self._recent: dict[UUID, dict[date | None, float]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ended = False
        self.connections = 0  # how often the listener has connected: twice, it came back
        _feeds.add(self)

    def start(self) -> None:
        self._ended = False
        self._task = asyncio.create_task(listen(self._conninfo, self._changed, self._connected))

    async def stop(self) -> None:
        self.end_streams()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def end_streams(self) -> None:
        """End every subscription, and every one taken from now on: the process is stopping."""
        self._ended = True
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                subscription.end()

    @contextlib.contextmanager
    def subscribe(
        self, restaurant_id: UUID, day: date | None = None, *, age: float | None = None
    ) -> Iterator[Subscription]:
        """Changes of ``restaurant_id`` (on ``day``, or on any day) until the block ends.
        A page rendered ``age`` seconds ago is told at once of a change it may have missed."""
        subscription = Subscription(restaurant_id, day)
        if self._ended:
            subscription.end()
        if age is not None:
            since = self._clock() - age - HEARD_LATE_SECONDS
            for changed, at in self._recent.get(restaurant_id, {}).items():
                if at >= since:
                    subscription.tell(changed)
        self._subscribers.setdefault(restaurant_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._subscribers.get(restaurant_id, set())
            subscribers.discard(subscription)
            if not subscribers:
                self._subscribers.pop(restaurant_id, None)

    @property
    def subscribers(self) -> int:
        return sum(len(subscribers) for subscribers in self._subscribers.values())

    def _changed(self, change: FloorChange) -> None:
        now = self._clock()
        recent = self._recent.setdefault(change.restaurant_id, {})
        recent[change.day] = now
        for day, at in list(recent.items()):
            if at < now - REMEMBERED_SECONDS:
                del recent[day]
        for subscription in self._subscribers.get(change.restaurant_id, ()):
            subscription.tell(change.day)

    def _connected(self) -> None:
        self.connections += 1
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                subscription.tell(None)


def watched_venue(ctx: Context, slug: str, caller: Caller) -> UUID:
    """The id of the restaurant named ``slug``, if the caller is its staff (else, as if it
    did not exist, ``NotFound``)."""

    def work(conn: Connection) -> UUID:
        return staff_venue(ctx, conn, slug, caller).restaurant_id

    return ctx.database.run(work)


def end_all_streams() -> None:
    """End the subscriptions of every feed of this process, before the server waits for its
    open responses to finish: a live stream never finishes of itself."""
    for feed in list(_feeds):
        feed.end_streams()
