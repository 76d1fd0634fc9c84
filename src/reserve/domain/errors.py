"""Every error the product raises on purpose, and the problem type each one becomes.

    ReserveError
    ├── InvalidRequest            validation-error   422
    │   ├── VenueDocumentError    validation-error   422   (lists every problem)
    │   ├── InvalidFlag           validation-error   422
    │   ├── OutsideServiceHours   outside-service-hours 422
    │   ├── TooLate               too-late           422
    │   ├── TooFarAhead           too-far-ahead      422
    │   └── PartyTooLarge         party-too-large    422
    ├── NotFound                  not-found          404
    ├── Unauthorized              unauthorized       401
    ├── Forbidden                 forbidden          403
    ├── Conflict                  (no type)          409
    │   ├── VenueInUse            validation-error   409
    │   ├── NoAvailability        no-availability    409
    │   ├── InvalidTransition     invalid-transition 409
    │   └── IdempotencyKeyInUse   idempotency-key-in-use 409
    ├── IdempotencyKeyReused      idempotency-key-reused 422
    ├── HoldExpired               hold-expired       410
    ├── RateLimited               rate-limited       429
    ├── Busy                      service-unavailable 503 (the venue's lock timed out)
    ├── SelectorTimeout           (no type)          503   (allocator.fail_hard only)
    └── ConfigurationError        (command line only)

The HTTP layer maps each class to its problem type and status in one table
(``reserve.api.problems``); the command line prints ``str(error)`` on one line and exits
non-zero.
"""

from __future__ import annotations

from collections.abc import Sequence


class ReserveError(Exception):
    """Base of every deliberate error."""

    problem_type = "about:blank"
    status = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidRequest(ReserveError):
    problem_type = "validation-error"
    status = 422


class VenueDocumentError(InvalidRequest):
    """A venue document with one or more problems; ``problems`` lists all of them."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"venue document has {count} {noun}: " + "; ".join(self.problems))


class InvalidFlag(InvalidRequest):
    """An unknown flag name or a value the flag does not accept."""


class OutsideServiceHours(InvalidRequest):
    """A start time the venue does not offer that party on that date."""

    problem_type = "outside-service-hours"


class TooLate(InvalidRequest):
    """A start time closer than the venue's lead time (or already past)."""

    problem_type = "too-late"


class TooFarAhead(InvalidRequest):
    """A date beyond the venue's booking horizon."""

    problem_type = "too-far-ahead"


class PartyTooLarge(InvalidRequest):
    """A party larger than any table or allowed combination of the venue can ever seat."""

    problem_type = "party-too-large"


class NotFound(ReserveError):
    problem_type = "not-found"
    status = 404


class Unauthorized(ReserveError):
    problem_type = "unauthorized"
    status = 401


class Forbidden(ReserveError):
    problem_type = "forbidden"
    status = 403


class Conflict(ReserveError):
    status = 409


class VenueInUse(Conflict):
    """A venue change that would drop tables or zones that future allocations still use."""

    problem_type = "validation-error"


class SelectorTimeout(ReserveError):
    """The table search ran out of time and ``allocator.fail_hard`` is on."""

    problem_type = "selector-timeout"
    status = 503


class NoAvailability(Conflict):
    problem_type = "no-availability"


class InvalidTransition(Conflict):
    problem_type = "invalid-transition"


class IdempotencyKeyInUse(Conflict):
    problem_type = "idempotency-key-in-use"


class IdempotencyKeyReused(ReserveError):
    problem_type = "idempotency-key-reused"
    status = 422


class HoldExpired(ReserveError):
    problem_type = "hold-expired"
    status = 410


class RateLimited(ReserveError):
    problem_type = "rate-limited"
    status = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Busy(ReserveError):
    """The venue's bookings are queued behind others for longer than the lock timeout."""

    problem_type = "service-unavailable"
    status = 503


class ConfigurationError(ReserveError):
    """Settings, environment or database set-up that cannot work."""
