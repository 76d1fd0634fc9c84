"""The server's log: every line through one formatter, as a JSON object (for a file, a pipe
or a log collector) or as text (for a terminal), and one line for each request.

A line written while a request is under way carries that request's id (``REQUEST_ID``, set
by the API's middleware, copied into the record by ``RequestIdFilter``), the id the client
gets back in ``X-Request-ID`` and in any problem it is answered with.

A request's line (``reserve.access``) says its method, route *template*, status, duration and
restaurant, and nothing else of it: never its path or query (a manage link carries its token
in the path), headers (keys), body (guests' details).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any, Literal, TextIO

from reserve.domain.limits import SLUG_LENGTH

Format = Literal["json", "text"]

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
REQUEST_ID_HEADER = b"x-request-id"
# A client's own id is kept when it could not be mistaken for anything else in a log line or
# a header; otherwise it is replaced, never echoed.
_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
_SLUG = re.compile(rf"[a-z0-9-]{{1,{SLUG_LENGTH}}}")

# Fields a record may carry besides its message (the request's line sets them all); a JSON
# line has each that is set, a text line those its message does not already say.
FIELDS = ("request_id", "method", "route", "status", "duration_ms", "restaurant")
TEXT_FIELDS = ("restaurant", "request_id")

access_log = logging.getLogger("reserve.access")


def resolve(log_format: str, stream: TextIO | None = None) -> Format:
    """``auto`` as text when ``stream`` (standard error) is a terminal, else as JSON."""
    if log_format == "json":
        return "json"
    if log_format == "text":
        return "text"
    stream = sys.stderr if stream is None else stream
    try:
        return "text" if stream.isatty() else "json"
    except (AttributeError, ValueError):  # no stream, or a closed one
        return "json"


def request_id_of(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The request's own ``X-Request-ID`` when it is sane, else a new one."""
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            if _SANE_REQUEST_ID.fullmatch(value):
                return value.decode("ascii")
            break
    return uuid.uuid4().hex


def log_request(
    method: str,
    route: str,
    status: int,
    seconds: float,
    path_params: Mapping[str, Any] | None,
) -> None:
    """A request's line, once it is answered. ``path_params`` give the restaurant (the slug)
    when the route names one that reads as a slug; nothing else of them is said."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    duration_ms = round(seconds * 1000, 2)
    restaurant = path_params.get("slug") if path_params else None
    if restaurant is not None and not _SLUG.fullmatch(restaurant):
        restaurant = None
    # Built by hand: Logger.info would walk the stack for a caller nobody reads.
    record = access_log.makeRecord(
        access_log.name,
        logging.INFO,
        "",
        0,
        "%s %s %d %.2f ms",
        (method, route, status, duration_ms),
        None,
        extra={
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            "restaurant": restaurant,
        },
    )
    access_log.handle(record)


class RequestIdFilter(logging.Filter):
    """Puts the id of the request under way, if any, on every record a handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time`` (UTC, ISO 8601 to the millisecond), ``level``,
    ``logger``, ``message``, the ``FIELDS`` that are set, and ``exception`` (the traceback)
    when there is one."""

    _encode = json.JSONEncoder(separators=(",", ":"), default=str).encode

    def __init__(self) -> None:
        super().__init__()
        self._second: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self._time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        attributes = record.__dict__
        for name in FIELDS:
            value = attributes.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return self._encode(line)

    def _time(self, record: logging.LogRecord) -> str:
        # Lines come many a second: the date and time to the second are formatted once.
        second = int(record.created)
        cached = self._second
        if cached[0] != second:
            cached = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
            self._second = cached
        return f"{cached[1]}.{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """A line for a person at a terminal: local time, level, logger, message, then the
    restaurant and request id when set (a request's line says the rest in its message)."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s.%(msecs)03d %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S"
        )

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        attributes = record.__dict__
        said = [f"{name}={attributes[name]}" for name in TEXT_FIELDS if attributes.get(name)]
        return f"{line} {' '.join(said)}" if said else line
