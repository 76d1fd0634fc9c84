"""Learning a venue's demand from its recorded requests, and what is left of it in a day."""

from __future__ import annotations

from datetime import date, time, timedelta
from uuid import UUID, uuid4

import pytest

from reserve.domain.demand import Asked, Forecast, Outcome, learn, refusal_outcome
from reserve.domain.errors import (
    HoldExpired,
    InvalidRequest,
    NoAvailability,
    OutsideServiceHours,
    PartyTooLarge,
    TooFarAhead,
    TooLate,
)
from reserve.services.forecasts import Forecasts

TODAY = date(2026, 12, 1)  # a Tuesday
MONDAY = date(2026, 12, 7)  # the day forecast
SEVEN, EIGHT, NOON = time(19), time(20), time(12)


def asked(day: str, at: time, party_size: int, times: int = 1) -> list[Asked]:
    return [Asked(date.fromisoformat(day), at, party_size)] * times


def test_three_mondays_of_history_forecast_a_monday_from_mondays_only() -> None:
    history = [
        *asked("2026-11-16", SEVEN, 2, times=2),
        *asked("2026-11-16", EIGHT, 4),
        *asked("2026-11-23", SEVEN, 2),
        *asked("2026-11-30", SEVEN, 2, times=3),
        *asked("2026-11-30", EIGHT, 4, times=2),
        *asked("2026-11-24", NOON, 2, times=5),  # a Tuesday: not like a Monday
    ]

    assert learn(history, MONDAY, TODAY) == Forecast(
        per_kind={(SEVEN, 2): 2.0, (EIGHT, 4): 1.0},
        requests=3.0,
        days=3,
        same_weekday=True,
    )


def test_with_fewer_than_three_mondays_every_day_of_the_window_is_used() -> None:
    history = [
        *asked("2026-11-23", SEVEN, 2),
        *asked("2026-11-30", SEVEN, 2, times=3),
        *asked("2026-11-30", EIGHT, 4, times=2),
        *asked("2026-11-24", NOON, 2, times=5),
    ]

    learned = learn(history, MONDAY, TODAY)

    assert learned is not None
    assert (learned.days, learned.same_weekday) == (3, False)
    assert learned.per_kind == pytest.approx(
        {(SEVEN, 2): 4 / 3, (EIGHT, 4): 2 / 3, (NOON, 2): 5 / 3}
    )
    assert learned.requests == pytest.approx(11 / 3)


def test_only_complete_days_of_the_eight_weeks_before_today_count() -> None:
    history = [
        *asked("2026-10-05", SEVEN, 2, times=9),  # 57 days before today: too old
        *asked("2026-10-06", NOON, 2, times=2),  # 56 days before: the first day counted
        *asked("2026-12-01", SEVEN, 2, times=9),  # today, not over yet
        *asked("2026-12-07", SEVEN, 2, times=9),  # the day forecast itself
    ]

    assert learn(history, MONDAY, TODAY) == Forecast(
        per_kind={(NOON, 2): 2.0}, requests=2.0, days=1, same_weekday=False
    )


def test_the_window_is_as_many_weeks_as_asked() -> None:
    history = asked("2026-11-16", SEVEN, 2)

    assert learn(history, MONDAY, TODAY, weeks=2) is None
    assert learn(history, MONDAY, TODAY, weeks=3) is not None


def test_no_history_is_no_forecast() -> None:
    assert learn([], MONDAY, TODAY) is None
    assert learn(asked("2026-09-07", SEVEN, 2), MONDAY, TODAY) is None


def test_the_share_remaining_is_what_the_requests_seen_leave() -> None:
    forecast = Forecast({(SEVEN, 2): 3.0, (EIGHT, 4): 1.0}, requests=4.0, days=3, same_weekday=True)

    assert forecast.share_remaining(0) == 1.0
    assert forecast.share_remaining(1) == 0.75
    assert forecast.share_remaining(4) == 0.0
    assert forecast.share_remaining(9) == 0.0  # a busier day than usual leaves nothing
    assert forecast.remaining(1) == {(SEVEN, 2): 2.25, (EIGHT, 4): 0.75}
    assert forecast.remaining(6) == {(SEVEN, 2): 0.0, (EIGHT, 4): 0.0}


def test_a_forecast_of_no_requests_leaves_nothing_to_come() -> None:
    assert Forecast({}, requests=0.0, days=3, same_weekday=True).share_remaining(0) == 0.0


@pytest.mark.parametrize(
    ("refusal", "outcome"),
    [
        (NoAvailability("no table"), Outcome.FULL),
        (NoAvailability("paced", reason="paced"), Outcome.PACED),
        (NoAvailability("kept", reason="declined"), Outcome.DECLINED),
        (OutsideServiceHours("closed"), Outcome.NOT_OFFERED),
        (TooLate("too soon"), Outcome.NOT_OFFERED),
        (TooFarAhead("too far"), Outcome.NOT_OFFERED),
        (PartyTooLarge("too many"), Outcome.NOT_OFFERED),
        (InvalidRequest("unknown zone"), None),
        (HoldExpired("gone"), None),
    ],
)
def test_a_refusal_is_recorded_as_what_it_answers(
    refusal: Exception, outcome: Outcome | None
) -> None:
    assert refusal_outcome(refusal) == outcome


# --- the cache of forecasts ----------------------------------------------------------------


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


FORECAST = Forecast({(SEVEN, 2): 1.0}, requests=1.0, days=3, same_weekday=True)
VENUES = [uuid4() for _ in range(3)]


def key(venue: int) -> tuple[UUID, date, date]:
    return (VENUES[venue], MONDAY, TODAY)


def test_a_kept_forecast_expires_after_its_hour() -> None:
    ticks = Ticks()
    cache = Forecasts(monotonic=ticks)
    cache.put(key(0), FORECAST)
    cache.put(key(1), None)  # no history is worth remembering too

    ticks.now = 3599.0
    assert cache.get(key(0)) == (True, FORECAST)
    assert cache.get(key(1)) == (True, None)
    assert cache.get((VENUES[0], MONDAY, TODAY + timedelta(days=1))) == (False, None)
    ticks.now = 3600.0
    assert cache.get(key(0)) == (False, None)
    assert len(cache) == 1


def test_the_cache_drops_the_oldest_forecast_when_full() -> None:
    cache = Forecasts(max_entries=2, monotonic=Ticks())
    for venue in (0, 1, 2):
        cache.put(key(venue), FORECAST)

    assert len(cache) == 2
    assert [cache.get(key(venue))[0] for venue in (0, 1, 2)] == [False, True, True]
