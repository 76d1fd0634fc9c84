"""The pages people use: guests book, hold, confirm and manage a table (``guest``,
``manage``), over the same services as the JSON API. ``pages`` holds what every page
shares: templates, headers, CSRF, the rate limit and error pages. Hosts sign in to
``host`` (its session: ``session``), whose pages ``live`` keeps up to date."""

from __future__ import annotations

from fastapi import APIRouter

from reserve.web import guest, host, host_booking, host_floor, live, manage

router = APIRouter()
router.include_router(guest.router)
router.include_router(manage.router)
router.include_router(host.router)
router.include_router(live.router)
router.include_router(host_booking.router)
router.include_router(host_floor.router)
