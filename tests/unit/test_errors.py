"""The error hierarchy: drawn in ``reserve.domain.errors``' docstring as it is in the code,
and each class answered over HTTP by exactly one problem type and status."""

from __future__ import annotations

import inspect
import re

import pytest

from reserve.api.problems import problem_of
from reserve.domain import errors

ERRORS = [
    kind
    for _, kind in inspect.getmembers(errors, inspect.isclass)
    if issubclass(kind, errors.ReserveError)
]


def drawn_tree() -> dict[str, str | None]:
    """Each class the docstring draws, with the parent it is drawn under."""
    assert errors.__doc__ is not None
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in errors.__doc__.splitlines():
        if not line.startswith("    "):  # the drawing is the indented block
            continue
        match = re.match(r"^(?P<indent>[ │├└─]*?)(?P<name>[A-Z]\w+)(\s|$)", line)
        if match is None:
            continue
        depth = len(match["indent"])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[match["name"]] = stack[-1][1] if stack else None
        stack.append((depth, match["name"]))
    return parents


def test_the_docstring_draws_every_error_under_its_own_parent() -> None:
    actual = {
        kind.__name__: None if kind is errors.ReserveError else kind.__bases__[0].__name__
        for kind in ERRORS
    }

    assert drawn_tree() == actual


# DESIGN section 6's stable codes (with the hold's extension limit, of the extend route), and
# those of the service failing rather than the request.
STABLE_TYPES = {
    "validation-error",
    "not-found",
    "unauthorized",
    "forbidden",
    "no-availability",
    "hold-expired",
    "invalid-transition",
    "too-early",
    "idempotency-key-reused",
    "idempotency-key-in-use",
    "hold-extension-limit",
    "rate-limited",
    "outside-service-hours",
    "party-too-large",
    "too-late",
    "too-far-ahead",
    "service-unavailable",
    "selector-timeout",
    "about:blank",
}


@pytest.mark.parametrize("kind", ERRORS, ids=lambda kind: kind.__name__)
def test_every_error_answers_with_a_stable_problem_type(kind: type[errors.ReserveError]) -> None:
    problem_type, status = problem_of(kind.__new__(kind))

    assert problem_type in STABLE_TYPES
    assert 400 <= status <= 599


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.PartyTooLarge("x"), ("party-too-large", 422)),
        (errors.InvalidFlag("x"), ("validation-error", 422)),  # its parent's row
        (errors.VenueInUse("x"), ("validation-error", 409)),
        (errors.NoAvailability("x"), ("no-availability", 409)),
        (errors.HoldExpired("x"), ("hold-expired", 410)),
        (errors.HoldExtensionLimit("x"), ("hold-extension-limit", 409)),
        (errors.TooEarly("x"), ("too-early", 409)),
        (errors.Busy("x"), ("service-unavailable", 503)),
        (errors.DatabaseUnavailable("x"), ("service-unavailable", 503)),
    ],
)
def test_a_class_takes_its_own_row_or_its_nearest_ancestors(
    error: errors.ReserveError, expected: tuple[str, int]
) -> None:
    assert problem_of(error) == expected
