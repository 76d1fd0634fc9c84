"""The log's formats, the request id on its lines, and what a request's line says."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from reserve import logs

ISO_UTC_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


class Captured:
    """What a handler of the product's kind wrote, line by line."""

    def __init__(self, formatter: logging.Formatter) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(formatter)
        self.handler.addFilter(logs.RequestIdFilter())

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def objects(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines()]


def _captured(formatter: logging.Formatter, *names: str) -> Iterator[Captured]:
    captured = Captured(formatter)
    loggers = [logging.getLogger(name) for name in names]
    before = [(logger.level, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.addHandler(captured.handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
    try:
        yield captured
    finally:
        for logger, (level, propagate) in zip(loggers, before, strict=True):
            logger.removeHandler(captured.handler)
            logger.setLevel(level)
            logger.propagate = propagate


@pytest.fixture
def as_json() -> Iterator[Captured]:
    yield from _captured(logs.JsonFormatter(), "reserve.test", "reserve.access")


@pytest.fixture
def as_text() -> Iterator[Captured]:
    yield from _captured(logs.TextFormatter(), "reserve.test", "reserve.access")


def fail() -> None:
    raise ValueError("the oven is cold")


# --- JSON ------------------------------------------------------------------------------------


def test_a_json_line_has_the_time_in_utc_to_the_millisecond_level_logger_and_message(
    as_json: Captured,
) -> None:
    before = datetime.now(UTC)
    logging.getLogger("reserve.test").warning("table %s is %s", "T1", "wobbly")
    after = datetime.now(UTC)

    (line,) = as_json.objects()
    assert set(line) == {"time", "level", "logger", "message"}  # no request under way
    assert ISO_UTC_MS.fullmatch(line["time"]), line
    stamp = datetime.fromisoformat(line["time"].replace("Z", "+00:00"))
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= stamp <= after
    assert line["level"] == "warning"
    assert line["logger"] == "reserve.test"
    assert line["message"] == "table T1 is wobbly"


def test_a_json_line_is_one_line_whatever_its_message_and_carries_its_traceback(
    as_json: Captured,
) -> None:
    try:
        fail()
    except ValueError:
        logging.getLogger("reserve.test").exception('two\nlines and "quotes"')

    (text,) = as_json.lines()
    line = json.loads(text)
    assert line["message"] == 'two\nlines and "quotes"'
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "ValueError: the oven is cold" in line["exception"]
    assert line["level"] == "error"


def test_lines_of_many_moments_each_have_their_own_time(as_json: Captured) -> None:
    """The formatter keeps the date and second it formatted last; a record of another second
    (or one of the same second later) must not borrow it."""
    log = logging.getLogger("reserve.test")
    for created in (1_700_000_000.25, 1_700_000_000.75, 1_700_000_001.0, 86_400.5):
        record = log.makeRecord(log.name, logging.INFO, "", 0, "at", (), None)
        record.created = created
        record.msecs = (created - int(created)) * 1000
        log.handle(record)

    times = [line["time"] for line in as_json.objects()]
    assert times == [
        "2023-11-14T22:13:20.250Z",
        "2023-11-14T22:13:20.750Z",
        "2023-11-14T22:13:21.000Z",
        "1970-01-02T00:00:00.500Z",
    ]


def test_a_line_logged_during_a_request_carries_its_id_and_none_after(
    as_json: Captured,
) -> None:
    log = logging.getLogger("reserve.test")
    token = logs.REQUEST_ID.set("req-1")
    try:
        log.info("during")
    finally:
        logs.REQUEST_ID.reset(token)
    log.info("after")

    during, after = as_json.objects()
    assert during["request_id"] == "req-1"
    assert "request_id" not in after


def test_a_value_json_cannot_hold_is_written_as_text(as_json: Captured) -> None:
    logging.getLogger("reserve.test").info("odd", extra={"status": object})

    (line,) = as_json.objects()
    assert line["status"] == str(object)


# --- text ------------------------------------------------------------------------------------


def test_a_text_line_reads_time_level_logger_message_then_the_request_id(
    as_text: Captured,
) -> None:
    token = logs.REQUEST_ID.set("req-2")
    try:
        try:
            fail()
        except ValueError:
            logging.getLogger("reserve.test").exception("could not %s", "light it")
    finally:
        logs.REQUEST_ID.reset(token)

    first, *trace = as_text.lines()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} ERROR   reserve\.test: could not light it "
        r"request_id=req-2",
        first,
    ), first
    assert trace[0] == "Traceback (most recent call last):"
    assert trace[-1] == "ValueError: the oven is cold"


def test_a_request_line_as_text_says_the_request_and_its_restaurant(as_text: Captured) -> None:
    token = logs.REQUEST_ID.set("req-3")
    try:
        logs.log_request("POST", "/v1/restaurants/{slug}/bookings", 201, 0.00213, {"slug": "w-h"})
    finally:
        logs.REQUEST_ID.reset(token)

    (line,) = as_text.lines()
    assert line.endswith(
        "INFO    reserve.access: POST /v1/restaurants/{slug}/bookings 201 2.13 ms "
        "restaurant=w-h request_id=req-3"
    ), line


# --- a request's line ------------------------------------------------------------------------


def test_a_request_line_has_its_method_route_status_duration_and_restaurant(
    as_json: Captured,
) -> None:
    token = logs.REQUEST_ID.set("req-4")
    try:
        logs.log_request(
            "POST",
            "/v1/restaurants/{slug}/bookings",
            201,
            0.0021234,
            {"slug": "white-horse"},
        )
    finally:
        logs.REQUEST_ID.reset(token)

    (line,) = as_json.objects()
    assert line == {
        "time": line["time"],
        "level": "info",
        "logger": "reserve.access",
        "message": "POST /v1/restaurants/{slug}/bookings 201 2.12 ms",
        "request_id": "req-4",
        "method": "POST",
        "route": "/v1/restaurants/{slug}/bookings",
        "status": 201,
        "duration_ms": 2.12,
        "restaurant": "white-horse",
    }


@pytest.mark.parametrize(
    "slug", ["ada@example.com", "+44 20 7946 0000", "White Horse", "x" * 65, "<b>", ""]
)
def test_a_request_line_names_no_restaurant_that_is_not_a_slug(
    as_json: Captured, slug: str
) -> None:
    """The slug is whatever the client put in the path: only one that reads as a slug is
    said."""
    logs.log_request("GET", "/r/{slug}", 404, 0.001, {"slug": slug})

    (line,) = as_json.objects()
    assert "restaurant" not in line
    assert not slug or slug not in as_json.stream.getvalue()


def test_a_request_line_of_a_route_without_a_slug_names_no_restaurant(as_json: Captured) -> None:
    logs.log_request("GET", "/b/{booking_id}/{token}", 200, 0.001, {"token": "secret-token"})
    logs.log_request("GET", "unmatched", 404, 0.001, None)

    lines = as_json.objects()
    assert [line.get("restaurant") for line in lines] == [None, None]
    assert "secret-token" not in as_json.stream.getvalue()


def test_no_request_line_below_its_level(as_json: Captured) -> None:
    logging.getLogger("reserve.access").setLevel(logging.WARNING)
    logs.log_request("GET", "/healthz", 200, 0.001, None)

    assert as_json.lines() == []


# --- the request id --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    ["a", "abc-123", "0f6e:trace.id_1-x", "A" * 128, "550e8400-e29b-41d4-a716-446655440000"],
)
def test_a_sane_request_id_is_kept(given: str) -> None:
    headers = [(b"host", b"x"), (b"x-request-id", given.encode())]

    assert logs.request_id_of(headers) == given


@pytest.mark.parametrize(
    "given",
    [
        b"",
        b"A" * 129,
        b"two words",
        b"a\r\nSet-Cookie: x",
        b"caf\xc3\xa9",
        b"<script>",
        b"a/b",
        b"a;b",
    ],
)
def test_any_other_request_id_is_replaced_by_a_new_one(given: bytes) -> None:
    made = logs.request_id_of([(b"x-request-id", given)])

    assert re.fullmatch(r"[0-9a-f]{32}", made), made
    assert made.encode() != given


def test_a_request_without_an_id_gets_a_new_one_each_time() -> None:
    made = {logs.request_id_of([(b"host", b"x")]) for _ in range(100)}

    assert len(made) == 100
    assert all(re.fullmatch(r"[0-9a-f]{32}", one) for one in made)


# --- which format ----------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_is_text_in_a_terminal_and_json_otherwise() -> None:
    assert logs.resolve("auto", Terminal()) == "text"
    assert logs.resolve("auto", io.StringIO()) == "json"
    closed = io.StringIO()
    closed.close()
    assert logs.resolve("auto", closed) == "json"


def test_a_format_asked_for_is_kept_wherever_the_log_goes() -> None:
    assert logs.resolve("json", Terminal()) == "json"
    assert logs.resolve("text", io.StringIO()) == "text"


def test_auto_looks_at_standard_error_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert logs.resolve("auto") == "text"
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert logs.resolve("auto") == "json"
