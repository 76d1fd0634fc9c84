"""``reserve keys`` and ``reserve flags``: keys made, shown once, stored hashed and revoked;
flag defaults from the environment and overrides per venue."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from reserve.config import FLAGS, PLACEHOLDER_SECRET
from reserve.db.database import Connection, OperatorDatabase
from reserve.domain.access import Role
from reserve.services.keys import authenticate, hash_key
from reserve.services.venues import DEMO_VENUE

if TYPE_CHECKING:
    from conftest import Cli

SLUG = "white-horse"
KEY = re.compile(r"rsv_[A-Za-z0-9_-]{43}")
DEFAULTS = {
    "allocator.adjacency_mode": "connected",
    "allocator.max_tables": "3",
    "allocator.require_adjacency": "true",
    "allocator.adjacency_min_party_size": "none",
    "allocator.lookahead": "true",
    "allocator.selector_timeout_ms": "200",
    "allocator.fail_hard": "false",
    "allocator.admission": "limits",
    "allocator.pooling": "true",
    "allocator.pooling_freeze_minutes": "60",
    "debug.capacity_profiling": "false",
}


def one_line(text: str) -> str:
    """The text with Rich's panel borders and line wrapping taken out."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def last_line(text: str) -> str:
    return text.rstrip("\n").splitlines()[-1]


def flag_rows(output: str) -> dict[str, list[str]]:
    """The rows of the ``flags list`` table by flag: default, variable, override, value..."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells and cells[0] in FLAGS:
            rows[cells[0]] = cells[1:]
    return rows


def stored_overrides(admin: Connection) -> list[dict[str, object]]:
    return admin.execute("SELECT name, value FROM feature_flag_overrides ORDER BY name").fetchall()


def key_count(admin: Connection) -> int:
    row = admin.execute("SELECT count(*) AS n FROM api_keys").fetchone()
    assert row is not None
    return int(row["n"])


@pytest.fixture
def restaurant_id(cli: Cli, admin: Connection) -> object:
    assert cli("venue", "import", str(DEMO_VENUE)).code == 0
    row = admin.execute("SELECT id FROM restaurants WHERE slug = %s", (SLUG,)).fetchone()
    assert row is not None
    return row["id"]


# --- keys ------------------------------------------------------------------------------


def test_a_staff_key_is_printed_alone_on_the_last_line_and_authenticates(
    cli: Cli, admin: Connection, operator: OperatorDatabase, restaurant_id: object
) -> None:
    result = cli("keys", "create", "--role", "staff", "--restaurant", SLUG)

    assert result.code == 0, result.err
    key = last_line(result.out)
    assert KEY.fullmatch(key)
    principal = authenticate(operator, PLACEHOLDER_SECRET, key)
    assert principal is not None
    assert principal.role is Role.STAFF
    assert principal.restaurant_id == restaurant_id
    assert authenticate(operator, "another secret", key) is None


def test_a_key_is_stored_as_its_hash_and_never_as_itself(
    cli: Cli, admin: Connection, restaurant_id: object
) -> None:
    key = last_line(cli("keys", "create", "--role", "staff", "--restaurant", SLUG).out)

    row = admin.execute("SELECT * FROM api_keys").fetchone()

    assert row is not None
    assert row["key_hash"] == hash_key(PLACEHOLDER_SECRET, key)
    assert row["prefix"] == key[:12]
    assert not [name for name, value in row.items() if key in str(value)]


def test_an_admin_key_is_printed_alone_on_the_last_line_and_belongs_to_no_restaurant(
    cli: Cli, admin: Connection, operator: OperatorDatabase
) -> None:
    result = cli("keys", "create", "--role", "admin")

    assert result.code == 0, result.err
    key = last_line(result.out)
    assert KEY.fullmatch(key)
    principal = authenticate(operator, PLACEHOLDER_SECRET, key)
    assert principal is not None
    assert principal.role is Role.ADMIN
    assert principal.restaurant_id is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--role", "staff"], "a staff key needs --restaurant"),
        (["--role", "admin", "--restaurant", SLUG], "an admin key belongs to no restaurant"),
        (["--role", "staff", "--restaurant", "nowhere"], "no restaurant 'nowhere'"),
        (["--role", "owner"], "'owner' is not one of 'staff', 'admin'"),
    ],
    ids=["staff-without-restaurant", "admin-with-restaurant", "unknown-restaurant", "bad-role"],
)
@pytest.mark.usefixtures("restaurant_id")
def test_keys_create_refuses_a_key_that_makes_no_sense(
    cli: Cli, admin: Connection, options: list[str], message: str
) -> None:
    result = cli("keys", "create", *options)

    assert result.code != 0
    assert message in one_line(result.err)
    assert "rsv_" not in result.out
    assert key_count(admin) == 0


def test_keys_list_shows_a_key_by_its_prefix_and_revoke_stops_it(
    cli: Cli, admin: Connection, operator: OperatorDatabase, restaurant_id: object
) -> None:
    key = last_line(cli("keys", "create", "--role", "staff", "--restaurant", SLUG).out)
    prefix = key[:12]

    listed = cli("keys", "list")

    assert listed.code == 0, listed.err
    row = next(line for line in listed.out.splitlines() if prefix in line)
    assert "staff" in row
    assert SLUG in row
    assert key not in listed.out

    revoked = cli("keys", "revoke", prefix)

    assert revoked.code == 0, revoked.err
    assert f"revoked {prefix}" in revoked.out
    assert authenticate(operator, PLACEHOLDER_SECRET, key) is None


# --- flags -----------------------------------------------------------------------------


def test_flags_list_shows_every_flag_with_its_default(cli: Cli) -> None:
    result = cli("flags", "list")

    assert result.code == 0, result.err
    rows = flag_rows(result.out)
    assert {name: cells[0] for name, cells in rows.items()} == DEFAULTS
    assert {name: cells[1] for name, cells in rows.items()} == {
        name: spec.env for name, spec in FLAGS.items()
    }


def test_a_flag_set_in_the_environment_changes_its_listed_default(
    cli: Cli, env: pytest.MonkeyPatch
) -> None:
    env.setenv("FEATURE_ALLOCATOR_K_MAX", "4")

    result = cli("flags", "list")

    assert result.code == 0, result.err
    assert flag_rows(result.out)["allocator.max_tables"][0] == "4"


def test_flags_set_stores_an_override_that_list_shows_and_unset_removes(
    cli: Cli, admin: Connection, restaurant_id: object
) -> None:
    stored = cli("flags", "set", "allocator.max_tables", "4", "--restaurant", SLUG)

    assert stored.code == 0, stored.err
    row = admin.execute("SELECT restaurant_id, name, value FROM feature_flag_overrides").fetchone()
    assert row == {"restaurant_id": restaurant_id, "name": "allocator.max_tables", "value": 4}
    listed = flag_rows(cli("flags", "list", "--restaurant", SLUG).out)
    default, _, override, value = listed["allocator.max_tables"][:4]
    assert (default, override, value) == ("3", "4", "4")
    assert listed["allocator.lookahead"][2:4] == ["", "true"]

    removed = cli("flags", "unset", "allocator.max_tables", "--restaurant", SLUG)

    assert removed.code == 0, removed.err
    assert "removed" in removed.out
    assert stored_overrides(admin) == []
    after = flag_rows(cli("flags", "list", "--restaurant", SLUG).out)
    assert after["allocator.max_tables"][2:4] == ["", "3"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("allocator.max_table", "4"),
        ("allocator.max_tables", "9"),
        ("allocator.max_tables", "abc"),
        ("allocator.adjacency_mode", "diagonal"),
        ("allocator.require_adjacency", "maybe"),
    ],
)
@pytest.mark.usefixtures("restaurant_id")
def test_flags_set_refuses_an_unknown_flag_or_a_malformed_value(
    cli: Cli, admin: Connection, name: str, value: str
) -> None:
    result = cli("flags", "set", name, value, "--restaurant", SLUG)

    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert name in result.err
    assert stored_overrides(admin) == []


@pytest.mark.usefixtures("restaurant_id")
def test_flags_unset_refuses_an_unknown_flag(cli: Cli) -> None:
    result = cli("flags", "unset", "allocator.max_table", "--restaurant", SLUG)

    assert result.code == 1
    assert "unknown flag 'allocator.max_table'" in result.err
