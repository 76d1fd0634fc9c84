"""What the guest pages make of what a guest types, and the calendar file they hand out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import UUID

from reserve.domain.booking import Booking, Guest, Source, Status
from reserve.domain.venue import Venue
from reserve.web import forms
from reserve.web.calendar import booking_calendar
from reserve.web.forms import Form

FIRST, LAST = date(2026, 12, 1), date(2027, 3, 1)


def test_a_guests_details_are_kept_trimmed() -> None:
    form = Form.of({"name": "  Ada  ", "email": "ada@example.com", "phone": "", "notes": " x "})
    assert forms.guest(form) == (Guest("Ada", "ada@example.com", None), "x")


def test_every_problem_with_the_details_is_named_beside_its_field() -> None:
    form = Form.of({"name": "", "email": "not-an-email", "phone": "12", "notes": "n" * 501})
    assert forms.guest(form) is None
    assert set(form.errors) == {"name", "email", "phone", "notes"}
    assert "501" in form.errors["notes"]
    assert form.values["email"] == "not-an-email"  # what was typed is shown again


def test_a_party_above_what_the_venue_seats_is_refused_with_the_largest() -> None:
    form = Form.of({"party": "41"})
    assert forms.party_size(form, 40) is None
    assert "40" in form.errors["party"]
    assert forms.party_size(Form.of({"party": "abc"}), 40) is None


def test_dates_outside_the_booking_horizon_are_refused() -> None:
    for text, message in (("2026-11-30", "passed"), ("2027-03-02", "up to"), ("x", "like")):
        form = Form.of({"date": text})
        assert forms.day(form, FIRST, LAST) is None
        assert message in form.errors["date"]
    assert forms.day(Form.of({"date": "2026-12-07"}), FIRST, LAST) == date(2026, 12, 7)


def test_a_nul_character_never_reaches_the_database() -> None:
    form = Form.of({"name": "A\x00da", "email": "ada@example.com"})
    assert forms.guest(form) == (Guest("Ada", "ada@example.com", None), "")


def _booking(**changes: object) -> Booking:
    values: dict[str, object] = {
        "id": UUID(int=7),
        "reference": "ABC123",
        "restaurant": "white-horse",
        "status": Status.CONFIRMED,
        "party_size": 4,
        "day": date(2026, 12, 7),
        "local_time": time(19, 30),
        "start_at": datetime(2026, 12, 7, 19, 30, tzinfo=UTC),
        "end_at": datetime(2026, 12, 7, 21, 0, tzinfo=UTC),
        "tables": ("MD-01",),
        "zone": None,
        "guest": Guest("Ada, Countess; of Lovelace", "ada@example.com"),
        "notes": "",
        "source": Source.WEB,
        "created_at": datetime(2026, 12, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 12, 1, tzinfo=UTC),
    }
    values.update(changes)
    return Booking(**values)  # type: ignore[arg-type]


def test_the_calendar_file_holds_the_booking_in_utc_with_text_escaped() -> None:
    venue = Venue(slug="white-horse", name="The White Horse", timezone="Europe/London")
    text = booking_calendar(_booking(), venue, "example.com", datetime(2026, 12, 1, tzinfo=UTC))
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert text.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20261207T193000Z" in lines
    assert "DTEND:20261207T210000Z" in lines
    assert "STATUS:CONFIRMED" in lines
    assert any("Ada\\, Countess\\; of Lovelace" in line for line in lines)
    assert all(len(line.encode()) <= 75 for line in lines)


def test_a_long_calendar_line_is_folded_and_a_request_is_tentative() -> None:
    venue = Venue(slug="v", name="A" * 200, timezone="Europe/London")
    text = booking_calendar(
        _booking(status=Status.PENDING), venue, "h", datetime(2026, 12, 1, tzinfo=UTC)
    )
    assert "STATUS:TENTATIVE" in text
    unfolded = text.replace("\r\n ", "")
    assert f"LOCATION:{'A' * 200}\r\n" in unfolded
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
