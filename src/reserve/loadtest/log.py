"""The JSON-lines log: one record per request, written as each request finishes, and what a
log says about where an interrupted run continues."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from reserve.loadtest.plan import Plan, PlannedRequest

LOG_NAME = "slot-fill.jsonl"


class LogError(Exception):
    """A log that cannot be read, or does not belong to the run being resumed."""


class Outcome(StrEnum):
    CONFIRMED_INLINE = "confirmed_inline"  # 201 confirmed
    CONFIRMED_POLL = "confirmed_poll"  # 202 pending, confirmed while polling
    PENDING_TIMEOUT = "pending_timeout"  # 202 pending, still pending at --poll-timeout
    REJECTED_NO_AVAILABILITY = "rejected_no_availability"  # 409 no-availability
    REJECTED_NOT_OFFERED = "rejected_not_offered"  # 422 outside-service-hours, party-too-large
    ERROR = "error"  # anything else

    @property
    def booked(self) -> bool:
        return self in (Outcome.CONFIRMED_INLINE, Outcome.CONFIRMED_POLL)


@dataclass(frozen=True, slots=True)
class Record:
    """One request as logged. Times in milliseconds: ``submit_ms`` until the booking's first
    answer (the hold included, with --two-phase), ``poll_ms`` polling a pending booking (None
    without), ``total_ms`` both. Seat waste is the seats at the tables beyond the party (none
    on an extended table), None without tables."""

    run: str
    segment: str  # one invocation: a resumed run adds a segment
    restaurant: str
    date: str
    seed: int
    two_phase: bool
    concurrency: int
    slot: str
    request: int
    party_size: int
    idempotency_key: str
    started_at: str
    outcome: Outcome
    http_status: int | None
    problem: str | None = None
    detail: str | None = None
    booking_id: str | None = None
    status: str | None = None
    replayed: bool = False
    hold_ms: float | None = None
    submit_ms: float | None = None
    poll_ms: float | None = None
    total_ms: float = 0.0
    tables: list[str] = field(default_factory=list)
    seats: int | None = None
    seat_waste: int | None = None
    end_at: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return self.slot, self.request

    def to_line(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":")) + "\n"

    @classmethod
    def of_line(cls, line: str) -> Record:
        data: Any = json.loads(line)
        if not isinstance(data, dict) or not {f.name for f in fields(cls)} >= data.keys():
            raise ValueError("not a slot-fill record")
        return cls(**{**data, "outcome": Outcome(data["outcome"])})


class LogWriter:
    """Appends records, one line each, flushed as written so an interruption loses none.
    ``lines`` is how many the log holds already (those of the run being resumed)."""

    def __init__(self, path: Path, *, fresh: bool, lines: int = 0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.lines = 0 if fresh else lines
        self._file: IO[str] = path.open("w" if fresh else "a", encoding="utf-8")

    def write(self, record: Record) -> int:
        """Append ``record``; its line number in the log."""
        self._file.write(record.to_line())
        self._file.flush()
        self.lines += 1
        return self.lines

    def close(self) -> None:
        self._file.close()


def read_log(path: Path) -> list[Record]:
    """Every record of the log. A last line cut short by an interruption is dropped (and cut
    from the file, so that appending continues on a line of its own)."""
    if not path.exists():
        raise LogError(f"nothing to resume: there is no {path}")
    text = path.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
        path.write_text(text, encoding="utf-8")
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(Record.of_line(line))
        except (ValueError, TypeError, KeyError) as error:
            raise LogError(f"{path}, line {number}: not a slot-fill record ({error})") from None
    return records


def done(records: Iterable[Record], concurrency: int) -> set[tuple[str, int]]:
    """The (slot, index) of every request of one level that the log holds."""
    return {record.key for record in records if record.concurrency == concurrency}


def last_completed_slot(plan: Plan, logged: set[tuple[str, int]]) -> str | None:
    """The last slot of the longest run of slots, from the first, whose requests are all
    logged; None when the first slot is not complete."""
    last = None
    for slot in plan.slots():
        if not all(request.key in logged for request in plan.requests_of(slot)):
            break
        last = slot
    return last


def remaining(plan: Plan, logged: set[tuple[str, int]]) -> list[PlannedRequest]:
    """The requests still to make: every request after the last completed slot that the log
    does not hold (requests of later slots that finished before the interruption stay done)."""
    return [request for request in plan.requests() if request.key not in logged]


def check_matches(plan: Plan, records: Sequence[Record]) -> None:
    """Refuse to resume a log that this plan would not have written."""
    planned = {request.key: request.party_size for request in plan.requests()}
    for record in records:
        if record.seed != plan.seed:
            raise LogError(f"the log's run used --seed {record.seed}, not {plan.seed}")
        party = planned.get(record.key)
        if party is None:
            raise LogError(
                f"the log holds request {record.request} of slot {record.slot}, which this "
                "plan does not make; resume with the interrupted run's --start, --end, "
                "--interval and --stress-max"
            )
        if party != record.party_size:
            raise LogError(
                f"the log's party sizes differ from this plan's (slot {record.slot}); resume "
                "with the interrupted run's --min-party-size and --max-party-size"
            )
