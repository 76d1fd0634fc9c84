"""``reserve db``: migrations down and up, the schema check, reset and seed."""

from __future__ import annotations

import io
import secrets
from typing import TYPE_CHECKING

import pytest

from reserve.db import migrations
from reserve.db.database import Connection, connect
from reserve.services.venues import DEMO_VENUE

if TYPE_CHECKING:
    from conftest import Cli


def one_line(text: str) -> str:
    return " ".join(text.split())


def public_tables(url: str) -> set[str]:
    with connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in rows}


def revision(url: str) -> str | None:
    with connect(url) as conn:
        return migrations.current_revision(conn)


def restaurant_count(url: str) -> int:
    with connect(url) as conn:
        row = conn.execute("SELECT count(*) AS n FROM restaurants").fetchone()
        assert row is not None
        return int(row["n"])


@pytest.fixture
def scratch(cli: Cli, env: pytest.MonkeyPatch, fresh_database_url: str) -> str:
    """A migrated database of this test's own, which the command line now points at."""
    env.setenv("RESERVE_DATABASE_URL", fresh_database_url)
    return fresh_database_url


def test_downgrade_to_base_drops_every_table_and_migrate_brings_them_back(
    cli: Cli, scratch: str
) -> None:
    down = cli("db", "downgrade", "base")

    assert down.code == 0, down.err
    assert public_tables(scratch) <= {"alembic_version"}
    assert revision(scratch) is None

    up = cli("db", "migrate")

    assert up.code == 0, up.err
    assert {"restaurants", "tables", "allocations", "api_keys"} <= public_tables(scratch)
    assert revision(scratch) == migrations.head_revision()


def test_migrate_gives_the_application_role_its_password_and_a_login(
    cli: Cli, scratch: str, env: pytest.MonkeyPatch
) -> None:
    env.setenv("RESERVE_APP_PASSWORD", "app-" + secrets.token_urlsafe(12))

    result = cli("db", "migrate")

    assert result.code == 0, result.err
    assert "reserve_app's password set from RESERVE_APP_PASSWORD" in result.out
    with connect(scratch) as conn:
        role = conn.execute(
            "SELECT rolcanlogin, rolpassword LIKE 'SCRAM-SHA-256$%%' AS hashed, rolsuper,"
            " rolbypassrls FROM pg_authid WHERE rolname = 'reserve_app'"
        ).fetchone()
    assert role == {"rolcanlogin": True, "hashed": True, "rolsuper": False, "rolbypassrls": False}


def test_check_passes_on_a_migrated_database(cli: Cli, scratch: str) -> None:
    result = cli("db", "check")

    assert result.code == 0, result.out + result.err
    assert f"schema matches the migrations ({migrations.head_revision()})" in one_line(result.out)


def test_check_names_a_constraint_dropped_by_hand(cli: Cli, scratch: str) -> None:
    with connect(scratch, autocommit=True) as conn:
        conn.execute("ALTER TABLE allocations DROP CONSTRAINT allocations_no_overlap")

    result = cli("db", "check")

    assert result.code == 1
    assert "constraint allocations.allocations_no_overlap: missing" in one_line(result.out)


def test_check_names_a_column_added_by_hand(cli: Cli, scratch: str) -> None:
    with connect(scratch, autocommit=True) as conn:
        conn.execute("ALTER TABLE tables ADD COLUMN colour text")

    result = cli("db", "check")

    assert result.code == 1
    assert "column tables.colour: not created by the migrations" in one_line(result.out)


def test_check_says_when_the_database_was_never_migrated(cli: Cli, scratch: str) -> None:
    migrations.downgrade(scratch, "base")

    result = cli("db", "check")

    assert result.code == 1
    head = migrations.head_revision()
    assert f"database is at revision none; the migrations head is {head}" in one_line(result.out)


def test_reset_refuses_production_without_force_and_drops_nothing(
    cli: Cli, env: pytest.MonkeyPatch, scratch: str
) -> None:
    assert cli("venue", "import", str(DEMO_VENUE)).code == 0
    env.setenv("RESERVE_ENV", "production")
    env.setenv("RESERVE_SECRET_KEY", secrets.token_urlsafe(32))

    result = cli("db", "reset", "--yes")

    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert "production" in result.err
    assert "--force" in result.err
    assert restaurant_count(scratch) == 1


def test_reset_with_yes_empties_the_data_and_migrates_to_the_latest(cli: Cli, scratch: str) -> None:
    assert cli("venue", "import", str(DEMO_VENUE)).code == 0

    result = cli("db", "reset", "--yes")

    assert result.code == 0, result.err
    assert restaurant_count(scratch) == 0
    assert revision(scratch) == migrations.head_revision()
    check = cli("db", "check")
    assert check.code == 0, check.out


def test_reset_without_yes_refuses_when_there_is_no_terminal_to_ask(
    cli: Cli, env: pytest.MonkeyPatch, scratch: str
) -> None:
    assert cli("venue", "import", str(DEMO_VENUE)).code == 0
    env.setattr("sys.stdin", io.StringIO("y\n"))  # piped in, not typed at a terminal

    result = cli("db", "reset")

    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert "--yes" in result.err
    assert restaurant_count(scratch) == 1


def test_seed_loads_the_white_horse_and_may_run_again(cli: Cli, admin: Connection) -> None:
    first = cli("db", "seed")

    assert first.code == 0, first.err
    assert "created white-horse: 5 zones, 40 tables" in one_line(first.out)
    ids = admin.execute("SELECT label, id FROM tables ORDER BY label").fetchall()
    assert len(ids) == 40

    second = cli("db", "seed")

    assert second.code == 0, second.err
    assert "updated white-horse: 5 zones, 40 tables" in one_line(second.out)
    assert admin.execute("SELECT label, id FROM tables ORDER BY label").fetchall() == ids
    restaurants = admin.execute("SELECT count(*) AS n FROM restaurants").fetchone()
    assert restaurants == {"n": 1}
