"""Test databases: one PostgreSQL server per run, migrated once into a template database,
one copy of the template per test worker, every table emptied after each test.

The server is ``RESERVE_TEST_DATABASE_URL`` when set, otherwise an embedded one in the
run's temporary directory (shared by the xdist workers of the run, never by two runs).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings

from reserve.cli.main import main
from reserve.db import migrations
from reserve.db.database import Connection, OperatorDatabase, connect
from reserve.db.embedded import embedded_database_url
from reserve.db.urls import with_database

TEMPLATE_LOCK_ID = 7_300_412_002

# Property tests check what is true, not how fast: on a busy machine an example may take
# longer than Hypothesis's default 200 ms, and drawing one longer than it likes.
settings.register_profile(
    "reserve", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("reserve")


def _migrations_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(migrations.migrations_dir().rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    """A URL of the test server's maintenance database."""
    configured = os.environ.get("RESERVE_TEST_DATABASE_URL")
    if configured:
        return configured
    run_dir = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        run_dir = run_dir.parent  # shared by the workers of this run
    url = embedded_database_url(run_dir / "reserve-data")
    with connect(url, autocommit=True) as conn:
        # Durability buys nothing in a throwaway test server.
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(f"ALTER SYSTEM SET {setting} = off")  # type: ignore[arg-type]
        conn.execute("SELECT pg_reload_conf()")
    return url


@pytest.fixture(scope="session")
def template_name(server_url: str) -> str:
    """A database migrated to the latest revision, made once for all workers."""
    name = f"reserve_template_{_migrations_fingerprint()}"
    with connect(server_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (TEMPLATE_LOCK_ID,))
        try:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
                migrations.upgrade(with_database(server_url, name))
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (TEMPLATE_LOCK_ID,))
    return name


def create_database_from_template(server_url: str, template: str, name: str) -> str:
    with connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')  # type: ignore[arg-type]
    return with_database(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def worker_database_url(server_url: str, template_name: str, worker_id: str) -> Iterator[str]:
    name = f"reserve_test_{worker_id}_{os.getpid()}"
    url = create_database_from_template(server_url, template_name, name)
    yield url
    drop_database(server_url, name)


@pytest.fixture
def database_url(worker_database_url: str) -> Iterator[str]:
    """The worker's migrated database, emptied after the test."""
    yield worker_database_url
    with connect(worker_database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE restaurants, api_keys CASCADE")


@pytest.fixture
def admin(database_url: str) -> Iterator[Connection]:
    """A connection as the owner (row-level security does not apply), in autocommit."""
    with connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def operator(database_url: str) -> OperatorDatabase:
    """The test database as its owner, for the use cases operators run (a unit of work
    each)."""
    return OperatorDatabase(database_url)


@pytest.fixture
def fresh_database_url(server_url: str, template_name: str, worker_id: str) -> Iterator[str]:
    """A database of its own, for tests that change the schema itself."""
    name = f"reserve_scratch_{worker_id}_{os.getpid()}"
    yield create_database_from_template(server_url, template_name, name)
    drop_database(server_url, name)


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


Cli = Callable[..., CliResult]


@pytest.fixture
def cli(env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run ``reserve ARGS...`` in this process against the test database."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            main(list(args))
        out, err = capsys.readouterr()
        code = exit_info.value.code
        return CliResult(code if isinstance(code, int) else 1, out, err)

    return run


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> pytest.MonkeyPatch:
    """The environment of a command run against the test database."""
    for name in list(os.environ):
        if name.startswith(("RESERVE_", "FEATURE_", "DEBUG_CAPACITY")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RESERVE_DATABASE_URL", database_url)
    monkeypatch.setenv("RESERVE_ENV", "test")
    return monkeypatch
