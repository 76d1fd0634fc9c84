"""``reserve env check``: every problem with the configuration or the database, one line each."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reserve.db import migrations

if TYPE_CHECKING:
    from conftest import Cli

UNREACHABLE_URL = "postgresql://nobody@127.0.0.1:9/none"


def failures(output: str) -> list[str]:
    """The lines of the failed checks, without their mark."""
    return [line.removeprefix("✗").strip() for line in output.splitlines() if line.startswith("✗")]


def test_a_valid_environment_passes_every_check(cli: Cli) -> None:
    result = cli("env", "check")

    assert result.code == 0, result.out
    assert failures(result.out) == []
    assert f"schema at the latest migration ({migrations.head_revision()})" in result.out


def test_an_unreachable_database_is_one_line(cli: Cli, env: pytest.MonkeyPatch) -> None:
    env.setenv("RESERVE_DATABASE_URL", UNREACHABLE_URL)

    result = cli("env", "check")

    assert result.code != 0
    [line] = failures(result.out)
    assert "database unreachable" in line
    assert "127.0.0.1:9" in line


def test_production_with_the_placeholder_secret_is_one_line(
    cli: Cli, env: pytest.MonkeyPatch
) -> None:
    env.setenv("RESERVE_ENV", "production")

    result = cli("env", "check")

    assert result.code == 1
    [line] = failures(result.out)
    assert "RESERVE_SECRET_KEY is the placeholder" in line


def test_a_malformed_flag_in_the_environment_is_named(cli: Cli, env: pytest.MonkeyPatch) -> None:
    env.setenv("FEATURE_ALLOCATOR_K_MAX", "banana")

    result = cli("env", "check")

    assert result.code == 1
    [line] = failures(result.out)
    assert "FEATURE_ALLOCATOR_K_MAX='banana'" in line
    assert "allocator.max_tables" in line


def test_every_problem_is_reported_at_once(cli: Cli, env: pytest.MonkeyPatch) -> None:
    env.setenv("RESERVE_DATABASE_URL", UNREACHABLE_URL)
    env.setenv("RESERVE_ENV", "production")
    env.setenv("FEATURE_ALLOCATOR_K_MAX", "banana")

    result = cli("env", "check")

    assert result.code == 1
    lines = failures(result.out)
    assert len(lines) == 3
    for problem in ("RESERVE_SECRET_KEY is the placeholder", "FEATURE_ALLOCATOR_K_MAX", "database"):
        assert len([line for line in lines if problem in line]) == 1, problem


def test_a_malformed_setting_is_named(cli: Cli, env: pytest.MonkeyPatch) -> None:
    env.setenv("RESERVE_ENV", "staging")

    result = cli("env", "check")

    assert result.code == 1
    [line] = failures(result.out)
    assert line.startswith("RESERVE_ENV:")


def test_a_database_behind_the_latest_migration_is_reported(
    cli: Cli, env: pytest.MonkeyPatch, fresh_database_url: str
) -> None:
    migrations.downgrade(fresh_database_url, "base")
    env.setenv("RESERVE_DATABASE_URL", fresh_database_url)

    result = cli("env", "check")

    assert result.code == 1
    [line] = failures(result.out)
    head = migrations.head_revision()
    assert line == f"schema at revision none, the latest is {head}: run reserve db migrate"


# An address nothing can listen on: were the flag not checked first, the server would fail
# to start for that instead, and quickly, rather than serve.
@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_server_does_not_start_with_a_malformed_flag_in_the_environment(
    cli: Cli, env: pytest.MonkeyPatch, command: str
) -> None:
    env.setenv("FEATURE_ALLOCATOR_K_MAX", "nine")

    result = cli(command, "--host", "256.0.0.1", "--port", "8000")

    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: FEATURE_ALLOCATOR_K_MAX='nine' is not valid")
    assert "allocator.max_tables" in lines[0]
