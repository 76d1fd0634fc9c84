"""How a page is answered: the templates, the headers every page carries, the CSRF token,
the public rate limit, and a page (never JSON, never a traceback) for every error.

Every page sends a Content-Security-Policy that allows no inline script or style and only
this origin's, ``Referrer-Policy: no-referrer`` (a manage link's token never leaves in a
``Referer``), and ``frame-ancestors`` naming the origins a venue lets frame its pages, or
none. Pages that carry a booking's or hold's capability are ``no-store``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Coroutine, Iterable, Mapping
from datetime import date, datetime, time
from functools import lru_cache
from http import HTTPStatus
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape

import reserve
from reserve.domain import errors as e
from reserve.services.context import Context

log = logging.getLogger("reserve.web")

CSRF_COOKIE = "reserve_csrf"
CSRF_FIELD = "csrf_token"
STATIC = Path(str(resources.files("reserve.web") / "static"))


class Limiter(Protocol):
    def check(self, client: str) -> int | None: ...


# --- rendering ---------------------------------------------------------------------------


def _long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _short_date(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _clock(value: time | datetime) -> str:
    return f"{value:%H:%M}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reserve.web", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = _long_date
    env.filters["short_date"] = _short_date
    env.filters["clock"] = _clock
    env.globals["asset"] = asset
    env.globals["version"] = reserve.__version__
    return env


@lru_cache(maxsize=16)
def asset(name: str) -> str:
    """The URL of a static file, named by its content so that browsers may keep it for long."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
    return f"/static/{name}?v={digest}"


def context_of(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


def render(
    request: Request,
    template: str,
    values: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    frame_origins: Iterable[str] = (),
    private: bool = False,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The page ``template`` filled with ``values``, with the headers every page carries.

    ``frame_origins`` may frame the page (a venue's own site); ``private`` pages hold a
    capability (a hold, a manage token) and are kept by no cache."""
    token = csrf_token(request)
    html = (
        environment()
        .get_template(template)
        .render(
            {"request": request, "csrf_token": token, "csrf_field": CSRF_FIELD, **(values or {})}
        )
    )
    response = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
    secure_page(response, frame_origins, private=private)
    _keep_csrf_cookie(request, response)
    return response


def secure_page(response: Response, frame_origins: Iterable[str] = (), *, private: bool) -> None:
    ancestors = " ".join(frame_origins) or "'none'"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if not frame_origins:
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "private, no-store" if private else "private, no-cache"


def see_other(url: str, *, private: bool = False) -> Response:
    """The redirect after a POST, so that reloading the page never repeats it."""
    response = Response(status_code=303, headers={"Location": url})
    secure_page(response, private=private)
    return response


# --- CSRF --------------------------------------------------------------------------------
# A signed double submit: a random value in an HttpOnly cookie, and in every form a token
# that only this server can derive from it. A site that makes a browser post to us cannot
# read the cookie, so it cannot write the token.


def _browser_value(request: Request) -> str:
    value = getattr(request.state, "csrf_value", None)
    if value is None:
        value = request.cookies.get(CSRF_COOKIE)
        if not value or len(value) > 64:
            value = secrets.token_urlsafe(32)
            request.state.csrf_new = True
        request.state.csrf_value = value
    return str(value)


def _token_for(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), b"csrf:" + value.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    return _token_for(context_of(request).secret, _browser_value(request))


def _keep_csrf_cookie(request: Request, response: Response) -> None:
    if getattr(request.state, "csrf_new", False):
        secure = request.url.scheme == "https"
        response.set_cookie(
            CSRF_COOKIE,
            _browser_value(request),
            httponly=True,
            secure=secure,
            samesite="none" if secure else "lax",  # "none" lets a venue's site frame the pages
            path="/",
        )


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, once its CSRF token is the one this browser's cookie signs."""
    data = await request.form()
    form = {name: value for name, value in data.items() if isinstance(value, str)}
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = form.pop(CSRF_FIELD, "")
    expected = None if not cookie else _token_for(context_of(request).secret, cookie)
    if expected is None or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise FormRefused(
            "This form has expired or did not come from this site. Go back, reload the "
            "page and send it again."
        )
    return form


class FormRefused(e.ReserveError):
    """A form post without this browser's CSRF token."""


# --- the public rate limit and error pages ---------------------------------------------


def limit(request: Request) -> None:
    """The public limit, per client address, as the JSON API applies it."""
    limiter: Limiter = request.app.state.rate_limiter
    client = request.client.host if request.client else "unknown"
    wait = limiter.check(client)
    if wait is not None:
        raise e.RateLimited(f"Too many requests; try again in {wait} seconds.", wait)


# What each error shows: status and heading. A class not here takes its nearest ancestor's.
_PAGES: dict[type[e.ReserveError], tuple[int, str]] = {
    e.ReserveError: (400, "That did not work"),
    e.InvalidRequest: (422, "That cannot be booked"),
    e.NotFound: (404, "We could not find that"),
    e.Unauthorized: (404, "We could not find that"),
    e.Forbidden: (404, "We could not find that"),
    e.Conflict: (409, "That cannot be done now"),
    e.HoldExpired: (410, "Your hold has ended"),
    e.RateLimited: (429, "Too many requests"),
    e.Busy: (503, "We are busy"),
    e.SelectorTimeout: (503, "We are busy"),
    e.DatabaseUnavailable: (503, "We cannot take bookings right now"),
    FormRefused: (403, "Please send the form again"),
}


def error_page(request: Request, error: e.ReserveError) -> HTMLResponse:
    status, heading = next(_PAGES[kind] for kind in type(error).__mro__ if kind in _PAGES)
    headers = {}
    detail = error.detail
    if isinstance(error, e.RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    elif isinstance(error, e.DatabaseUnavailable):
        headers["Retry-After"] = "5"
        detail = "Our booking system is not answering. Please try again in a minute."
    elif isinstance(error, e.Busy | e.SelectorTimeout):
        headers["Retry-After"] = "1"
        detail = "Many people are booking at once. Please try again."
    elif isinstance(error, e.NotFound | e.Unauthorized | e.Forbidden):
        detail = (
            "The page or booking does not exist, or the link is not complete. Check that "
            "you copied the whole link."
        )
    return render(
        request,
        "error.html",
        {"heading": heading, "detail": detail, "status": HTTPStatus(status).phrase},
        status=status,
        private=True,
        headers=headers,
    )


Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(APIRoute):
    """A page's route: the public rate limit first (unless ``limited`` is off: the route
    then applies it itself where it should), and an error becomes a page."""

    limited = True

    def get_route_handler(self) -> Endpoint:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                if self.limited:
                    limit(request)
                return await handler(request)
            except e.ReserveError as error:
                return error_page(request, error)
            except Exception:
                # The route's template, not the path: a manage link's path holds its token.
                log.exception("unhandled error on %s %s", request.method, self.path)
                return render(
                    request,
                    "error.html",
                    {
                        "heading": "Something went wrong",
                        "detail": "Something went wrong on our side; it has been logged. "
                        "Please try again.",
                        "status": "Internal Server Error",
                    },
                    status=500,
                    private=True,
                )

        return page
