"""An ``Outlook`` learned from history: what a restaurant knows about a day before it comes.

The measured traces are never looked at. The history is other days like it (traces of
other seeds, ``HISTORY_SEED_OFFSET`` away): the covers usually asked for at each start
time, how many requests a day brings, and how long parties stay. During a replay, the
share of demand still to come after ``i`` requests is ``1 - i / usual requests``: bookings
for a day arrive spread over its booking horizon, so the count so far tells how far along
it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from statistics import mean

from bench.traces import DEFAULT_DEMAND, TraceRequest, generate_traces
from reserve.domain.allocator import Expected, Outlook
from reserve.domain.venue import Venue

HISTORY_SEED_OFFSET = 10_000
HISTORY_DAYS = 20

OutlookFor = Callable[[TraceRequest], Outlook]


def history_outlook(
    venue: Venue, day: date, seed: int, demand: float = DEFAULT_DEMAND
) -> OutlookFor:
    """The outlook at each request of a replay, from ``HISTORY_DAYS`` days of history."""
    history = generate_traces(venue, day, seed + HISTORY_SEED_OFFSET, HISTORY_DAYS, demand)
    kinds: Counter[tuple[int, float, float]] = Counter()
    for trace in history:
        for request in trace.requests:
            kinds[request.party_size, request.start, request.occupied_until] += 1
    usual_requests = mean(len(trace.requests) for trace in history)

    def outlook_for(request: TraceRequest) -> Outlook:
        remaining = max(0.0, 1.0 - request.index / usual_requests)
        return Outlook(
            tuple(
                Expected(size, start, end, count * remaining / HISTORY_DAYS)
                for (size, start, end), count in sorted(kinds.items())
            )
        )

    return outlook_for
