"""``reserve serve`` and ``reserve demo``."""

from __future__ import annotations

import contextlib
import copy
import gc
import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Annotated, Any

import typer
import uvicorn
from uvicorn.config import LOGGING_CONFIG

from reserve.cli.context import console, load_settings, operator_database
from reserve.config import Settings
from reserve.db import migrations
from reserve.db.database import Transactions
from reserve.db.urls import database_url
from reserve.domain.access import Role
from reserve.domain.errors import ConfigurationError
from reserve.services.keys import authenticate, replace_named_key
from reserve.services.live import end_all_streams
from reserve.services.venues import DEMO_VENUE, import_venue_file

Host = Annotated[str, typer.Option(help="Address to listen on.")]
Port = Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)]
DEMO_KEY_NAME = "demo"
DEMO_KEY_FILE = "demo-key"
STARTUP_SECONDS = 5.0  # a worker that dies sooner is not restarted: something is wrong


class Server(uvicorn.Server):
    """uvicorn's server, which ends the host stand's live streams as it begins to stop: it
    waits for every open response to finish before it stops the app, and a stream never
    finishes of itself.

    Once the app has started, what it holds (modules, templates, the pool) is moved out of
    the garbage collector's sight: a full collection then passes over the requests'
    objects only, and takes milliseconds where it took a tenth of a second or more in the
    middle of a large page (bench/README.md, the host stand's day page)."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        gc.collect()
        gc.freeze()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        end_all_streams()
        await super().shutdown(sockets)


def _run(settings: Settings, host: str, port: int, workers: int) -> None:
    # Resolve the database once, here: with the embedded server this process starts it and
    # keeps it up, and every worker connects to the same one.
    os.environ["RESERVE_DATABASE_URL"] = database_url(settings)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how a server is stopped
        if workers == 1:
            Server(_config(host, port, settings.log_level)).run()
        else:
            _run_workers(host, port, settings.log_level, workers)


def _config(host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        "reserve.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        log_config=_log_config(log_level),
        access_log=False,
    )


def _log_config(log_level: str) -> dict[str, Any]:
    """uvicorn's logging, with the product's own loggers (``reserve.*``) written the same
    way at ``log_level``: without it they would reach only Python's last-resort handler,
    which drops everything below a warning."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["reserve"] = {
        "handlers": ["default"],
        "level": log_level.upper(),
        "propagate": False,
    }
    return config


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


def _worker(host: str, port: int, log_level: str) -> None:
    config = _config(host, port, log_level)
    with contextlib.suppress(KeyboardInterrupt):
        Server(config).run(sockets=[_listener(host, port)])


def _run_workers(host: str, port: int, log_level: str, workers: int) -> None:
    """Worker processes, each with its own listener on the port; one that dies is
    replaced; SIGTERM or Ctrl+C stops them all."""
    try:
        # Fail here, once, if the port is taken, by another reserve server's workers too.
        _listener(host, port, shared=False).close()
    except OSError as error:
        raise ConfigurationError(f"cannot listen on {host}:{port}: {error}") from None
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(target=_worker, args=(host, port, log_level), daemon=False)
        process.start()
        return process

    def stop(signum: int, _frame: object) -> None:
        stopping.set()

    previous = signal.signal(signal.SIGTERM, stop)
    started = [(start(), time.monotonic()) for _ in range(workers)]
    try:
        while not stopping.wait(0.5):
            for index, (process, since) in enumerate(started):
                if process.is_alive():
                    continue
                if time.monotonic() - since < STARTUP_SECONDS:
                    raise ConfigurationError("a worker stopped while starting; see its log above")
                started[index] = (start(), time.monotonic())
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop_all([process for process, _ in started])


def _stop_all(processes: list[multiprocessing.process.BaseProcess]) -> None:
    """SIGTERM to every worker (uvicorn then finishes what it is doing), then wait; a
    worker still there after 20 s, or a second Ctrl+C, is killed."""
    for process in processes:
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    try:
        for process in processes:
            process.join(20)
    except KeyboardInterrupt:
        pass
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join()


def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
) -> None:
    """Serve the API against RESERVE_DATABASE_URL (or the embedded server when unset)."""
    _run(load_settings(), host, port, workers)


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
    _run(settings, host, port, workers=1)
