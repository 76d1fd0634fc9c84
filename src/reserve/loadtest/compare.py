"""What a comparison of levels concludes, in plain sentences made from its figures: how
seat waste and covers, submit latency and the wait for the day's lock, and the bookings
left pending move with concurrency."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

# A figure whose highest and lowest differ by less than this share of the highest held.
STEADY = 0.03


@dataclass(frozen=True, slots=True)
class Figures:
    """One level's figures that a conclusion speaks of. The lock figures are None when the
    server's /metrics could not be read (``lock_error`` says why)."""

    concurrency: int
    requests: int
    seat_waste_per_booking: float | None
    covers: int
    submit_p50_ms: float | None
    submit_p99_ms: float | None
    submit_total_ms: float
    lock_wait_ms: float | None  # added up over the level
    lock_error: str | None
    answered_pending: int
    still_pending: int

    @property
    def submit_ms_a_request(self) -> float | None:
        return self.submit_total_ms / self.requests if self.requests else None

    @property
    def lock_ms_a_request(self) -> float | None:
        if self.lock_wait_ms is None or not self.requests:
            return None
        return self.lock_wait_ms / self.requests

    @property
    def lock_share(self) -> float | None:
        if self.lock_wait_ms is None or self.submit_total_ms <= 0:
            return None
        return min(self.lock_wait_ms / self.submit_total_ms, 1.0)


def conclude(levels: Sequence[Figures]) -> list[str]:
    """One to three sentences; none for no level."""
    if not levels:
        return []
    ordered = sorted(levels, key=lambda level: level.concurrency)
    if len(ordered) == 1:
        return [_queueing_alone(ordered[0]), *_pending(ordered)]
    return [_floor(ordered), _time(ordered), *_pending(ordered)]


def clients(concurrency: int) -> str:
    return f"{concurrency} client" if concurrency == 1 else f"{concurrency} clients"


def movement(
    values: Sequence[tuple[int, float]],
    show: Callable[[float], str],
    *,
    named: bool = True,
    plural: bool = False,
) -> str:
    """How a figure moves as concurrency rises, ``values`` in order of concurrency: it
    held, barely moved, rose, fell (from the first level to the last, named unless
    ``named`` is false), or peaked between them (the highest and lowest always named);
    ``plural`` for a figure that takes "were"."""
    (first_level, first), (last_level, last) = values[0], values[-1]
    low_level, low = min(values, key=lambda pair: pair[1])
    high_level, high = max(values, key=lambda pair: pair[1])
    if show(low) == show(high):
        return f"held at {show(first)}"
    if high - low <= STEADY * max(abs(high), abs(low)):
        return f"barely moved ({show(first)} to {show(last)})"
    figures = [value for _, value in values]
    pairs = list(pairwise(figures))
    if all(a <= b for a, b in pairs) or all(a >= b for a, b in pairs):
        way = "rose" if last > first else "fell"
        if not named:
            return f"{way} from {show(first)} to {show(last)}"
        return (
            f"{way} from {show(first)} at {clients(first_level)} to {show(last)} at "
            f"{clients(last_level)}"
        )
    return (
        f"{'were' if plural else 'was'} highest at {clients(high_level)} ({show(high)}) and "
        f"lowest at {clients(low_level)} ({show(low)})"
    )


def _floor(levels: Sequence[Figures]) -> str:
    waste = [
        (level.concurrency, level.seat_waste_per_booking)
        for level in levels
        if level.seat_waste_per_booking is not None
    ]
    covers = [(level.concurrency, float(level.covers)) for level in levels]
    if len(waste) < 2:
        moved = movement(covers, _thousands, plural=True)
        return f"Too few levels booked anything to compare seat waste; covers {moved}."
    wasted = movement(waste, lambda value: f"{value:.2f}")
    # Rising or falling, the seat waste named the first and last levels already.
    moved = movement(covers, _thousands, named=not wasted.startswith(("rose", "fell")), plural=True)
    return f"Seat waste per booking {wasted}, and covers {moved}."


def _time(levels: Sequence[Figures]) -> str:
    p50 = _known([(level.concurrency, level.submit_p50_ms) for level in levels])
    p99 = _known([(level.concurrency, level.submit_p99_ms) for level in levels])
    sentence = f"Submit p50 {movement(p50, _ms)} and p99 {movement(p99, _ms, named=False)}"
    unknown = next((level.lock_error for level in levels if level.lock_error is not None), None)
    if unknown is not None:
        return f"{sentence}; the wait for the day's lock is not known ({unknown})."
    lock = _known([(level.concurrency, level.lock_ms_a_request) for level in levels])
    sentence += "; the wait for the day's lock per request, as the server measured it, " + movement(
        lock, _ms, named=False
    )
    low, high = levels[0], levels[-1]
    share = high.lock_share
    if share is not None:
        sentence += f", {share:.0%} of the submit time at {clients(high.concurrency)}"
    added = _added(low, high)
    if added is None:
        return sentence + "."
    span = f"from {clients(low.concurrency)} to {clients(high.concurrency)}"
    if added >= 0.5:
        return sentence + f": most of the submit time added {span} ({added:.0%}) is that queue."
    return sentence + (
        f": that queue is {added:.0%} of the submit time added {span}, the rest is spent elsewhere."
    )


def _added(low: Figures, high: Figures) -> float | None:
    """The share of the submit time added from the lowest level to the highest that is
    added wait for the lock; None when submitting got no slower."""
    low_submit, high_submit = low.submit_ms_a_request, high.submit_ms_a_request
    low_lock, high_lock = low.lock_ms_a_request, high.lock_ms_a_request
    if low_submit is None or high_submit is None or low_lock is None or high_lock is None:
        return None
    if high_submit <= low_submit * (1 + STEADY):
        return None
    return max(min((high_lock - low_lock) / (high_submit - low_submit), 1.0), 0.0)


def _queueing_alone(level: Figures) -> str:
    at = clients(level.concurrency)
    if level.lock_error is not None:
        return f"At {at} the wait for the day's lock is not known ({level.lock_error})."
    share, each = level.lock_share, level.lock_ms_a_request
    if share is None or each is None:
        return f"At {at} no request was timed, so the day lock's share is not known."
    return (
        f"At {at}, {share:.0%} of the submit time ({_ms(each)} a request) was spent queueing "
        "for the day's lock."
    )


def _pending(levels: Sequence[Figures]) -> list[str]:
    """The bookings the server answered pending (202) instead of confirming at once."""
    if not any(level.answered_pending for level in levels):
        return []
    if len(levels) > 1:
        answered = [(level.concurrency, float(level.answered_pending)) for level in levels]
        sentence = "Bookings answered pending (202) " + movement(answered, _count, plural=True)
    else:
        count = levels[0].answered_pending
        sentence = f"{count} booking{'' if count == 1 else 's'} answered pending (202)"
    still = sum(level.still_pending for level in levels)
    if still:
        sentence += f"; {still} {'was' if still == 1 else 'were'} still pending at the poll timeout"
    if still and len(levels) > 1:
        worst = max(levels, key=lambda level: level.still_pending)
        sentence += f", {worst.still_pending} at {clients(worst.concurrency)}"
    return [sentence + "."]


def _known(values: Sequence[tuple[int, float | None]]) -> list[tuple[int, float]]:
    known = [(level, value) for level, value in values if value is not None]
    return known or [(values[0][0], 0.0)]


def _thousands(value: float) -> str:
    return f"{value:,.0f}"


def _count(value: float) -> str:
    return f"{value:.0f}"


def _ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 1 else f"{value:.1f} ms"
