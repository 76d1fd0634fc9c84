"""The app under test: built by the factory against a database, driven through its lifespan."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from fastapi.testclient import TestClient

from reserve.api.app import create_app
from reserve.config import Settings
from reserve.db.database import Connection, Database
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

ClientFor = Callable[[str], AbstractContextManager[TestClient]]


@contextmanager
def _client_for(url: str) -> Iterator[TestClient]:
    """A client of an app whose pool points at ``url``; leaving the block closes the pool."""
    settings = Settings(database_url=url, env="test")
    app = create_app(settings, Database(url, min_size=1, max_size=4, timeout=1.0))
    with TestClient(app) as client:  # runs the lifespan, which opens and closes the pool
        yield client


@pytest.fixture
def client_for() -> ClientFor:
    """Build an app against any database URL (unreachable ones included)."""
    return _client_for


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """A client of the app against the worker's migrated test database."""
    with _client_for(database_url) as client:
        yield client


@pytest.fixture
def white_horse(admin: Connection) -> VenueSaved:
    """The demo venue, loaded as it ships."""
    return save_venue(admin, read_venue_file(DEMO_VENUE))
