"""The pages people use: guests book, hold, confirm and manage a table (``guest``,
``manage``), over the same services as the JSON API. ``pages`` holds what every page
shares: templates, headers, CSRF, the rate limit and error pages.

Hosts sign in to the stand (its session: ``session``): ``host`` shows the day's bookings,
``host_booking`` one booking, and ``host_walk_in``, ``host_waitlist`` and ``host_blocks``
seat walk-ins, run the waitlist and take tables out of service. What the host pages share
is in ``stand``; ``live`` keeps them up to date."""

from __future__ import annotations

from fastapi import APIRouter

from reserve.web import (
    guest,
    host,
    host_blocks,
    host_booking,
    host_waitlist,
    host_walk_in,
    live,
    manage,
)

router = APIRouter()
router.include_router(guest.router)
router.include_router(manage.router)
router.include_router(host.router)
router.include_router(live.router)
router.include_router(host_booking.router)
router.include_router(host_walk_in.router)
router.include_router(host_waitlist.router)
router.include_router(host_blocks.router)
