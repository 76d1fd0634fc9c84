"""``reserve venue import`` and ``export``: the White Horse in and out, and every refusal."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import tomli_w

from reserve.db.database import Connection
from reserve.services.venues import DEMO_VENUE

if TYPE_CHECKING:
    from conftest import Cli, CliResult

SLUG = "white-horse"
COUNTED = ("restaurants", "zones", "tables", "table_adjacency", "services", "service_periods")
# Every row of a venue, in a stable order. Service periods are compared without their ids:
# an import replaces the opening times whole, with new ids.
SNAPSHOT = {
    "restaurants": "SELECT * FROM restaurants ORDER BY slug",
    "zones": "SELECT * FROM zones ORDER BY restaurant_id, key",
    "tables": "SELECT * FROM tables ORDER BY restaurant_id, label",
    "table_adjacency": "SELECT * FROM table_adjacency ORDER BY restaurant_id, table_a, table_b",
    "service_periods": (
        "SELECT restaurant_id, service, weekdays, start_time, end_time, position"
        " FROM service_periods ORDER BY restaurant_id, position"
    ),
}
TABLE_FIELDS = ("label", "zone", "capacity", "min_party", "max_party", "category", "seating")
TABLE_DEFAULTS = {"category": "dining", "seating": "standard"}


def one_line(text: str) -> str:
    return " ".join(text.split())


def white_horse() -> dict[str, Any]:
    return tomllib.loads(DEMO_VENUE.read_text(encoding="utf-8"))


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(tomli_w.dumps(document), encoding="utf-8")
    return path


def without_table(document: dict[str, Any], label: str) -> dict[str, Any]:
    edited = copy.deepcopy(document)
    edited["tables"] = [table for table in edited["tables"] if table["label"] != label]
    edited["adjacent"] = [pair for pair in edited["adjacent"] if label not in pair]
    return edited


def counts(admin: Connection) -> dict[str, int]:
    row = admin.execute(
        "SELECT " + ", ".join(f"(SELECT count(*) FROM {table}) AS {table}" for table in COUNTED)
    ).fetchone()
    assert row is not None
    return row


def snapshot(admin: Connection) -> dict[str, list[dict[str, Any]]]:
    return {name: admin.execute(query).fetchall() for name, query in SNAPSHOT.items()}


def table_ids(admin: Connection) -> dict[str, Any]:
    rows = admin.execute("SELECT label, id FROM tables").fetchall()
    return {row["label"]: row["id"] for row in rows}


def tables_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {name: table.get(name, TABLE_DEFAULTS.get(name)) for name in TABLE_FIELDS}
        for table in document["tables"]
    ]


def pairs_of(document: dict[str, Any]) -> set[frozenset[str]]:
    return {frozenset(pair) for pair in document["adjacent"]}


def add_allocation(admin: Connection, label: str, starts_in: str) -> None:
    """A block holding table ``label`` for two hours from now + ``starts_in``."""
    admin.execute(
        """
        WITH block AS (
            INSERT INTO blocks (restaurant_id, id, start_at, end_at, created_by)
            SELECT t.restaurant_id, gen_random_uuid(), now() + %(at)s::interval,
                   now() + %(at)s::interval + interval '2 hours', 'test'
              FROM tables t WHERE t.label = %(label)s
            RETURNING restaurant_id, id, start_at, end_at
        )
        INSERT INTO allocations (restaurant_id, table_id, block_id, service_date, occupied)
        SELECT b.restaurant_id, t.id, b.id, b.start_at::date, tstzrange(b.start_at, b.end_at)
          FROM block b JOIN tables t ON t.restaurant_id = b.restaurant_id AND t.label = %(label)s
        """,
        {"label": label, "at": starts_in},
    )


@pytest.fixture
def imported(cli: Cli) -> None:
    result = cli("venue", "import", str(DEMO_VENUE))
    assert result.code == 0, result.err


def test_import_creates_the_white_horse_with_its_zones_tables_adjacency_and_services(
    cli: Cli, admin: Connection
) -> None:
    result = cli("venue", "import", str(DEMO_VENUE))

    assert result.code == 0, result.err
    assert "created white-horse: 5 zones, 40 tables, 79 adjacent pairs" in one_line(result.out)
    assert counts(admin) == {
        "restaurants": 1,
        "zones": 5,
        "tables": 40,
        "table_adjacency": 79,
        "services": 3,
        "service_periods": 3,
    }


@pytest.mark.usefixtures("imported")
def test_export_gives_back_the_tables_and_adjacent_pairs_of_the_source_file(cli: Cli) -> None:
    result = cli("venue", "export", SLUG)

    assert result.code == 0, result.err
    exported = tomllib.loads(result.out)
    source = white_horse()
    assert exported["slug"] == SLUG
    assert tables_of(exported) == tables_of(source)
    assert pairs_of(exported) == pairs_of(source)
    assert len(pairs_of(exported)) == 79


@pytest.mark.usefixtures("imported")
def test_importing_an_export_changes_nothing(cli: Cli, admin: Connection, tmp_path: Path) -> None:
    before = snapshot(admin)
    exported = cli("venue", "export", SLUG, "--output", str(tmp_path / "export.toml"))
    assert exported.code == 0, exported.err

    result = cli("venue", "import", str(tmp_path / "export.toml"))

    assert result.code == 0, result.err
    assert "updated white-horse: 5 zones, 40 tables, 79 adjacent pairs" in one_line(result.out)
    after = snapshot(admin)
    for name in ("zones", "tables", "table_adjacency", "service_periods"):
        assert after[name] == before[name], name
    assert cli("venue", "export", SLUG).out == (tmp_path / "export.toml").read_text()


@pytest.mark.usefixtures("imported")
def test_reimporting_an_edited_document_updates_the_venue_in_place(
    cli: Cli, admin: Connection, tmp_path: Path
) -> None:
    ids = table_ids(admin)
    document = without_table(white_horse(), "OG-06")
    md_11 = next(table for table in document["tables"] if table["label"] == "MD-11")
    md_11["capacity"] = 12
    document["tables"].append(
        {"label": "MD-13", "zone": "main-dining", "capacity": 2, "min_party": 1, "max_party": 2}
    )

    result = cli("venue", "import", str(write(tmp_path / "edited.toml", document)))

    assert result.code == 0, result.err
    output = one_line(result.out)
    assert "updated white-horse: 5 zones, 40 tables, 77 adjacent pairs" in output
    assert "tables added: MD-13" in output
    assert "tables removed: OG-06" in output
    ids_after = table_ids(admin)
    assert set(ids_after) == set(ids) - {"OG-06"} | {"MD-13"}
    assert {label: ids_after[label] for label in ids if label != "OG-06"} == {
        label: table_id for label, table_id in ids.items() if label != "OG-06"
    }
    capacity = admin.execute("SELECT capacity FROM tables WHERE label = 'MD-11'").fetchone()
    assert capacity == {"capacity": 12}
    assert counts(admin)["table_adjacency"] == 77


def embed_origins(admin: Connection) -> list[str]:
    row = admin.execute("SELECT embed_origins FROM restaurants WHERE slug = %s", (SLUG,)).fetchone()
    assert row is not None
    origins: list[str] = row["embed_origins"]
    return origins


def test_embed_origins_are_stored_lower_cased_exported_and_cleared(
    cli: Cli, admin: Connection, tmp_path: Path
) -> None:
    document = white_horse()
    document["embed_origins"] = ["https://www.TheWhiteHorse.example", "http://localhost:8080"]

    result = cli("venue", "import", str(write(tmp_path / "embedded.toml", document)))

    assert result.code == 0, result.err
    assert embed_origins(admin) == ["https://www.thewhitehorse.example", "http://localhost:8080"]
    exported = tomllib.loads(cli("venue", "export", SLUG).out)
    assert exported["embed_origins"] == embed_origins(admin)

    cleared = cli("venue", "import", str(DEMO_VENUE))

    assert cleared.code == 0, cleared.err
    assert embed_origins(admin) == []
    assert "embed_origins" not in tomllib.loads(cli("venue", "export", SLUG).out)


@pytest.mark.usefixtures("imported")
def test_import_refuses_an_embed_origin_with_a_path_naming_it(
    cli: Cli, admin: Connection, tmp_path: Path
) -> None:
    document = white_horse()
    document["embed_origins"] = ["https://www.thewhitehorse.example/book"]

    result = cli("venue", "import", str(write(tmp_path / "bad.toml", document)))

    assert result.code == 1
    assert "embed_origins[0] 'https://www.thewhitehorse.example/book' is not an origin" in (
        one_line(result.err)
    )
    assert embed_origins(admin) == []


def malformed(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The document with seven problems at once, and a phrase naming each of them."""
    bad = copy.deepcopy(document)
    tables = {table["label"]: table for table in bad["tables"]}
    tables["MD-01"]["zone"] = "cellar"
    bad["tables"].append({**tables["MD-02"]})
    bad["adjacent"].append(["MD-06", "BA-01"])
    tables["MD-05"]["min_party"] = 5
    bad["periods"][1]["start"] = "14:00"
    bad["colour"] = "green"
    bad["periods"][2]["end"] = "25:00"
    return bad, [
        "tables[0] (MD-01): unknown zone 'cellar'",
        "tables[40] (MD-02): label repeats tables[1]",
        "MD-06 and BA-01 are in different zones",
        "tables[4] (MD-05): min_party 5 is above max_party 4",
        "periods[0] and periods[1] overlap on Monday, Tuesday, Wednesday, Thursday, Friday",
        "unknown key 'colour'",
        "periods[2]: end '25:00' is not a time",
    ]


def assert_refused_naming_every_problem(result: CliResult, problems: list[str]) -> None:
    assert result.code == 1
    assert result.out == ""
    message = one_line(result.err)
    assert f"venue document has {len(problems)} problems" in message
    missing = [problem for problem in problems if problem not in message]
    assert not missing, message


def test_import_refuses_a_malformed_document_and_creates_nothing(
    cli: Cli, admin: Connection, tmp_path: Path
) -> None:
    document, problems = malformed(white_horse())

    result = cli("venue", "import", str(write(tmp_path / "bad.toml", document)))

    assert_refused_naming_every_problem(result, problems)
    assert counts(admin) == dict.fromkeys(COUNTED, 0)


@pytest.mark.usefixtures("imported")
def test_import_refuses_a_malformed_document_and_leaves_the_earlier_version_alone(
    cli: Cli, admin: Connection, tmp_path: Path
) -> None:
    before_counts, before = counts(admin), snapshot(admin)
    document, problems = malformed(white_horse())

    result = cli("venue", "import", str(write(tmp_path / "bad.toml", document)))

    assert_refused_naming_every_problem(result, problems)
    assert counts(admin) == before_counts
    assert snapshot(admin) == before


def test_import_refuses_values_past_the_schemas_limits_on_one_line(
    cli: Cli, admin: Connection, tmp_path: Path
) -> None:
    document = white_horse()
    document["tables"][0]["label"] = "M" * 33

    result = cli("venue", "import", str(write(tmp_path / "long.toml", document)))

    assert result.code == 1
    assert "label is 33 characters long, more than 32" in one_line(result.err)
    assert counts(admin) == dict.fromkeys(COUNTED, 0)


def test_import_reports_a_toml_syntax_error_on_one_line(
    cli: Cli, admin: Connection, tmp_path: Path
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('slug = "white-horse"\n[[tables]\nlabel = "MD-01"\n', encoding="utf-8")

    result = cli("venue", "import", str(path))

    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert re.match(r"error: venue document has 1 problem: not valid TOML: .*line 2", result.err)
    assert counts(admin) == dict.fromkeys(COUNTED, 0)


def test_import_reports_a_missing_file_on_one_line(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    result = cli("venue", "import", str(missing))

    assert result.code == 1
    assert result.err.strip() == f"error: no such file: {missing}"


@pytest.mark.usefixtures("imported")
def test_import_refuses_to_remove_a_table_with_a_future_allocation(
    cli: Cli, admin: Connection, tmp_path: Path
) -> None:
    add_allocation(admin, "OG-06", starts_in="1 day")
    before = snapshot(admin)

    result = cli(
        "venue", "import", str(write(tmp_path / "v2.toml", without_table(white_horse(), "OG-06")))
    )

    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert "OG-06" in result.err
    assert "future allocations" in result.err
    assert snapshot(admin) == before


@pytest.mark.usefixtures("imported")
def test_import_keeps_a_removed_table_with_only_past_allocations_as_inactive(
    cli: Cli, admin: Connection, tmp_path: Path
) -> None:
    ids = table_ids(admin)
    add_allocation(admin, "OG-06", starts_in="-1 day")

    result = cli(
        "venue", "import", str(write(tmp_path / "v2.toml", without_table(white_horse(), "OG-06")))
    )

    assert result.code == 0, result.err
    assert "tables kept inactive for their history: OG-06" in one_line(result.out)
    row = admin.execute("SELECT id, active FROM tables WHERE label = 'OG-06'").fetchone()
    assert row == {"id": ids["OG-06"], "active": False}
    allocations = admin.execute("SELECT count(*) AS n FROM allocations").fetchone()
    assert allocations == {"n": 1}
