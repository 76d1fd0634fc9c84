"""What a level's records add up to: outcomes, latency and its distribution, throughput,
covers, seat waste, per slot, the seats in use at each slot; and the comparison of levels."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from reserve.loadtest.log import Outcome, Record

# The outcomes a clean run has none of, or few: answered pending, still pending, error.
NOTABLE = (Outcome.CONFIRMED_POLL, Outcome.PENDING_TIMEOUT, Outcome.ERROR)
FIRST_LISTED = 3
# Upper edges of the latency distribution's buckets, in milliseconds (the last is open).
LATENCY_EDGES_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 to 100), interpolating linearly between the two nearest
    ranks (as numpy does by default). ValueError for no values."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is not between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    below, above = math.floor(position), math.ceil(position)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


@dataclass(frozen=True, slots=True)
class Latency:
    """Milliseconds; None throughout when nothing was measured."""

    count: int
    avg: float | None
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Latency:
        measured = [value for value in values if value is not None]
        if not measured:
            return cls(0, None, None, None, None, None)
        return cls(
            count=len(measured),
            avg=_ms(sum(measured) / len(measured)),
            p50=_ms(percentile(measured, 50)),
            p95=_ms(percentile(measured, 95)),
            p99=_ms(percentile(measured, 99)),
            max=_ms(max(measured)),
        )


@dataclass(frozen=True, slots=True)
class SlotRow:
    slot: str
    requests: int
    booked: int
    pending_timeout: int
    rejected_no_availability: int
    rejected_not_offered: int
    errors: int
    covers: int
    seat_waste: int


@dataclass(frozen=True, slots=True)
class SeatsAt:
    """The floor at one slot's time, as the level's bookings take it: guests at tables, the
    seats their tables leave empty, and the seats none of them takes."""

    slot: str
    covers: int
    empty: int
    free: int


@dataclass(frozen=True, slots=True)
class Bucket:
    """Requests answered in ``[from_ms, to_ms)``; ``to_ms`` None for the open last one."""

    from_ms: float
    to_ms: float | None
    count: int


@dataclass(frozen=True, slots=True)
class Logged:
    """A record and its line in the log (None when the log did not say)."""

    line: int | None
    record: Record


@dataclass(frozen=True, slots=True)
class State:
    """How many requests ended in one notable outcome, and the first of them."""

    count: int
    first: list[Logged]

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "first": [{"line": item.line, "record": asdict(item.record)} for item in self.first],
        }


@dataclass(frozen=True, slots=True)
class LevelMetrics:
    concurrency: int
    requests: int
    wall_seconds: float
    outcomes: dict[Outcome, int]
    submit: Latency
    submit_total_ms: float  # the time the requests took to be answered, added up
    poll: Latency
    total: Latency
    bookings: int
    covers_booked: int
    seat_waste: int
    tables: int
    slots: list[SlotRow]
    floor_seats: int
    seats_at: list[SeatsAt]
    submit_distribution: list[Bucket]
    states: dict[Outcome, State]

    @property
    def errors(self) -> int:
        return self.outcomes[Outcome.ERROR]

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def seat_waste_per_booking(self) -> float | None:
        return _ratio(self.seat_waste, self.bookings)

    @property
    def tables_per_booking(self) -> float | None:
        return _ratio(self.tables, self.bookings)

    def to_json(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "requests": self.requests,
            "wall_seconds": round(self.wall_seconds, 3),
            "throughput": {
                "requests_per_second": round(self.requests_per_second, 2),
                "bookings_per_second": round(
                    self.bookings / self.wall_seconds if self.wall_seconds else 0.0, 2
                ),
            },
            "outcomes": {
                str(outcome): {"count": count, "rate": _ratio(count, self.requests) or 0.0}
                for outcome, count in self.outcomes.items()
            },
            "latency_ms": {
                "submit": asdict(self.submit),
                "poll": asdict(self.poll),
                "total": asdict(self.total),
            },
            "bookings": self.bookings,
            "covers_booked": self.covers_booked,
            "seat_waste": {"total": self.seat_waste, "per_booking": self.seat_waste_per_booking},
            "tables_per_booking": self.tables_per_booking,
            "slots": [asdict(row) for row in self.slots],
            "outcome_states": {str(o): state.to_json() for o, state in self.states.items()},
            "seats_by_slot": {
                "floor_seats": self.floor_seats,
                "slots": [asdict(row) for row in self.seats_at],
            },
            "submit_distribution_ms": [asdict(bucket) for bucket in self.submit_distribution],
        }

    def comparison_row(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "requests": self.requests,
            "wall_seconds": round(self.wall_seconds, 3),
            "requests_per_second": round(self.requests_per_second, 2),
            "bookings": self.bookings,
            "covers_booked": self.covers_booked,
            "rejected": self.outcomes[Outcome.REJECTED_NO_AVAILABILITY]
            + self.outcomes[Outcome.REJECTED_NOT_OFFERED],
            "pending_timeout": self.outcomes[Outcome.PENDING_TIMEOUT],
            "errors": self.errors,
            "submit_p50_ms": self.submit.p50,
            "submit_p99_ms": self.submit.p99,
            "total_p99_ms": self.total.p99,
            "seat_waste_per_booking": self.seat_waste_per_booking,
        }


def level_metrics(
    concurrency: int,
    records: Sequence[Record],
    slots: Sequence[str],
    floor_seats: int = 0,
    lines: Mapping[tuple[str, int], int] | None = None,
) -> LevelMetrics:
    """The metrics of one level's records; ``slots`` orders the per-slot table,
    ``floor_seats`` is the venue's seats and ``lines`` each record's line in the log."""
    booked = [record for record in records if record.outcome.booked]
    outcomes = dict.fromkeys(Outcome, 0)
    for record in records:
        outcomes[record.outcome] += 1
    return LevelMetrics(
        concurrency=concurrency,
        requests=len(records),
        wall_seconds=wall_seconds(records),
        outcomes=outcomes,
        submit=Latency.of(record.submit_ms for record in records),
        submit_total_ms=sum(record.submit_ms or 0.0 for record in records),
        poll=Latency.of(record.poll_ms for record in records),
        total=Latency.of(record.total_ms for record in records),
        bookings=len(booked),
        covers_booked=sum(record.party_size for record in booked),
        seat_waste=sum(record.seat_waste or 0 for record in booked),
        tables=sum(len(record.tables) for record in booked),
        slots=[_slot_row(slot, [r for r in records if r.slot == slot]) for slot in slots],
        floor_seats=floor_seats,
        seats_at=seats_at(booked, slots, floor_seats),
        submit_distribution=distribution(record.submit_ms for record in records),
        states={
            outcome: _state([r for r in records if r.outcome is outcome], lines or {})
            for outcome in NOTABLE
        },
    )


def seats_at(booked: Sequence[Record], slots: Sequence[str], floor_seats: int) -> list[SeatsAt]:
    """At each slot's time, the bookings at their tables then: from their start until their
    guests leave (a booking logged without its end counts at its own slot only)."""
    windows = [(_minutes(record.slot), _end_minutes(record), record) for record in booked]
    rows = []
    for slot in slots:
        at = _minutes(slot)
        present = [record for start, end, record in windows if start <= at < end]
        covers = sum(record.party_size for record in present)
        empty = sum(record.seat_waste or 0 for record in present)
        taken = sum(record.seats or record.party_size for record in present)
        rows.append(SeatsAt(slot, covers, empty, max(floor_seats - taken, 0)))
    return rows


def distribution(values: Iterable[float | None]) -> list[Bucket]:
    """How many values fall in each of the ``LATENCY_EDGES_MS`` buckets."""
    counts = [0] * (len(LATENCY_EDGES_MS) + 1)
    for value in values:
        if value is not None:
            counts[sum(value >= edge for edge in LATENCY_EDGES_MS)] += 1
    lower = (0, *LATENCY_EDGES_MS)
    upper: tuple[float | None, ...] = (*LATENCY_EDGES_MS, None)
    return [Bucket(low, high, n) for low, high, n in zip(lower, upper, counts, strict=True)]


def wall_seconds(records: Iterable[Record]) -> float:
    """From the first request's start to the last one's end, summed over the invocations
    (segments) of the run, so the pause of an interrupted run does not count."""
    spans: dict[str, tuple[float, float]] = {}
    for record in records:
        began = datetime.fromisoformat(record.started_at).timestamp()
        ended = began + record.total_ms / 1000
        first, last = spans.get(record.segment, (began, ended))
        spans[record.segment] = (min(first, began), max(last, ended))
    return sum(last - first for first, last in spans.values())


def _slot_row(slot: str, records: Sequence[Record]) -> SlotRow:
    def count(outcome: Outcome) -> int:
        return sum(record.outcome is outcome for record in records)

    booked = [record for record in records if record.outcome.booked]
    return SlotRow(
        slot=slot,
        requests=len(records),
        booked=len(booked),
        pending_timeout=count(Outcome.PENDING_TIMEOUT),
        rejected_no_availability=count(Outcome.REJECTED_NO_AVAILABILITY),
        rejected_not_offered=count(Outcome.REJECTED_NOT_OFFERED),
        errors=count(Outcome.ERROR),
        covers=sum(record.party_size for record in booked),
        seat_waste=sum(record.seat_waste or 0 for record in booked),
    )


def _state(records: Sequence[Record], lines: Mapping[tuple[str, int], int]) -> State:
    first = [Logged(lines.get(record.key), record) for record in records[:FIRST_LISTED]]
    return State(len(records), first)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _end_minutes(record: Record) -> int:
    """When the guests leave, in minutes from the service day's midnight."""
    if record.end_at is None:
        return _minutes(record.slot) + 1
    end = datetime.fromisoformat(record.end_at)  # in the venue's offset: its local time
    days = (end.date() - date.fromisoformat(record.date)).days
    return days * 24 * 60 + end.hour * 60 + end.minute


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _ms(value: float) -> float:
    return round(value, 3)
