"""When a venue takes bookings: the start times it offers a party, and its booking window.

A start time is offered on a day when the venue is not closed that day, a service period
runs on that ISO weekday, the start lies on the period's slot grid within ``[start, end)``,
and the booking ends by closing time. Closing time is the end of the period the booking
starts in, or of the periods that follow it that weekday without a gap; a period ending
at midnight chains into nothing (opening hours stay within their day). The period a
booking starts in gives its service, and so the party's turn time.

Daylight saving. Times are what the venue's wall clock shows, and instants are real:

- A wall time the clock skips that day (spring forward) is not offered.
- A wall time the clock shows twice (fall back) is offered once, as its first occurrence.
- ``end_at`` is the start plus the turn time in real elapsed minutes, and
  ``occupied_until`` is ``end_at`` plus the venue's buffer, also in real minutes.
- The closing instant is the first instant at which the wall clock shows the closing time
  or later: the instant itself for an ordinary time, the first occurrence of an ambiguous
  one, and the moment the clocks jump for one they skip. A booking is offered only when
  its ``end_at`` is at or before that instant.

Python adds a ``timedelta`` to an aware datetime, and subtracts and compares two aware
datetimes of one zone, by the wall clock. Every sum and comparison here is therefore
done in UTC and only the results are converted back to the venue's zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from reserve.domain.errors import InvalidRequest, OutsideServiceHours, TooFarAhead, TooLate
from reserve.domain.venue import Service, ServicePeriod, Venue

_MINUTES_PER_DAY = 24 * 60
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class OfferedTime:
    """A start time a venue offers a party, with the real instants the booking occupies."""

    local_time: time
    start_at: datetime
    end_at: datetime
    occupied_until: datetime
    service: str
    turn_minutes: int


@dataclass(frozen=True, slots=True)
class _Span:
    """A period as it runs on one day, in minutes since midnight (midnight after = 1440)."""

    start: int
    end: int
    closing: int
    service: Service


def offered_times(venue: Venue, day: date, party_size: int) -> list[OfferedTime]:
    """Every start time the venue offers this party on ``day``, sorted by start."""
    _check_party_size(party_size)
    if _closure_reason(venue, day) is not None:
        return []
    opening = _Opening.of(venue, day)
    offers: list[OfferedTime] = []
    for span in opening.spans:
        for minute in range(span.start, span.end, venue.slot_interval_minutes):
            if opening.span_at(minute) is span:
                offer = opening.offer(span, minute, party_size)
                if isinstance(offer, OfferedTime):
                    offers.append(offer)
    offers.sort(key=lambda offer: offer.local_time)
    return offers


def opens_on(venue: Venue, day: date) -> bool:
    """Whether the venue has a service period on ``day`` and no closure: a cheap test of
    what ``offered_times`` would find, for a calendar of open and closed days."""
    return _closure_reason(venue, day) is None and any(
        day.isoweekday() in period.weekdays for period in venue.periods
    )


def offered_time(venue: Venue, day: date, local_time: time, party_size: int) -> OfferedTime:
    """The offer for one requested start; ``OutsideServiceHours`` says why it is not offered.

    It agrees with ``offered_times`` exactly. Only the wall-clock fields of ``local_time``
    count: its ``tzinfo`` and ``fold`` are ignored, as the day offers an ambiguous wall
    time once, as its first occurrence.
    """
    _check_party_size(party_size)
    when = f"{_clock(local_time)} on {_day_text(day)}"
    reason = _closure_reason(venue, day)
    if reason is not None:
        raise OutsideServiceHours(
            f"{venue.name} is closed on {_day_text(day)}{reason}", fields=("date",)
        )
    opening = _Opening.of(venue, day)
    if not opening.spans:
        raise OutsideServiceHours(
            f"{venue.name} is not open on {_WEEKDAYS[day.weekday()]}s", fields=("date",)
        )
    minute = local_time.hour * 60 + local_time.minute
    span = opening.span_at(minute)
    if span is None:
        hours = _hours_text(opening.spans)
        raise OutsideServiceHours(f"{when} is outside service hours ({hours})", fields=("time",))
    grid = venue.slot_interval_minutes
    if local_time.second or local_time.microsecond or (minute - span.start) % grid:
        raise OutsideServiceHours(
            f"{when} is not a bookable start: {span.service.name} starts are every "
            f"{grid} minutes from {_clock_of_minute(span.start)}",
            fields=("time",),
        )
    offer = opening.offer(span, minute, party_size)
    if isinstance(offer, str):
        raise OutsideServiceHours(f"{when} is not offered: {offer}", fields=("time",))
    return offer


def check_booking_window(venue: Venue, start_at: datetime, now: datetime) -> None:
    """Refuse a start inside the lead time (or past), or beyond the booking horizon.

    The horizon counts calendar days in the venue's zone, so a guest may book any time on
    the last day of the horizon however late in the day they ask. Both instants must be
    aware: a naive one is a programming error, not a guest's.
    """
    if start_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("check_booking_window needs aware datetimes")
    start_utc, now_utc = start_at.astimezone(UTC), now.astimezone(UTC)
    if start_utc < now_utc:
        raise TooLate("that start time has already passed", fields=("date", "time"))
    if start_utc < now_utc + timedelta(minutes=venue.lead_time_minutes):
        raise TooLate(
            f"{venue.name} takes bookings up to {venue.lead_time_minutes} minutes before the start",
            fields=("date", "time"),
        )
    zone = _zone(venue.timezone)
    days_ahead = (start_at.astimezone(zone).date() - now.astimezone(zone).date()).days
    if days_ahead > venue.booking_horizon_days:
        raise TooFarAhead(
            f"{venue.name} takes bookings up to {venue.booking_horizon_days} days ahead",
            fields=("date",),
        )


# A walk-in is not seated when the venue closes sooner than this (or than the party's turn
# time, if that is shorter).
WALK_IN_MINIMUM_MINUTES = 30


def walk_in_time(venue: Venue, now: datetime, party_size: int) -> tuple[date, OfferedTime]:
    """The service date and window of a party seated at ``now``: from ``now`` for the turn
    time of the service period running now, its end cut at closing time.

    ``OutsideServiceHours`` when the venue is closed or between periods now, or closes
    within ``WALK_IN_MINIMUM_MINUTES`` (or the party's turn time, if shorter). ``now``
    must be aware.
    """
    if now.tzinfo is None:
        raise ValueError("walk_in_time needs an aware datetime")
    _check_party_size(party_size)
    zone = _zone(venue.timezone)
    local = now.astimezone(zone)
    day = local.date()
    wall = local.time().replace(second=0, microsecond=0, fold=0)
    reason = _closure_reason(venue, day)
    if reason is not None:
        raise OutsideServiceHours(f"{venue.name} is closed today, {_day_text(day)}{reason}")
    opening = _Opening.of(venue, day)
    span = opening.span_at(_minutes(wall))
    if span is None:
        hours = _hours_text(opening.spans) if opening.spans else "closed all day"
        raise OutsideServiceHours(
            f"{venue.name} is not open now ({_clock(wall)} on {_day_text(day)}; {hours})"
        )
    turn = span.service.turn_minutes(party_size)
    start = now.astimezone(UTC)
    end = min(start + timedelta(minutes=turn), opening.closing_instant(span.closing))
    least = min(turn, WALK_IN_MINIMUM_MINUTES)
    if end - start < timedelta(minutes=least):
        raise OutsideServiceHours(
            f"{venue.name} closes at {_clock_of_minute(span.closing)}, less than {least} "
            "minutes from now: too late to seat a walk-in"
        )
    occupied_until = end + timedelta(minutes=venue.buffer_minutes)
    return day, OfferedTime(
        local_time=wall,
        start_at=start.astimezone(zone),
        end_at=end.astimezone(zone),
        occupied_until=occupied_until.astimezone(zone),
        service=span.service.name,
        turn_minutes=turn,
    )


def local_instant(timezone: str, day: date, clock: time, *, field: str = "time") -> datetime:
    """The moment the venue's clock shows ``clock`` on ``day`` (its first showing when the
    clocks go back), in the venue's zone; ``InvalidRequest`` naming ``field`` when the clocks
    skip it."""
    zone = _zone(timezone)
    instant = _first_occurrence(zone, datetime.combine(day, clock))
    if instant is None:
        raise InvalidRequest(
            f"{_clock(clock)} does not exist on {day}: the clocks skip it", fields=(field,)
        )
    return instant.astimezone(zone)


def day_start(timezone: str, day: date) -> datetime:
    """The first moment of ``day`` on the venue's clock (where the clocks skip midnight, the
    moment they jump), in the venue's zone."""
    zone = _zone(timezone)
    return _closing_instant(zone, datetime(day.year, day.month, day.day)).astimezone(zone)


def service_for(venue: Venue, name: str) -> Service:
    """The venue's service called ``name``; ``LookupError`` when it has none."""
    for service in venue.services:
        if service.name == name:
            return service
    raise LookupError(f"venue {venue.slug!r} has no service {name!r}")


# The day's hours ------------------------------------------------------------------------


@cache
def _zone(name: str) -> ZoneInfo:
    """One ``ZoneInfo`` per name (at most the IANA database's few hundred), built once."""
    return ZoneInfo(name)


def _check_party_size(party_size: int) -> None:
    """The API validates guests' input; a party of nobody here is a caller's bug."""
    if party_size < 1:
        raise ValueError(f"party size must be at least 1, not {party_size}")


def _closure_reason(venue: Venue, day: date) -> str | None:
    """``None`` when open; otherwise the closure's reason, ready to append to a sentence."""
    for closure in venue.closures:
        if closure.day == day:
            return f" ({closure.reason})" if closure.reason else ""
    return None


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def _end_minutes(period: ServicePeriod) -> int:
    return _MINUTES_PER_DAY if period.end is None else _minutes(period.end)


def _day_spans(venue: Venue, day: date) -> tuple[_Span, ...]:
    """The periods running on ``day``'s weekday, sorted by start, each with its closing."""
    periods = sorted(
        (p for p in venue.periods if day.isoweekday() in p.weekdays),
        key=lambda p: (_minutes(p.start), _end_minutes(p)),
    )
    spans: list[_Span] = []
    for index, period in enumerate(periods):
        closing = _end_minutes(period)
        for following in periods[index + 1 :]:
            if _minutes(following.start) > closing:
                break  # a gap: the doors close before the next period opens
            closing = max(closing, _end_minutes(following))
        service = service_for(venue, period.service)
        spans.append(_Span(_minutes(period.start), _end_minutes(period), closing, service))
    return tuple(spans)


# One day's starts -----------------------------------------------------------------------


@dataclass(slots=True)
class _Opening:
    """A venue's hours on one day, and the closing instants found so far.

    Closing instants are remembered across the starts of the day, since finding one the
    clocks skip takes a search.
    """

    venue: Venue
    day: date
    zone: ZoneInfo
    spans: tuple[_Span, ...]
    closings: dict[int, datetime] = field(default_factory=dict)

    @classmethod
    def of(cls, venue: Venue, day: date) -> _Opening:
        return cls(venue, day, _zone(venue.timezone), _day_spans(venue, day))

    def span_at(self, minute: int) -> _Span | None:
        """The period a start lies in; should periods overlap, the one that opened first."""
        for span in self.spans:
            if span.start <= minute < span.end:
                return span
        return None

    def offer(self, span: _Span, minute: int, party_size: int) -> OfferedTime | str:
        """The offer for a start on the period's grid, or why there is none."""
        wall = _wall(self.day, minute)
        start = _first_occurrence(self.zone, wall)
        if start is None:
            return "the clocks go forward and skip that time"
        turn = span.service.turn_minutes(party_size)
        end = start + timedelta(minutes=turn)
        if end > self.closing_instant(span.closing):
            return (
                f"a party of {party_size} stays {turn} minutes, past closing time "
                f"at {_clock_of_minute(span.closing)}"
            )
        occupied_until = end + timedelta(minutes=self.venue.buffer_minutes)
        return OfferedTime(
            local_time=wall.time(),
            start_at=start.astimezone(self.zone),
            end_at=end.astimezone(self.zone),
            occupied_until=occupied_until.astimezone(self.zone),
            service=span.service.name,
            turn_minutes=turn,
        )

    def closing_instant(self, minute: int) -> datetime:
        if minute not in self.closings:
            self.closings[minute] = _closing_instant(self.zone, _wall(self.day, minute))
        return self.closings[minute]


# Wall clock and instants ----------------------------------------------------------------


def _wall(day: date, minute: int) -> datetime:
    """The naive wall-clock reading ``minute`` minutes after ``day``'s midnight."""
    return datetime(day.year, day.month, day.day) + timedelta(minutes=minute)


def _first_occurrence(zone: ZoneInfo, wall: datetime) -> datetime | None:
    """The UTC instant the clock first shows ``wall``; ``None`` when the clock skips it."""
    instant = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the first occurrence
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant


def _closing_instant(zone: ZoneInfo, wall: datetime) -> datetime:
    """The first UTC instant at which the clock shows ``wall`` or later.

    For a time the clocks skip, that is the moment they jump. It lies between the two
    readings of ``wall`` (with the offset before the jump, and after it), and zoneinfo
    does not say where, so bisect between them to the second.
    """
    instant = _first_occurrence(zone, wall)
    if instant is not None:
        return instant
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)  # shows a time before wall
    after = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)  # shows a time after wall
    low, high = 0, int((after - before).total_seconds())
    while low < high:
        middle = (low + high) // 2
        reading = (before + timedelta(seconds=middle)).astimezone(zone).replace(tzinfo=None)
        if reading >= wall:
            high = middle
        else:
            low = middle + 1
    return before + timedelta(seconds=high)


# Words ----------------------------------------------------------------------------------


def _clock(clock: time) -> str:
    return f"{clock.hour:02d}:{clock.minute:02d}"


def _clock_of_minute(minute: int) -> str:
    return "midnight" if minute == _MINUTES_PER_DAY else f"{minute // 60:02d}:{minute % 60:02d}"


def _day_text(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day.isoformat()}"


def _hours_text(spans: tuple[_Span, ...]) -> str:
    hours = ", ".join(f"{_clock_of_minute(s.start)}-{_clock_of_minute(s.end)}" for s in spans)
    return f"open {hours}"


def day_span(venue: Venue, day: date) -> tuple[datetime, datetime]:
    """From the venue's midnight starting ``day`` to 36 hours later: every window of the day.

    A bound of a read, not a window: the few hours' error a clock change makes to a
    wall-clock sum do not matter here."""
    start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(venue.timezone))
    return start, start + timedelta(hours=36)
