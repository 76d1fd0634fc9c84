"""``reserve demo`` and ``reserve serve`` as real processes, driven over HTTP.

The demo starts its own embedded PostgreSQL in a fresh data directory (no
``RESERVE_DATABASE_URL``), so this is what a newcomer sees on the first run.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from processes import command_environment, free_port, is_worker, running, worker_pids

from reserve.domain.venue import Venue
from reserve.domain.venue_document import load_venue_toml
from reserve.services.venues import DEMO_VENUE, read_venue_file

pytestmark = pytest.mark.e2e

STAFF_KEY = re.compile(r"\brsv_[A-Za-z0-9_-]{43}\b")


def stop_leftover_postgres(pgdata: Path) -> None:
    """Stop an embedded server its owner left running (only if the owner was killed)."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().split()[0])
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return
    if str(pgdata).encode() in cmdline:
        os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown


def table_facts(venue: Venue) -> list[tuple[str, str, int, int, int]]:
    return sorted(
        (table.label, table.zone, table.capacity, table.min_party, table.max_party)
        for table in venue.tables
    )


def test_the_demo_serves_the_white_horse_from_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    env = command_environment(RESERVE_DATA_DIR=str(data_dir))
    try:
        with running(["demo", "--port", str(port)], env, tmp_path / "demo.log", port) as demo:
            demo.wait_until_ready()

            # The first address printed is the booking page, and it is one.
            first_url = re.search(r"https?://\S+", demo.output())
            assert first_url is not None
            assert first_url.group(0) == f"{demo.base_url}/r/white-horse"
            page = httpx.get(first_url.group(0), timeout=5)
            assert page.status_code == 200
            assert "<h1>Book a table at The White Horse</h1>" in page.text

            venue = httpx.get(f"{demo.base_url}/v1/restaurants/white-horse", timeout=5).json()
            assert len(venue["zones"]) == 5
            assert len(venue["tables"]) == 40

            # A second command joins the embedded server the demo started.
            export = subprocess.run(
                [sys.executable, "-m", "reserve", "venue", "export", "white-horse"],
                env=env,
                cwd=tmp_path,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert export.returncode == 0, export.stderr
            exported = load_venue_toml(export.stdout)
            shipped = read_venue_file(DEMO_VENUE)
            assert table_facts(exported) == table_facts(shipped)
            assert len(exported.tables) == 40
            assert exported.adjacent_pairs() == shipped.adjacent_pairs()
            assert len(exported.adjacent_pairs()) == 79

            code = demo.stop()
            output = demo.output()
    finally:
        stop_leftover_postgres(data_dir / "postgres")

    assert code == 0, output  # uvicorn handles Ctrl+C and shuts down cleanly
    assert "Traceback" not in output
    keys = STAFF_KEY.findall(output)
    assert len(keys) == 1, output
    assert f"staff key  {keys[0]}" in output
    for url in (
        f"http://127.0.0.1:{port}/v1/restaurants/white-horse",
        f"http://127.0.0.1:{port}/docs",
        f"http://127.0.0.1:{port}/readyz",
        f"http://127.0.0.1:{port}/host",
    ):
        assert url in output
    # The last process to leave the embedded server stops it.
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    # The key is kept beside the data, for its owner's eyes only.
    assert (data_dir / "demo-key").stat().st_mode & 0o077 == 0


def test_a_restarted_demo_keeps_its_staff_key(tmp_path: Path) -> None:
    """So that whoever uses it (a host signed in at the stand, a script) carries on."""
    data_dir = tmp_path / "data"
    env = command_environment(RESERVE_DATA_DIR=str(data_dir))
    printed = []
    try:
        for run in range(2):
            port = free_port()
            log = tmp_path / f"demo-{run}.log"
            with running(["demo", "--port", str(port)], env, log, port) as demo:
                demo.wait_until_ready()
                key = STAFF_KEY.findall(demo.output())[0]
                bookings = httpx.get(
                    f"{demo.base_url}/v1/restaurants/white-horse/bookings",
                    params={"date": "2026-12-07"},
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=5,
                )
                assert bookings.status_code == 200, bookings.text
                printed.append(key)
                assert demo.stop() == 0
    finally:
        stop_leftover_postgres(data_dir / "postgres")
    assert printed[0] == printed[1]


def test_serve_answers_against_the_configured_database(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    env = command_environment(RESERVE_DATABASE_URL=database_url, RESERVE_ENV="test")
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(args, env, tmp_path / "serve.log", port) as server:
        server.wait_until_ready()
        readiness = httpx.get(f"{server.base_url}/readyz", timeout=5).json()
        assert readiness["status"] == "ready"

        code = server.stop()

    output = server.output()
    assert code == 0, output  # uvicorn handles Ctrl+C and shuts down cleanly
    assert "Traceback" not in output


def test_serve_with_workers_answers_and_stops_them_all(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    env = command_environment(RESERVE_DATABASE_URL=database_url, RESERVE_ENV="test")
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    with running(args, env, tmp_path / "serve.log", port) as server:
        server.wait_until_ready()
        # Each new connection lands on either worker; all must answer.
        for _ in range(20):
            with httpx.Client(base_url=server.base_url, timeout=5) as client:
                assert client.get("/readyz").status_code == 200
        workers = {pid for pid in worker_pids(server.process.pid) if is_worker(pid)}
        assert len(workers) == 2, workers

        code = server.stop()

    output = server.output()
    assert code == 0, output
    assert "Traceback" not in output
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_serve_with_workers_refuses_a_port_another_server_listens_on(database_url: str) -> None:
    # Workers share their port through SO_REUSEPORT; a second server must not join in and
    # take half of the first one's connections.
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        env = command_environment(RESERVE_DATABASE_URL=database_url, RESERVE_ENV="test")
        args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        done = subprocess.run(
            [sys.executable, "-m", "reserve", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
