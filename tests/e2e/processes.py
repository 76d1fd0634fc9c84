"""Running ``reserve`` as a process for the end-to-end tests: a free port, a clean
environment, a server started, waited for and always stopped, and a weekday to book."""

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
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        yield server
    finally:
        server.stop()
