"""What ``reserve serve`` survives: its embedded PostgreSQL killed, workers killed as they
start, workers that cannot start at all, and a SIGTERM to its whole process group.

Each test serves its own copy of a data directory migrated once (with the White Horse in
it), so the kills never reach the suite's database server or another test's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from processes import (
    READY_WITHIN_SECONDS,
    Server,
    command_environment,
    free_port,
    is_alive,
    listens_on,
    next_monday,
    postgres_of,
    postmaster_pid,
    running,
    workers,
)

from reserve.db import migrations
from reserve.db.database import OperatorDatabase
from reserve.db.embedded import embedded_database_url, release
from reserve.services.venues import DEMO_VENUE, import_venue_file

pytestmark = pytest.mark.e2e

RECOVERY_SECONDS = 5.0  # the target: /readyz answers 200 again this soon after a kill
WAIT_SECONDS = READY_WITHIN_SECONDS  # for a worker or the database to start: slow when busy
TERM_WITHIN_SECONDS = 30.0


def reserve(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reserve", *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory, migrated and with the White Horse, its server stopped."""
    data_dir = tmp_path_factory.mktemp("migrated") / "data"
    url = embedded_database_url(data_dir)
    migrations.upgrade(url)
    import_venue_file(OperatorDatabase(url), DEMO_VENUE)
    release(data_dir)  # this process was its only user: that stops it
    assert postmaster_pid(data_dir / "postgres") is None
    return data_dir


@pytest.fixture
def data_dir(migrated: Path, tmp_path: Path) -> Path:
    """This test's own copy of the migrated data directory."""
    copy = tmp_path / "data"
    # cp -a keeps the files' owner: run as root, the server runs as a user of its own.
    subprocess.run(["cp", "-a", str(migrated), str(copy)], check=True)
    return copy


@pytest.fixture
def stop_leftovers(data_dir: Path) -> Callable[[], None]:
    """After the test, whatever it left of its own server is stopped (only its own: the
    processes whose command line names this test's data directory)."""
    pgdata = (data_dir / "postgres").resolve()

    def stop() -> None:
        for pid in postgres_of(pgdata):
            os.kill(pid, signal.SIGQUIT)  # PostgreSQL's immediate shutdown

    return stop


def eventually(what: Callable[[], bool], server: Server, within: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + within
    while not what():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {within:.0f} s:\n{server.output()}")
        if server.process.poll() is not None:
            pytest.fail(f"serve exited with {server.process.returncode}:\n{server.output()}")
        time.sleep(0.05)


def ready(server: Server) -> bool:
    try:
        return httpx.get(f"{server.base_url}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def serving(server: Server, port: int, count: int) -> Callable[[], bool]:
    return lambda: sum(listens_on(pid, port) for pid in workers(server)) == count


def kill_postmaster(pgdata: Path, server: Server) -> tuple[int, float]:
    """SIGKILL to the embedded server; its pid, and when."""
    pid = postmaster_pid(pgdata)
    assert pid is not None, server.output()
    assert is_alive(pid), server.output()
    os.kill(pid, signal.SIGKILL)
    return pid, time.monotonic()


def book(server: Server) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/v1/restaurants/white-horse/bookings",
        json={
            "party_size": 2,
            "date": next_monday().isoformat(),
            "time": "19:00",
            "guest": {"name": "Ada", "email": "ada@example.com"},
        },
        headers={"Idempotency-Key": "after-the-crash"},
        timeout=10,
    )


def test_serve_starts_a_killed_postgresql_again_and_is_ready_within_five_seconds(
    data_dir: Path, tmp_path: Path, stop_leftovers: Callable[[], None]
) -> None:
    pgdata = data_dir / "postgres"
    port = free_port()
    env = command_environment(RESERVE_DATA_DIR=str(data_dir))
    args = ["serve", "--port", str(port), "--workers", "2"]
    try:
        with running(args, env, tmp_path / "serve.log", port) as server:
            server.wait_until_ready()
            killed, at = kill_postmaster(pgdata, server)
            # Started again by serve itself (no command run), then ready: both counted.
            eventually(lambda: postmaster_pid(pgdata) not in (None, killed), server)
            eventually(lambda: ready(server), server)
            recovered = time.monotonic() - at
            assert recovered < RECOVERY_SECONDS, server.output()

            booking = book(server)
            assert booking.status_code == 201, booking.text
            log = server.output()
    finally:
        stop_leftovers()

    assert f"the embedded PostgreSQL (pid {killed}) has stopped; starting it again" in log
    assert log.count("the embedded PostgreSQL is running again") == 1, log


def test_a_worker_killed_as_it_starts_twice_is_replaced_while_the_other_serves(
    data_dir: Path, tmp_path: Path, stop_leftovers: Callable[[], None]
) -> None:
    port = free_port()
    env = command_environment(RESERVE_DATA_DIR=str(data_dir))
    args = ["serve", "--port", str(port), "--workers", "2"]
    unanswered: list[str] = []

    def answering_until(done: Callable[[], bool]) -> None:
        """Requests, one at a time and each on a new connection, until ``done``."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not done():
            assert time.monotonic() < deadline, server.output()
            try:
                httpx.get(f"{server.base_url}/healthz", timeout=5).raise_for_status()
            except httpx.HTTPError as error:
                unanswered.append(repr(error))

    try:
        with running(args, env, tmp_path / "serve.log", port) as server:
            server.wait_until_ready()
            eventually(serving(server, port, 2), server)
            other, first = sorted(workers(server))
            os.kill(first, signal.SIGKILL)
            known = {other, first}
            for _ in range(2):  # its replacement as soon as it appears, then that one's
                answering_until(lambda: bool(workers(server) - known))
                (young,) = workers(server) - known
                os.kill(young, signal.SIGKILL)
                known.add(young)
            answering_until(serving(server, port, 2))
            (last,) = workers(server) - known
            assert workers(server) == {other, last}  # the other served throughout
            log = server.output()
    finally:
        stop_leftovers()

    assert not unanswered, unanswered
    assert log.count("stopped (killed by SIGKILL)") == 3, log
    assert "Traceback" not in log


def test_serve_gives_up_in_one_line_when_no_worker_can_start(tmp_path: Path) -> None:
    # A mistyped setting of the database URL (sslmod for sslmode) fails every worker's app.
    url = "postgresql://reserve@127.0.0.1:9/reserve?sslmod=require"
    env = command_environment(
        RESERVE_DATABASE_URL=url, RESERVE_ENV="test", RESERVE_LOG_FORMAT="text"
    )
    began = time.monotonic()
    done = reserve(["serve", "--port", str(free_port()), "--workers", "2"], env, tmp_path)
    took = time.monotonic() - began

    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: no worker could start: the last "), output
    assert output.count("no worker could start") == 1, output
    assert 'invalid URI query parameter: "sslmod"' in output  # each worker's own line
    assert "Traceback" not in output
    assert took < 60, output


@pytest.mark.parametrize(
    "command",
    [["serve", "--workers", "2"], ["serve", "--workers", "1"], ["demo"]],
    ids=["serve-2-workers", "serve-1-worker", "demo"],
)
def test_a_sigterm_to_the_process_group_stops_everything_after_a_restart_too(
    command: list[str], data_dir: Path, tmp_path: Path, stop_leftovers: Callable[[], None]
) -> None:
    """What systemd sends: SIGTERM to serve and its workers at once, then again while they
    stop. Serve exits 0 and leaves no PostgreSQL of its data directory running, though the
    one running by then is not the one it started."""
    pgdata = (data_dir / "postgres").resolve()
    port = free_port()
    env = command_environment(RESERVE_DATA_DIR=str(data_dir))
    try:
        with running([*command, "--port", str(port)], env, tmp_path / "serve.log", port) as server:
            server.wait_until_ready()
            killed, _ = kill_postmaster(pgdata, server)
            eventually(lambda: postmaster_pid(pgdata) not in (None, killed), server)
            eventually(lambda: ready(server), server)
            restarted = postmaster_pid(pgdata)
            assert restarted is not None

            os.killpg(server.process.pid, signal.SIGTERM)
            time.sleep(0.3)
            with contextlib.suppress(ProcessLookupError):  # while it stops: changes nothing
                os.killpg(server.process.pid, signal.SIGTERM)
            code = server.process.wait(TERM_WITHIN_SECONDS)
            log = server.output()
            left = postgres_of(pgdata)
    finally:
        stop_leftovers()

    assert code == 0, log
    assert "Traceback" not in log
    assert postmaster_pid(pgdata) is None, log
    assert not is_alive(restarted)
    assert left == [], log


def test_ctrl_c_to_the_process_group_stops_serve_started_with_interrupts_ignored(
    database_url: str, tmp_path: Path
) -> None:
    """A server started in a script's background inherits SIGINT ignored; a Ctrl+C to its
    group (or SIGINT to each process) still stops it, workers and all, rather than its
    workers stopping and being replaced."""
    port = free_port()
    env = command_environment(
        RESERVE_DATABASE_URL=database_url, RESERVE_ENV="test", RESERVE_LOG_FORMAT="text"
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            # As a script's background job is started: SIGINT ignored, from the shell's trap.
            [
                "sh",
                "-c",
                'trap "" INT; exec "$0" -m reserve serve --port "$1" --workers 2',
                sys.executable,
                str(port),
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        server.wait_until_ready()
        eventually(serving(server, port, 2), server)
        os.killpg(process.pid, signal.SIGINT)
        code = process.wait(TERM_WITHIN_SECONDS)
    finally:
        server.stop()
    output = server.output()
    assert code == 0, output
    assert "starting another" not in output
    assert "Traceback" not in output
