"""Every error the product raises on purpose, and the problem type each one becomes.

    ReserveError
    ├── InvalidRequest            validation-error   422
    │   ├── VenueDocumentError    validation-error   422   (lists every problem)
    │   └── InvalidFlag           validation-error   422
    ├── NotFound                  not-found          404
    ├── Unauthorized              unauthorized       401
    ├── Forbidden                 forbidden          403
    ├── Conflict                  (no type)          409
    │   └── VenueInUse            validation-error   409
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


class ConfigurationError(ReserveError):
    """Settings, environment or database set-up that cannot work."""
