"""Every error the product raises on purpose.

    ReserveError
    ├── InvalidRequest            the request cannot be carried out as asked
    │   ├── VenueDocumentError    a venue document's problems, every one listed
    │   ├── InvalidFlag           an unknown flag or a value it does not take
    │   ├── Unstorable            a value the database cannot hold (a NUL character)
    │   ├── OutsideServiceHours   a start the venue does not offer that party that day
    │   ├── TooLate               a start closer than the venue's lead time
    │   ├── TooFarAhead           a date beyond the booking horizon
    │   └── PartyTooLarge         a party no table or combination can ever seat
    ├── NotFound                  unknown, or not the caller's to see
    ├── Unauthorized              no credentials, or unknown ones
    ├── Forbidden                 credentials that do not allow this
    ├── Conflict                  the state of things does not allow it now
    │   ├── VenueInUse            a venue change that would drop tables still booked
    │   ├── NoAvailability        no table for that party at that time
    │   ├── InvalidTransition     a status change the lifecycle does not allow
    │   │   └── TooEarly          a status change the clock does not allow yet
    │   ├── IdempotencyKeyInUse   the first request with this key is still running
    │   └── HoldExtensionLimit    the hold was extended as often as it may be
    ├── IdempotencyKeyReused      the key was used for a different request
    ├── HoldExpired               the hold expired or was released
    ├── RateLimited               too many requests from one client
    ├── Busy                      the venue's day lock was not granted in time
    ├── SelectorTimeout           the table search ran out of time (allocator.fail_hard)
    ├── DatabaseUnavailable       the database does not answer
    └── ConfigurationError        settings or set-up that cannot work

Front ends decide what each becomes: the API maps every class to one problem type and
status in one table (``reserve.api.problems``); the command line prints ``str(error)`` on
one line and exits non-zero.
"""

from __future__ import annotations

from collections.abc import Sequence


class ReserveError(Exception):
    """Base of every deliberate error."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidRequest(ReserveError):
    """``fields`` names what the request got wrong (``party_size``, ``zone``...), where that
    is one or more of its fields."""

    def __init__(self, detail: str, *, fields: Sequence[str] = ()) -> None:
        super().__init__(detail)
        self.fields = tuple(fields)


class VenueDocumentError(InvalidRequest):
    """A venue document with one or more problems; ``problems`` lists all of them."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"venue document has {count} {noun}: " + "; ".join(self.problems))


class InvalidFlag(InvalidRequest):
    """An unknown flag name or a value the flag does not accept."""


class Unstorable(InvalidRequest):
    """A value PostgreSQL cannot store, such as text holding the NUL character."""


class OutsideServiceHours(InvalidRequest):
    """A start time the venue does not offer that party on that date."""


class TooLate(InvalidRequest):
    """A start time closer than the venue's lead time (or already past)."""


class TooFarAhead(InvalidRequest):
    """A date beyond the venue's booking horizon."""


class PartyTooLarge(InvalidRequest):
    """A party larger than any table or allowed combination of the venue can ever seat."""


class NotFound(ReserveError):
    pass


class Unauthorized(ReserveError):
    pass


class Forbidden(ReserveError):
    pass


class Conflict(ReserveError):
    pass


class VenueInUse(Conflict):
    """A venue change that would drop tables or zones that future allocations still use."""


class NoAvailability(Conflict):
    """``reason`` says why, for the demand record: ``full`` (no table is free, nor can one
    be freed by moving bookings), ``paced`` (the venue's covers per start are taken), or
    ``declined`` (a table is free, but kept for the demand still expected)."""

    def __init__(self, detail: str, *, reason: str = "full") -> None:
        super().__init__(detail)
        self.reason = reason


class InvalidTransition(Conflict):
    pass


class TooEarly(InvalidTransition):
    """Seating a party sooner than the venue's ``seat_early_minutes`` before its start, or
    a no-show before its start plus ``no_show_grace_minutes``."""


class IdempotencyKeyInUse(Conflict):
    pass


class HoldExtensionLimit(Conflict):
    """A hold already extended ``MAX_HOLD_EXTENSIONS`` times; it still stands until it
    expires."""


class IdempotencyKeyReused(ReserveError):
    pass


class HoldExpired(ReserveError):
    pass


class RateLimited(ReserveError):
    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Busy(ReserveError):
    """The venue's bookings are queued behind others for longer than the lock timeout."""


class SelectorTimeout(ReserveError):
    """The table search ran out of time and ``allocator.fail_hard`` is on."""


class DatabaseUnavailable(ReserveError):
    """The database did not answer (down, unreachable, or every connection busy)."""


class ConfigurationError(ReserveError):
    """Settings, environment or database set-up that cannot work."""
