"""Staff and admin API keys: made here, shown once, stored only as a keyed hash.

A key looks like ``rsv_<43 url-safe characters>`` (256 random bits). The database keeps its
first characters, to tell keys apart in a listing, and HMAC-SHA256 of the whole key under
``RESERVE_SECRET_KEY``, so a copy of the database alone cannot be used to call the API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from uuid import UUID, uuid4

from reserve.db import keys as store
from reserve.db.database import Connection, Transactions
from reserve.db.keys import ApiKey
from reserve.db.restaurants import restaurant_id_for_slug
from reserve.domain.access import Principal, Role
from reserve.domain.errors import InvalidRequest, NotFound

KEY_PREFIX = "rsv_"
MAX_CACHED_KEYS = 10_000
SHOWN_PREFIX_LENGTH = 12


def hash_key(secret: str, key: str) -> bytes:
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).digest()


def manage_token(secret: str, booking_id: UUID) -> str:
    """The token that lets a guest manage a booking: derived from the secret and the
    booking's id, so that it can be handed out again (a retried request's answer) without
    being kept anywhere. Only its keyed hash is stored, beside the booking."""
    digest = hmac.new(secret.encode(), b"manage-token:" + booking_id.bytes, hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode()


def create_key(
    database: Transactions, secret: str, *, role: Role, restaurant: str | None, name: str
) -> tuple[ApiKey, str]:
    """A new key and its plain text, which is not stored anywhere."""
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    key = database.run(lambda conn: _insert(conn, secret, plain, role, restaurant, name))
    return key, plain


def _insert(
    conn: Connection, secret: str, plain: str, role: Role, restaurant: str | None, name: str
) -> ApiKey:
    if role is Role.STAFF and restaurant is None:
        raise InvalidRequest("a staff key needs --restaurant")
    if role is Role.ADMIN and restaurant is not None:
        raise InvalidRequest("an admin key belongs to no restaurant; leave out --restaurant")
    if not 1 <= len(name) <= 120:
        raise InvalidRequest("a key's name must be 1 to 120 characters")
    restaurant_id = None
    if restaurant is not None:
        restaurant_id = restaurant_id_for_slug(conn, restaurant)
        if restaurant_id is None:
            raise NotFound(f"no restaurant {restaurant!r}")
    key_id = uuid4()
    store.insert_key(
        conn,
        key_id,
        name=name,
        role=role,
        restaurant_id=restaurant_id,
        prefix=plain[:SHOWN_PREFIX_LENGTH],
        key_hash=hash_key(secret, plain),
    )
    return store.list_keys(conn, key_id=key_id)[0]


def list_keys(database: Transactions) -> list[ApiKey]:
    return database.run(store.list_keys)


def revoke_key(database: Transactions, prefix_or_id: str) -> ApiKey:
    """Revoke the one key whose shown prefix (or id) is given."""

    def work(conn: Connection) -> ApiKey:
        revoked = store.revoke(conn, prefix_or_id)
        if not revoked:
            raise NotFound(f"no key {prefix_or_id!r}")
        if len(revoked) > 1:
            raise InvalidRequest(f"{prefix_or_id!r} names more than one key; give its id")
        return store.list_keys(conn, key_id=revoked[0])[0]

    return database.run(work)


def replace_named_key(
    database: Transactions, secret: str, *, name: str, restaurant: str
) -> tuple[ApiKey, str]:
    """A new staff key of ``restaurant`` called ``name``, every earlier one of that name
    revoked in the same unit of work: one such key at a time."""
    plain = KEY_PREFIX + secrets.token_urlsafe(32)

    def work(conn: Connection) -> ApiKey:
        restaurant_id = restaurant_id_for_slug(conn, restaurant)
        if restaurant_id is None:
            raise NotFound(f"no restaurant {restaurant!r}")
        store.revoke_named(conn, name, restaurant_id)
        return _insert(conn, secret, plain, Role.STAFF, restaurant, name)

    return database.run(work), plain


def authenticate(database: Transactions, secret: str, key: str) -> Principal | None:
    """The principal behind ``key``, or None for an unknown or revoked key."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    digest = hash_key(secret, key)
    return database.run(lambda conn: store.principal_of(conn, digest))


class Principals:
    """Recently authenticated keys, so a busy client costs one lookup every ``ttl`` seconds
    rather than one a request. A revoked key therefore stops working within ``ttl``.

    Refused keys are remembered too (a flood of one wrong key costs one lookup), and the
    cache holds at most ``size`` keys, dropping the least recently used: a flood of
    different wrong keys cannot grow it."""

    def __init__(
        self,
        ttl: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        size: int = MAX_CACHED_KEYS,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.size = size
        self._known: OrderedDict[str, tuple[Principal | None, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._known)

    def recall(self, key: str) -> tuple[bool, Principal | None]:
        """(True, the principal or None for a refused key) while ``key`` is remembered;
        (False, None) when it has to be looked up."""
        with self._lock:
            cached = self._known.get(key)
            if cached is not None:
                self._known.move_to_end(key)
        if cached is not None and cached[1] > self.clock():
            return True, cached[0]
        return False, None

    def get(self, key: str, lookup: Callable[[], Principal | None]) -> Principal | None:
        known, principal = self.recall(key)
        if known:
            return principal
        principal = lookup()
        with self._lock:
            self._known[key] = (principal, self.clock() + self.ttl)
            self._known.move_to_end(key)
            while len(self._known) > self.size:
                self._known.popitem(last=False)
        return principal


def authenticate_hash(database: Transactions, key_hash: bytes) -> Principal | None:
    """The principal of the live key whose hash this is (a session that holds the hash, not
    the key), or None once the key is revoked."""
    return database.run(lambda conn: store.principal_of(conn, key_hash))
