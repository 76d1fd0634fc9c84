"""The waitlist's rules: how long a party has waited, whether that is past its quote, what a
party may be put down as, and which ends an entry may come to."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from reserve.domain.errors import InvalidRequest, InvalidTransition
from reserve.domain.waitlist import WaitlistEntry, WaitlistStatus, new_entry

ADDED = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)


def entry(**changes: object) -> WaitlistEntry:
    return dataclasses.replace(new_entry("Grace", 2, ADDED), **changes)


def test_the_wait_counts_whole_minutes_since_the_party_was_added() -> None:
    waiting = entry()

    assert waiting.waited(ADDED) == 0
    assert waiting.waited(ADDED + timedelta(minutes=14, seconds=59)) == 14
    assert waiting.waited(ADDED + timedelta(hours=2)) == 120


def test_the_wait_is_never_negative_when_the_clock_is_behind() -> None:
    assert entry().waited(ADDED - timedelta(minutes=3)) == 0


def test_the_wait_of_a_seated_party_stops_when_it_was_seated() -> None:
    seated = entry(
        status=WaitlistStatus.SEATED,
        ended_at=ADDED + timedelta(minutes=25),
        quoted_wait_minutes=20,
    )

    later = ADDED + timedelta(hours=3)
    assert seated.waited(later) == 25
    assert seated.over_quote(later)


def test_a_party_is_over_its_quote_only_once_it_has_waited_longer() -> None:
    quoted = entry(quoted_wait_minutes=15)

    assert not quoted.over_quote(ADDED + timedelta(minutes=15))
    assert quoted.over_quote(ADDED + timedelta(minutes=15, seconds=1))


def test_a_party_quoted_no_wait_is_over_it_at_once_and_one_never_quoted_never_is() -> None:
    assert entry(quoted_wait_minutes=0).over_quote(ADDED + timedelta(seconds=1))
    assert not entry().over_quote(ADDED + timedelta(days=1))


def test_a_new_party_is_waiting_with_its_name_and_phone_stripped() -> None:
    made = new_entry(" Grace Hopper ", 4, ADDED, phone=" 01223 555 0100 ", notes="high chair")

    assert (made.name, made.phone, made.party_size, made.notes) == (
        "Grace Hopper",
        "01223 555 0100",
        4,
        "high chair",
    )
    assert (made.status, made.seated_booking_id, made.ended_at) == (
        WaitlistStatus.WAITING,
        None,
        None,
    )
    assert new_entry("Grace", 2, ADDED, phone="   ").phone is None


@pytest.mark.parametrize(
    ("name", "party_size", "extra", "fields"),
    [
        ("  ", 2, {}, ("name",)),
        ("x" * 121, 2, {}, ("name",)),
        ("Grace", 0, {}, ("party_size",)),
        ("Grace", 1001, {}, ("party_size",)),
        ("Grace", 2, {"phone": "123456"}, ("phone",)),
        ("Grace", 2, {"phone": "1" * 31}, ("phone",)),
        ("Grace", 2, {"quoted_wait_minutes": -1}, ("quoted_wait_minutes",)),
        ("Grace", 2, {"quoted_wait_minutes": 601}, ("quoted_wait_minutes",)),
        ("Grace", 2, {"notes": "x" * 501}, ("notes",)),
        ("", 0, {"phone": "1", "notes": "x" * 501}, ("name", "phone", "party_size", "notes")),
    ],
)
def test_a_party_outside_the_limits_is_refused_naming_every_field_at_fault(
    name: str, party_size: int, extra: dict[str, object], fields: tuple[str, ...]
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        new_entry(name, party_size, ADDED, **extra)  # type: ignore[arg-type]

    assert refused.value.fields == fields


def test_the_limits_themselves_are_allowed() -> None:
    made = new_entry("x" * 120, 1000, ADDED, phone="1" * 30, quoted_wait_minutes=600)

    assert (made.party_size, made.quoted_wait_minutes) == (1000, 600)
    assert new_entry("G", 1, ADDED, phone="1234567", quoted_wait_minutes=0, notes="x" * 500)


@pytest.mark.parametrize("ended", [WaitlistStatus.SEATED, WaitlistStatus.REMOVED])
def test_only_a_waiting_party_can_be_seated_or_removed(ended: WaitlistStatus) -> None:
    entry().check_waiting(WaitlistStatus.SEATED)
    entry().check_waiting(WaitlistStatus.REMOVED)

    with pytest.raises(InvalidTransition, match=f"already {ended}"):
        entry(status=ended, ended_at=ADDED).check_waiting(WaitlistStatus.SEATED)
