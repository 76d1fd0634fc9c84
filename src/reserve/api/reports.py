"""Staff reports: the day's report (``reserve.services.report``), requests against covers
seated and against the offline optimum, as JSON.

The report's records are read in one short transaction; the optimum is solved after it,
within its time limit, holding no connection of the pool."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from reserve.api.deps import CallerDep, ContextDep
from reserve.api.openapi import ANY_CALL, problems
from reserve.services import report
from reserve.services.report import DayReport, OptimumFigures, SeatWaste, TablesMoved, Tally

router = APIRouter(prefix="/v1", tags=["staff"])


class TallyOut(BaseModel):
    count: int = Field(description="Requests or bookings.")
    covers: int = Field(description="Their guests.")

    @classmethod
    def of(cls, tally: Tally) -> TallyOut:
        return cls(count=tally.count, covers=tally.covers)


class OutcomesOut(BaseModel):
    confirmed: TallyOut
    pending: TallyOut
    held: TallyOut
    full: TallyOut
    paced: TallyOut
    declined: TallyOut
    not_offered: TallyOut


class RequestsOut(BaseModel):
    total: TallyOut
    by_outcome: OutcomesOut = Field(description="What the venue answered each request.")


class TurnedAwayOut(BaseModel):
    total: TallyOut
    full: TallyOut = Field(description="No table was free.")
    paced: TallyOut = Field(description="The slot's covers were taken.")
    declined: TallyOut = Field(description="Kept for parties expected to be worth more.")
    not_offered: TallyOut = Field(description="A time or party the venue does not take.")


class SeatWasteOut(BaseModel):
    bookings: int = Field(description="Bookings that sit at tables.")
    seats: int = Field(description="The seats of their tables.")
    covers: int = Field(description="Their guests.")
    wasted: int = Field(description="Seats beyond each party, summed.")
    share: float | None = Field(description="Wasted seats per seat used; null with none used.")

    @classmethod
    def of(cls, waste: SeatWaste) -> SeatWasteOut:
        return cls(
            bookings=waste.bookings,
            seats=waste.seats,
            covers=waste.covers,
            wasted=waste.wasted,
            share=waste.share,
        )


class TablesMovedOut(BaseModel):
    total: int
    allocator: int = Field(description="Moved by the allocator, to let a new party in.")
    staff: int = Field(description="Moved by staff.")

    @classmethod
    def of(cls, moved: TablesMoved) -> TablesMovedOut:
        return cls(total=moved.total, allocator=moved.allocator, staff=moved.staff)


class OptimumOut(BaseModel):
    requests: int = Field(description="Requests given to the solver (all but not_offered).")
    covers_asked: int = Field(description="Their covers.")
    covers: int = Field(description="Covers of the best seating found.")
    bound: int = Field(description="No seating of these requests seats more covers.")
    proven: bool = Field(description="The best seating found is optimal (covers = bound).")
    status: str = Field(description="The solver's status, or `no requests`.")
    seconds: float = Field(description="Time the solver took.")
    time_limit_seconds: float
    venue_covers: int = Field(description="Covers the venue booked: seated and no-shows.")
    share: float | None = Field(description="venue_covers / covers; null when covers is 0.")
    share_of_bound: float | None = Field(
        description="venue_covers / bound: at most the true share; null when bound is 0."
    )

    @classmethod
    def of(cls, figures: OptimumFigures) -> OptimumOut:
        return cls(
            requests=figures.requests,
            covers_asked=figures.covers_asked,
            covers=figures.covers,
            bound=figures.bound,
            proven=figures.proven,
            status=figures.status,
            seconds=figures.seconds,
            time_limit_seconds=figures.time_limit,
            venue_covers=figures.venue_covers,
            share=figures.share,
            share_of_bound=figures.share_of_bound,
        )


class DayReportOut(BaseModel):
    restaurant: str
    date: dt.date
    requests: RequestsOut
    seated: TallyOut = Field(description="Bookings confirmed, seated or completed (no walk-ins).")
    no_shows: TallyOut
    walk_ins: TallyOut
    turned_away: TurnedAwayOut
    seat_waste: SeatWasteOut
    tables_moved: TablesMovedOut
    optimum: OptimumOut = Field(
        description="The most covers any allocator could have seated for the same requests."
    )

    @classmethod
    def of(cls, day: DayReport) -> DayReportOut:
        by_outcome = {name: TallyOut.of(tally) for name, tally in day.requests.items()}
        away = {name: TallyOut.of(tally) for name, tally in day.turned_away.items()}
        return cls(
            restaurant=day.restaurant,
            date=day.day,
            requests=RequestsOut(
                total=TallyOut.of(day.requests_total), by_outcome=OutcomesOut(**by_outcome)
            ),
            seated=TallyOut.of(day.seated),
            no_shows=TallyOut.of(day.no_shows),
            walk_ins=TallyOut.of(day.walk_ins),
            turned_away=TurnedAwayOut(total=TallyOut.of(day.turned_away_total), **away),
            seat_waste=SeatWasteOut.of(day.seat_waste),
            tables_moved=TablesMovedOut.of(day.tables_moved),
            optimum=OptimumOut.of(day.optimum),
        )


@router.get("/restaurants/{slug}/reports/day", responses=problems(*ANY_CALL, 404))
def day_report(
    slug: str, ctx: ContextDep, caller: CallerDep, date: Annotated[dt.date, Query()]
) -> DayReportOut:
    """The day's report: requests by outcome, covers seated and turned away, seat waste,
    tables moved, walk-ins, and the offline optimum of the same requests (solved within
    ten seconds; 503 while another report is being solved)."""
    return DayReportOut.of(report.day_report(ctx, slug, date, caller))
