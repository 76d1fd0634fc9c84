"""``reserve serve`` and ``reserve demo``."""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Annotated

import typer
import uvicorn
from uvicorn.supervisors import Multiprocess

from reserve.cli.context import console, load_settings, operator_connection
from reserve.config import Settings
from reserve.db import migrations
from reserve.db.urls import database_url
from reserve.services.keys import Role, create_key, revoke_keys_named
from reserve.services.venues import DEMO_VENUE, import_venue_file

Host = Annotated[str, typer.Option(help="Address to listen on.")]
Port = Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)]
DEMO_KEY_NAME = "demo"


def _run(settings: Settings, host: str, port: int, workers: int) -> None:
    # Resolve the database once, here: with the embedded server this process starts it and
    # keeps it up, and every worker connects to the same one.
    os.environ["RESERVE_DATABASE_URL"] = database_url(settings)
    config = uvicorn.Config(
        "reserve.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        access_log=False,
    )
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how a server is stopped
        if workers == 1:
            uvicorn.Server(config).run()
        else:
            _run_workers(config)


def _run_workers(config: uvicorn.Config) -> None:
    # Workers share one listening socket made here. asyncio turns Nagle's algorithm off only
    # on sockets it creates itself, so without TCP_NODELAY (which accepted connections
    # inherit from the listener) a response could wait 40 ms for a delayed ACK.
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
) -> None:
    """Serve the API against RESERVE_DATABASE_URL (or the embedded server when unset)."""
    _run(load_settings(), host, port, workers)


def demo(host: Host = "127.0.0.1", port: Port = 8000) -> None:
    """Everything with no set-up: the embedded database, the White Horse, a staff key, the API."""
    settings = load_settings()
    url = database_url(settings)
    migrations.upgrade(url)
    with operator_connection(settings) as conn:
        venue, saved = import_venue_file(conn, DEMO_VENUE)
        # One demo key at a time: the one printed below.
        revoke_keys_named(conn, DEMO_KEY_NAME, saved.restaurant_id)
        _, key = create_key(
            conn,
            settings.secret_key.get_secret_value(),
            role=Role.STAFF,
            restaurant=venue.slug,
            name=DEMO_KEY_NAME,
        )
    base = f"http://{host}:{port}"
    console.print(f"[bold]{venue.name}[/bold] is open for bookings.", highlight=False)
    console.print(f"  venue      {base}/v1/restaurants/{venue.slug}", highlight=False)
    console.print(f"  API docs   {base}/docs", highlight=False)
    console.print(f"  health     {base}/readyz", highlight=False)
    console.print(f"  staff key  {key}", highlight=False)
    console.print(f"  data       {settings.data_dir.resolve()}", highlight=False)
    console.print("Press Ctrl+C to stop.", highlight=False)
    _run(settings, host, port, workers=1)
