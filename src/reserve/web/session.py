"""The host stand's session: a signed cookie naming the staff key a host signed in with
(by its hash, never the key) and the venue chosen, until it expires.

Every request checks the key again, so revoking it ends its sessions at once. The cookie
is HttpOnly and ``SameSite=Strict``, and scoped to ``/host``; the CSRF token of every form
is the pages' own (``pages.checked_form``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from reserve.domain.access import Principal
from reserve.services.authorisation import Caller
from reserve.services.keys import authenticate_hash
from reserve.web.pages import PageRoute, context_of, limit, see_other

COOKIE = "reserve_host"
LIFETIME = timedelta(hours=12)  # a service day; a host signs in again the next


@dataclass(frozen=True, slots=True)
class Session:
    key_hash: bytes
    venue: str | None  # the slug; None until an admin chooses one
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Host:
    """A signed-in host: who (the key's principal, as the services' caller) and where."""

    principal: Principal
    venue: str | None
    key_hash: bytes

    @property
    def caller(self) -> Caller:
        return Caller(principal=self.principal)


def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), b"host-session:" + payload, hashlib.sha256).hexdigest()


def encode(secret: str, session: Session) -> str:
    payload = json.dumps(
        {
            "k": session.key_hash.hex(),
            "v": session.venue,
            "e": int(session.expires_at.timestamp()),
        },
        separators=(",", ":"),
    ).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _sign(secret, payload)


def decode(secret: str, cookie: str, now: datetime) -> Session | None:
    """The session in ``cookie`` if this server signed it and it has not expired."""
    text, _, signature = cookie.partition(".")
    try:
        payload = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        if not hmac.compare_digest(signature.encode(), _sign(secret, payload).encode()):
            return None
        fields = json.loads(payload)
        session = Session(
            bytes.fromhex(fields["k"]),
            fields["v"],
            datetime.fromtimestamp(int(fields["e"]), tz=now.tzinfo),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if session.expires_at <= now or not (session.venue is None or isinstance(session.venue, str)):
        return None
    return session


def current_host(request: Request) -> Host | None:
    """The host signed in on this browser, or None (no session, expired, key revoked).
    It asks the database: call it in a worker thread."""
    ctx = context_of(request)
    cookie = request.cookies.get(COOKIE)
    if not cookie or len(cookie) > 1000:
        return None
    session = decode(ctx.secret, cookie, ctx.clock())
    if session is None:
        return None
    principal = authenticate_hash(ctx.database, session.key_hash)
    if principal is None:
        return None
    return Host(principal, session.venue, session.key_hash)


def start(request: Request, response: Response, key_hash: bytes, venue: str | None) -> None:
    ctx = context_of(request)
    session = Session(key_hash, venue, ctx.clock() + LIFETIME)
    response.set_cookie(
        COOKIE,
        encode(ctx.secret, session),
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="strict",
        path="/host",
    )


def end(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/host", httponly=True, samesite="strict")


class HostRoute(PageRoute):
    """Signed-in hosts are not rate-limited, as a staff key on the API is not; signing in,
    and every request without a session, is."""

    limited = False


async def signed_in(request: Request) -> Host | None:
    """The host of this request, or None (then the public rate limit applies)."""
    host = await run_in_threadpool(current_host, request)
    if host is None:
        limit(request)
    return host


def to_sign_in(request: Request) -> Response:
    """To the sign-in page, and back to the page asked for once signed in."""
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return see_other("/host/sign-in?" + urlencode({"next": wanted}), private=True)


RELOAD_SECONDS = 30  # how often a host page reloads itself when script is off


@dataclass(frozen=True, slots=True)
class Reloading:
    """A host page's reload when script is off (with script, its events keep it up to
    date): every ``RELOAD_SECONDS`` while ``on``, and a link that turns it the other way, so
    that the host controls the timing (WCAG 2.2.1)."""

    on: bool
    target: str  # the page reloaded: its address without the notice of the last action
    toggle: str  # the page with reloading turned the other way
    seconds: int = RELOAD_SECONDS


def reloading(
    request: Request, path: str, *, default: bool, keep: dict[str, str] | None = None
) -> Reloading:
    """Whether the page at ``path`` reloads itself (``?reload=on`` or ``off``, else
    ``default``), and the addresses it needs, with the query ``keep`` (``path``, not the
    request's: a refused form shows its page at the address it was posted to)."""
    asked = request.query_params.get("reload")
    on = default if asked not in ("on", "off") else asked == "on"
    kept = keep or {}

    def address(query: dict[str, str]) -> str:
        return f"{path}?{urlencode(query)}" if query else path

    return Reloading(
        on,
        address({**kept, **({"reload": "on"} if on and not default else {})}),
        address({**kept, "reload": "off" if on else "on"}),
    )
