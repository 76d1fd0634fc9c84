"""What the guest pages read from a query or a form: each field checked on its own, with a
message a guest understands beside it, and what was typed kept to show again."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time

from pydantic import EmailStr, TypeAdapter, ValidationError

from reserve.domain.booking import Guest

NAME_LENGTH = 120
PHONE_LENGTH = (7, 30)
NOTES_LENGTH = 500
PHONE = re.compile(r"^[0-9+()./ -]+$")
CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")  # a time of day, HH:MM
_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)


@dataclass(slots=True)
class Form:
    """The submitted values (as typed) and the problems found, by field name."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, data: Mapping[str, str]) -> Form:
        return cls({name: value for name, value in data.items() if isinstance(value, str)})

    def text(self, name: str) -> str:
        return self.values.get(name, "").replace("\x00", "").strip()

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    @property
    def ok(self) -> bool:
        return not self.errors


def party_size(form: Form, largest: int, name: str = "party") -> int | None:
    text = form.text(name)
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 4) or not 1 <= int(text) <= 1000:
        form.fail(name, "Choose how many people are coming.")
        return None
    size = int(text)
    if size > largest:
        form.fail(name, f"We can seat at most {largest} people at one booking.")
        return None
    return size


def day(form: Form, first: date, last: date, name: str = "date") -> date | None:
    text = form.text(name)
    if not text:
        return None
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        form.fail(name, "Enter a date like 2026-12-07.")
        return None
    if chosen < first:
        form.fail(name, "That date has passed; choose today or later.")
        return None
    if chosen > last:
        form.fail(name, f"Bookings open up to {last:%-d %B %Y}; choose an earlier date.")
        return None
    return chosen


def clock(form: Form, name: str = "time") -> time | None:
    text = form.text(name)
    if not text:
        return None
    if not CLOCK.match(text):
        form.fail(name, "Choose a time from the list.")
        return None
    return time.fromisoformat(text)


def guest(form: Form) -> tuple[Guest, str] | None:
    """The guest's details and notes, or None with every problem in ``form.errors``."""
    name = form.text("name")
    if not name:
        form.fail("name", "Enter the name the booking is under.")
    elif len(name) > NAME_LENGTH:
        form.fail("name", f"Use at most {NAME_LENGTH} characters for the name.")
    email = form.text("email")
    if not email:
        form.fail("email", "Enter an email address, so that we can reach you.")
    else:
        try:
            email = _EMAIL.validate_python(email)
        except ValidationError:
            form.fail("email", "Enter an email address like name@example.com.")
    phone = form.text("phone") or None
    if phone is not None:
        low, high = PHONE_LENGTH
        if not PHONE.match(phone) or not low <= len(phone) <= high:
            form.fail(
                "phone",
                f"Enter a phone number of {low} to {high} digits, spaces or + ( ) - . /, "
                "or leave it empty.",
            )
    notes = form.values.get("notes", "").replace("\x00", "").replace("\r\n", "\n").strip()
    if len(notes) > NOTES_LENGTH:
        form.fail("notes", f"Keep notes to {NOTES_LENGTH} characters (now {len(notes)}).")
    if not form.ok:
        return None
    return Guest(name, email, phone), notes


def when(form: Form, largest: int, first: date, last: date) -> tuple[int, date, time] | None:
    """The party size, date and time a form chose, or None with what is wrong or missing
    in ``form.errors``."""
    party, chosen, at = party_size(form, largest), day(form, first, last), clock(form)
    for name, value in (("party", party), ("date", chosen), ("time", at)):
        if value is None:
            form.fail(name, _MISSING[name])
    if party is None or chosen is None or at is None:
        return None
    return party, chosen, at


_MISSING = {
    "party": "Choose how many people are coming.",
    "date": "Choose a date.",
    "time": "Choose one of the times.",
}
