"""Reading a document (parsed TOML or JSON) while collecting every problem in it.

An ``Entry`` reads one table of the document key by key, a ``Section`` gathers what one part
of it yielded; the helpers below read arrays of tables and word values the way the document
spells them. Nothing here knows which keys a venue has: ``venue_reading`` and
``timetable_reading`` build on it.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Generic, TypeGuard, TypeVar

_T = TypeVar("_T")
_K = TypeVar("_K", bound=Hashable)

ABSENT = object()
"""What ``Entry.value`` returns for a key the document does not have."""


class Entry:
    """One table of the document (the top level, a zone, a table...), read key by key.

    Readers never raise: they note a problem and return a stand-in value, so reading goes
    on to find the next problem. Stand-ins never reach a ``Venue`` because any problem
    stops the parse; ``failed`` names the keys holding stand-ins, so that checks across
    keys skip them rather than report nonsense about values the document never had.
    """

    def __init__(
        self, data: Mapping[str, object], where: str, keys: Collection[str], problems: list[str]
    ) -> None:
        self.data = data
        self.where = where
        self.problems = problems
        self.failed: set[str] = set()
        for key in data:
            if key not in keys:
                self.note(f"unknown key {key!r}")

    @property
    def ok(self) -> bool:
        return not self.failed

    def note(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}" if self.where else message)

    def fail(self, key: str, message: str) -> None:
        self.failed.add(key)
        self.note(message)

    def value(self, key: str, *, required: bool = True) -> object:
        """The value under ``key``, or ``ABSENT`` (a problem when required)."""
        if key in self.data:
            return self.data[key]
        if required:
            self.fail(key, f"missing required key {key!r}")
        return ABSENT

    def wrong_type(self, key: str, expected: str, value: object) -> None:
        self.fail(key, f"{key} must be {expected}, not {describe(value)}")

    def text(
        self,
        key: str,
        *,
        default: str | None = None,
        blank_ok: bool = False,
        max_length: int | None = None,
    ) -> str:
        value = self.value(key, required=default is None)
        if value is ABSENT:
            return default or ""
        if not isinstance(value, str):
            self.wrong_type(key, "a string", value)
            return ""
        if not blank_ok and not value.strip():
            self.fail(key, f"{key} is blank")
        elif max_length is not None and len(value) > max_length:
            self.fail(key, f"{key} is {len(value)} characters long, more than {max_length}")
        elif "\x00" in value:  # PostgreSQL text cannot hold it
            self.fail(key, f"{key} holds a NUL character")
        return value

    def integer(
        self, key: str, *, minimum: int, maximum: int | None = None, default: int | None = None
    ) -> int:
        value = self.value(key, required=default is None)
        if value is ABSENT:
            return minimum if default is None else default
        if not is_integer(value):
            self.wrong_type(key, "an integer", value)
            return minimum
        if value < minimum:
            self.fail(key, f"{key} {value} is below {minimum}")
        elif maximum is not None and value > maximum:
            self.fail(key, f"{key} {value} is above {maximum}")
        return value

    def flag(self, key: str, *, default: bool) -> bool:
        value = self.value(key, required=False)
        if value is ABSENT:
            return default
        if not isinstance(value, bool):
            self.wrong_type(key, "true or false", value)
            return default
        return value


@dataclass
class Section(Generic[_T]):
    """What one part of the document yielded: its faultless entries and every name it gives.

    A faulty entry stays out of ``entries`` but its name stays in ``names``, so references
    to it are not reported a second time as unknown. When the part itself is missing or
    malformed it is not ``readable``, and references to it go unchecked for the same reason.
    """

    entries: list[_T] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    readable: bool = True

    def knows(self, name: str) -> bool:
        return not self.readable or name in self.names

    def remember(self, name: object) -> None:
        """Notes the name an entry gives, even a badly formatted one.

        An entry with no name at all could be the one any reference means, so references
        to this part then go unchecked.
        """
        if isinstance(name, str):
            self.names.add(name)
        else:
            self.readable = False


def array_of_tables(
    top: Entry, key: str, *, required: bool
) -> list[tuple[int, Mapping[str, object]]]:
    """The tables under ``key`` with their indexes; anything else in the array is a problem."""
    value = top.value(key, required=required)
    if value is ABSENT:
        return []
    if not isinstance(value, list):
        top.wrong_type(key, "an array of tables", value)
        return []
    if required and not value:
        top.fail(key, f"{key} is empty, and a venue needs at least one")
    items: list[tuple[int, Mapping[str, object]]] = []
    for index, item in enumerate(value):
        if isinstance(item, Mapping):
            items.append((index, item))
        else:
            top.note(f"{key}[{index}] must be a table, not {describe(item)}")
    return items


def repeats(seen: dict[_K, int], key: _K, index: int) -> int | None:
    """The index of an earlier entry with the same key, remembering this one if first."""
    earlier = seen.setdefault(key, index)
    return None if earlier == index else earlier


def is_integer(value: object) -> TypeGuard[int]:
    # bool is a subclass of int, but `capacity = true` is a mistake, not a capacity of 1.
    return isinstance(value, int) and not isinstance(value, bool)


def show(value: object) -> str:
    """A value as the document spells it, for quoting it back in a problem."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)


_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a number with a fraction"),
    (str, "a string"),
    (datetime, "a date-time"),
    (date, "a date"),
    (time, "a time"),
    (list, "an array"),
    (Mapping, "a table"),
)


def describe(value: object) -> str:
    """The kind of a value, in TOML's words, for problems about types."""
    if value is None:
        return "null"
    for kind, noun in _KINDS:
        if isinstance(value, kind):
            return noun
    return type(value).__name__
