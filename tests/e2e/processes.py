"""Running ``reserve`` as a process for the end-to-end tests: a free port, a clean
environment, a server started, waited for and always stopped, and a weekday to book; its
workers, and the embedded PostgreSQL of a data directory, seen from outside (Linux /proc)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import psutil
import pytest

READY_WITHIN_SECONDS = 60.0
STOP_WITHIN_SECONDS = 20.0


def next_monday() -> date:
    """A Monday (the White Horse opens Monday to Friday) a few days ahead."""
    day = date.today() + timedelta(days=3)
    return day + timedelta(days=-day.weekday() % 7)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def command_environment(**settings: str) -> dict[str, str]:
    """This environment without any reserve settings or flags, plus ``settings``."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("RESERVE_", "FEATURE_", "DEBUG_CAPACITY"))
    }
    # Wide enough that no printed line wraps; unbuffered so the log shows progress live.
    environ.update(COLUMNS="200", PYTHONUNBUFFERED="1", **settings)
    return environ


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_WITHIN_SECONDS
        with httpx.Client(base_url=self.base_url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    pytest.fail(f"exited with {self.process.returncode}:\n{self.output()}")
                try:
                    if client.get("/readyz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        pytest.fail(f"not ready within {READY_WITHIN_SECONDS:.0f} s:\n{self.output()}")

    def stop(self) -> int:
        """Ctrl+C, then a kill if it does not stop in time; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_WITHIN_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path, port: int) -> Iterator[Server]:
    """``reserve ARGS`` in the background; always stopped when the block ends."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "reserve", *args],
            env=env,
            cwd=log.parent,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            process_group=0,  # its own, as a service manager runs it: os.killpg reaches it all
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def serving_database(
    database_url: str, log: Path, *, workers: int = 1, secret: str, **settings: str
) -> Iterator[tuple[Server, int]]:
    """``reserve serve --workers N`` against a test database (``settings`` added to its
    environment), and its port, once ready; stopped (Ctrl+C) when the block ends."""
    port = free_port()
    environ = command_environment(
        RESERVE_DATABASE_URL=database_url, RESERVE_ENV="test", RESERVE_SECRET_KEY=secret, **settings
    )
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with running(args, environ, log, port) as server:
        server.wait_until_ready()
        yield server, port


def worker_pids(parent: int) -> set[int]:
    """The live child processes of ``parent`` (multiprocessing's resource tracker too)."""
    children = Path(f"/proc/{parent}/task/{parent}/children")
    if not children.exists():
        return set()
    return {int(pid) for pid in children.read_text().split() if is_alive(int(pid))}


def is_worker(pid: int) -> bool:
    """A spawned worker, not multiprocessing's resource tracker."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"resource_tracker" not in cmdline


def workers(server: Server) -> set[int]:
    """The server's live worker processes."""
    return {pid for pid in worker_pids(server.process.pid) if is_worker(pid)}


def listens_on(pid: int, port: int) -> bool:
    """Process ``pid`` has a socket listening on TCP ``port``."""
    try:
        sockets = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(s.status == psutil.CONN_LISTEN and s.laddr.port == port for s in sockets)


def is_alive(pid: int) -> bool:
    """A process ``pid`` runs: it exists and is not a zombie waiting to be reaped."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def postmaster_pid(pgdata: Path) -> int | None:
    """The process id ``postmaster.pid`` names; None without the file."""
    try:
        return int((pgdata / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def postgres_of(pgdata: Path) -> list[int]:
    """The live processes whose command line names ``pgdata`` (its server's postmaster)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = process.info["cmdline"] or []
        if any(str(pgdata) in part for part in command) and is_alive(process.pid):
            found.append(process.pid)
    return found
