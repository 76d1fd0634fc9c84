"""The app served for the browser: uvicorn on a free port of this machine, in a thread,
on the test clock; and the shapes the browser tests' fixtures hand out."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from tests.api.conftest import UNLIMITED, ManualClock

from reserve.api.app import create_app
from reserve.cli.serve import Server
from reserve.config import PLACEHOLDER_SECRET, Settings
from reserve.db.database import Database
from reserve.domain.venue import Venue
from reserve.services.context import Context
from reserve.services.venue_state import VenueStates

# Loads the White Horse with any of its settings changed.
LoadVenue = Callable[..., Venue]
# A day's bookings as the staff API lists them.
Bookings = Callable[..., list[dict[str, Any]]]


@dataclass
class Site:
    """The app as a browser reaches it, and the clock its use cases read."""

    url: str
    clock: ManualClock
    app: Any

    def at(self, path: str) -> str:
        return self.url + path


def _free_port() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving(database_url: str, clock: ManualClock, **settings: Any) -> Iterator[Site]:
    config = Settings(
        database_url=database_url,
        env="test",
        secret_key=PLACEHOLDER_SECRET,
        public_rate_limit=settings.pop("public_rate_limit", UNLIMITED),
        **settings,
    )
    database = Database(database_url, min_size=1, max_size=8, timeout=2)
    context = Context(database, VenueStates(), config.secret_key.get_secret_value(), clock=clock)
    app = create_app(config, database, context, background=False)
    sock = _free_port()
    server = Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield Site(f"http://127.0.0.1:{sock.getsockname()[1]}", clock, app)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
