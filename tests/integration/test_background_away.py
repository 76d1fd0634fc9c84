"""The server's background rounds (pending bookings, pruning, the integrity pass) while the
database is away: each says so in a line and tries again next round, with no traceback in
the log, and a failed integrity pass is counted."""

from __future__ import annotations

import asyncio
import logging

import pytest
from prometheus_client import REGISTRY

from reserve.api.background import Background
from reserve.config import PLACEHOLDER_SECRET
from reserve.db.database import Database
from reserve.services.context import Context
from reserve.services.venue_state import VenueStates

NOWHERE = "postgresql://reserve@/nothing?host=/nonexistent"


def integrity_failures() -> float:
    return REGISTRY.get_sample_value("reserve_integrity_failures_total") or 0.0


def test_rounds_without_the_database_say_so_in_a_line_and_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = Database(NOWHERE, min_size=0, max_size=1, timeout=0.1)
    database.open(wait=False)
    context = Context(database, VenueStates(), PLACEHOLDER_SECRET)
    failed_before = integrity_failures()
    loops = Background(
        context, database, pending_seconds=0.05, prune_seconds=0.05, integrity_seconds=0.05
    )

    async def rounds() -> None:
        loops.start()
        await asyncio.sleep(1.0)
        await loops.stop()

    try:
        with caplog.at_level(logging.WARNING, logger="reserve"):
            asyncio.run(rounds())
    finally:
        database.close()
    for said in ("retrying pending bookings waits", "pruning waits", "the integrity pass waits"):
        mine = [r for r in caplog.records if r.getMessage().startswith(said)]
        assert len(mine) >= 2, said  # a line a round, and the rounds went on
        assert all(r.levelno == logging.WARNING and r.exc_info is None for r in mine)
    assert not [r for r in caplog.records if r.exc_info is not None]
    assert integrity_failures() >= failed_before + 2
