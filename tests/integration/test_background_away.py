"""The server's background rounds (pending bookings, pruning) while the database is away:
each says so in a line and tries again next round, with no traceback in the log."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from reserve.api.app import _prune, _retry_pending
from reserve.config import PLACEHOLDER_SECRET
from reserve.db.database import Database
from reserve.services.context import Context
from reserve.services.venue_state import VenueStates

NOWHERE = "postgresql://reserve@/nothing?host=/nonexistent"


@pytest.mark.parametrize(
    ("loop", "said"), [(_retry_pending, "retrying pending"), (_prune, "pruning")]
)
def test_a_round_without_the_database_says_so_in_a_line_and_goes_on(
    loop: object, said: str, caplog: pytest.LogCaptureFixture
) -> None:
    database = Database(NOWHERE, min_size=0, max_size=1, timeout=0.1)
    database.open(wait=False)
    context = Context(database, VenueStates(), PLACEHOLDER_SECRET)

    async def rounds() -> None:
        task = asyncio.create_task(loop(context, 0.05))  # type: ignore[operator]
        await asyncio.sleep(1.0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    try:
        with caplog.at_level(logging.WARNING, logger="reserve"):
            asyncio.run(rounds())
    finally:
        database.close()
    mine = [r for r in caplog.records if r.getMessage().startswith(said)]
    assert len(mine) >= 2  # a line a round, and the rounds went on
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in mine)
