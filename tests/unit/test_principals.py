"""The cache of recently authenticated keys: remembered for a while, and never more than
its size, however many different keys a client makes up."""

from __future__ import annotations

from uuid import uuid4

from reserve.domain.access import Principal, Role
from reserve.services.keys import Principals

STAFF = Principal(uuid4(), Role.STAFF, uuid4())


def test_a_refused_key_is_remembered_and_costs_one_lookup() -> None:
    cache = Principals(ttl=10.0, clock=lambda: 0.0)
    lookups = []

    def refuse() -> Principal | None:
        lookups.append(1)
        return None

    for _ in range(5):
        assert cache.get("rsv_wrong", refuse) is None

    assert len(lookups) == 1
    assert cache.recall("rsv_wrong") == (True, None)


def test_a_flood_of_made_up_keys_never_grows_the_cache_past_its_size() -> None:
    cache = Principals(ttl=10.0, clock=lambda: 0.0, size=3)

    for number in range(100):
        cache.get(f"rsv_wrong-{number}", lambda: None)

    assert len(cache) == 3
    assert cache.recall("rsv_wrong-99") == (True, None)
    assert cache.recall("rsv_wrong-0") == (False, None)


def test_the_least_recently_used_key_goes_first() -> None:
    cache = Principals(ttl=10.0, clock=lambda: 0.0, size=2)
    cache.get("rsv_staff", lambda: STAFF)
    cache.get("rsv_wrong-1", lambda: None)
    cache.recall("rsv_staff")  # used again: now the most recent

    cache.get("rsv_wrong-2", lambda: None)

    assert cache.recall("rsv_staff") == (True, STAFF)
    assert cache.recall("rsv_wrong-1") == (False, None)
