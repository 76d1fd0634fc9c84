"""How many guests the allocator seats: replayed busy days against the baseline and the optimum.

Each seeded trace (a White Horse weekday asking for ``--demand`` x its seats in covers)
is replayed in arrival order through:

- ``baseline``: smallest table that fits, first come first served (``bench.baseline``);
- ``no lookahead``: ``allocate`` with ``Policy(lookahead=False)``: least waste, fewest
  tables, then labels;
- ``lookahead``: ties broken by what expected demand needs
  (``Lookahead(floor, rule, TYPICAL_DEMAND)``), the product without a day's history;
- ``protection``: no tie-breaking lookahead, but an ``Outlook`` learned from other days
  (``bench.outlook``): a party that would leave most of its seats empty is declined
  while the covers still expected over its window far outnumber the free seats;
- ``full``: both, the product with a day's history;
- ``full, outlook 30% high`` / ``low``: the full policy with a wrong history (days that
  asked for 30% more, or 30% fewer, covers than the measured ones), to show what a bad
  forecast costs;
- ``repacking`` (only with ``--repack``, slow): first come, first served, accepting a
  request whenever it and every booking so far can still be seated with all tables
  reassigned (``bench.optimum.replay_repacking``); it separates what table choice can
  win from what only admission (which parties to take) can;
- ``optimum``: the offline optimum of the same requests (``bench.optimum``), started from
  the best of the others.

Every seating is checked: parties only at candidates the rule allows, no table
double-booked. "% of optimum" is the mean of per-trace ratios; where HiGHS did not close
the gap the ratio is against its bound (so a lower bound) and the run says how often.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from math import sqrt
from statistics import mean, stdev

from rich.table import Table

from bench.baseline import replay_baseline
from bench.common import (
    BENCH_DAY,
    DayBounds,
    console,
    day_bounds,
    percent,
    white_horse,
    write_results,
)
from bench.optimum import DEFAULT_TIME_LIMIT, highs_version, replay_repacking, solve_optimum
from bench.outlook import OutlookFor, history_outlook
from bench.replay import (
    Choices,
    Scores,
    Seating,
    check_seating,
    choices,
    replay_allocator,
    score,
)
from bench.traces import DEFAULT_DEMAND, DEFAULT_SEED, Trace, generate_traces
from reserve.domain.allocator import TYPICAL_DEMAND, Admission, Lookahead, Policy
from reserve.domain.floor import Floor, Rule

DEFAULT_TRACES = 20
QUICK_TRACES = 3
QUICK_TIME_LIMIT = 10.0
OPTIMUM = "optimum"
BASELINE = "baseline"
REPACKING = "repacking"
ALLOCATOR_VARIANTS = (
    "no lookahead",
    "lookahead",
    "protection",
    "full",
    "full, outlook 30% high",
    "full, outlook 30% low",
)
FORECAST_ERROR = 0.3

Strategy = Callable[[Trace], Seating]


@dataclass(frozen=True, slots=True)
class Summary:
    variant: str
    covers: float
    pct_of_optimum: float
    min_pct: float
    max_pct: float
    bookings: float
    utilisation_pct: float
    covers_vs_baseline: float
    covers_vs_baseline_se: float  # standard error of that mean difference
    traces_worse_than_baseline: int
    traces_better_than_baseline: int
    tables_per_booking: float
    waste_seat_hours: float
    dead_seat_hours: float
    with_choice_pct: float | None  # of seated decisions, for the allocator's variants
    off_label_order_pct: float | None
    rejected_covers_by_party: dict[int, float]
    rejected_covers_by_hour: dict[int, float]


@dataclass(slots=True)
class _Tally:
    scores: list[Scores] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    choices: list[Choices] = field(default_factory=list)


def online_strategies(
    floor: Floor,
    rule: Rule,
    bounds: DayBounds,
    outlooks: dict[str, OutlookFor],
    repack_time_limit: float | None = None,
) -> dict[str, Strategy]:
    """The strategies that see requests one at a time, by the name the report gives them;
    repacking only with a time limit for each of its integer programs."""
    looking = Policy(rule=rule, admission=Admission.PROTECTION)
    lookahead = Lookahead(floor, rule, TYPICAL_DEMAND)

    def online(guide: Lookahead | None, outlook: str | None = None) -> Strategy:
        outlook_for = None if outlook is None else outlooks[outlook]
        return lambda trace: replay_allocator(
            floor, trace, bounds, looking, guide, outlook_for=outlook_for
        )

    strategies: dict[str, Strategy] = {
        BASELINE: lambda trace: replay_baseline(floor, rule, trace, bounds),
        "no lookahead": lambda trace: replay_allocator(
            floor, trace, bounds, Policy(rule=rule, lookahead=False, admission=Admission.NONE)
        ),
        "lookahead": online(lookahead),
        "protection": online(None, "right"),
        "full": online(lookahead, "right"),
        "full, outlook 30% high": online(lookahead, "high"),
        "full, outlook 30% low": online(lookahead, "low"),
    }
    if repack_time_limit is not None:
        limit = repack_time_limit
        strategies[REPACKING] = lambda trace: replay_repacking(floor, rule, trace, time_limit=limit)
    return strategies


def run(
    seed: int, traces: int, demand: float, time_limit: float, *, repack: bool = False
) -> tuple[list[dict[str, object]], list[Summary], int]:
    """Per-trace rows, one summary per variant, and how many optima were proven."""
    venue = white_horse()
    floor, rule = Floor(venue), Rule()
    bounds = day_bounds(venue, BENCH_DAY)
    outlooks = {
        "right": history_outlook(venue, BENCH_DAY, seed, demand),
        "high": history_outlook(venue, BENCH_DAY, seed, demand * (1 + FORECAST_ERROR)),
        "low": history_outlook(venue, BENCH_DAY, seed, demand * (1 - FORECAST_ERROR)),
    }
    strategies = online_strategies(floor, rule, bounds, outlooks, time_limit if repack else None)
    tallies = {name: _Tally() for name in [*strategies, OPTIMUM]}
    rows: list[dict[str, object]] = []
    proven = 0
    for trace in generate_traces(venue, BENCH_DAY, seed, traces, demand):
        seatings: dict[str, Seating] = {}
        seconds: dict[str, float] = {}
        for name, strategy in strategies.items():
            began = time.perf_counter()
            seatings[name] = strategy(trace)
            seconds[name] = time.perf_counter() - began
            check_seating(floor, rule, trace, seatings[name])
        best = max(seatings, key=lambda name: _covers(trace, seatings[name]))
        optimum = solve_optimum(floor, rule, trace, time_limit=time_limit, start=seatings[best])
        proven += optimum.proven
        seatings[OPTIMUM], seconds[OPTIMUM] = optimum.seating, optimum.seconds
        variants: dict[str, object] = {}
        for name, seating in seatings.items():
            tally, scored = tallies[name], score(floor, trace, seating, bounds)
            tally.scores.append(scored)
            tally.ratios.append(scored.covers / optimum.bound)
            chose = None
            if name in ALLOCATOR_VARIANTS:
                chose = choices(floor, rule, trace, seating)
                tally.choices.append(chose)
            variants[name] = {
                **asdict(scored),
                "pct_of_optimum": 100 * scored.covers / optimum.bound,
                "choices": None if chose is None else asdict(chose),
                "seconds": seconds[name],
            }
        rows.append(
            {
                "seed": trace.seed,
                "requests": len(trace.requests),
                "requested_covers": trace.covers,
                "optimum": optimum.to_json(),
                "variants": variants,
            }
        )
        console.print(
            f"seed {trace.seed}: optimum {optimum.covers} (bound {optimum.bound}, "
            f"{optimum.seconds:.1f} s); "
            + ", ".join(f"{name} {_covers(trace, seatings[name])}" for name in strategies)
        )
    summaries = [_summarise(name, tally, tallies[BASELINE]) for name, tally in tallies.items()]
    return rows, summaries, proven


def _covers(trace: Trace, seating: Seating) -> int:
    return sum(r.covers for r in trace.requests if r.index in seating)


def _summarise(name: str, tally: _Tally, baseline: _Tally) -> Summary:
    scores = tally.scores
    differences = [s.covers - b.covers for s, b in zip(scores, baseline.scores, strict=True)]
    sizes = sorted({size for s in scores for size in s.rejected_covers_by_party})
    hours = sorted({hour for s in scores for hour in s.rejected_covers_by_hour})
    decisions = sum(c.decisions for c in tally.choices)
    return Summary(
        variant=name,
        covers=mean(s.covers for s in scores),
        pct_of_optimum=100 * mean(tally.ratios),
        min_pct=100 * min(tally.ratios),
        max_pct=100 * max(tally.ratios),
        bookings=mean(s.bookings for s in scores),
        utilisation_pct=100 * mean(s.utilisation for s in scores),
        covers_vs_baseline=mean(differences),
        covers_vs_baseline_se=stdev(differences) / sqrt(len(differences))
        if len(differences) > 1
        else 0.0,
        traces_worse_than_baseline=sum(d < 0 for d in differences),
        traces_better_than_baseline=sum(d > 0 for d in differences),
        tables_per_booking=mean(s.tables_per_booking for s in scores),
        waste_seat_hours=mean(s.waste_seat_hours for s in scores),
        dead_seat_hours=mean(s.dead_seat_hours for s in scores),
        with_choice_pct=percent(sum(c.with_choice for c in tally.choices), decisions)
        if decisions
        else None,
        off_label_order_pct=percent(sum(c.off_label_order for c in tally.choices), decisions)
        if decisions
        else None,
        rejected_covers_by_party={
            size: mean(s.rejected_covers_by_party.get(size, 0) for s in scores) for size in sizes
        },
        rejected_covers_by_hour={
            hour: mean(s.rejected_covers_by_hour.get(hour, 0) for s in scores) for hour in hours
        },
    )


def _summary_table(summaries: Sequence[Summary], title: str) -> Table:
    table = Table(title=title)
    table.add_column("variant")
    for column in (
        "covers",
        "% of optimum",
        "min %",
        "max %",
        "bookings",
        "seat util. %",
        "vs baseline (± s.e.)",
        "traces worse/better",
    ):
        table.add_column(column, justify="right")
    for s in summaries:
        table.add_row(
            s.variant,
            f"{s.covers:.1f}",
            f"{s.pct_of_optimum:.2f}",
            f"{s.min_pct:.2f}",
            f"{s.max_pct:.2f}",
            f"{s.bookings:.1f}",
            f"{s.utilisation_pct:.1f}",
            f"{s.covers_vs_baseline:+.1f} ± {s.covers_vs_baseline_se:.1f}",
            f"{s.traces_worse_than_baseline}/{s.traces_better_than_baseline}",
        )
    return table


def _diagnostics_table(summaries: Sequence[Summary]) -> Table:
    table = Table(title="Where the seats go (mean per trace)")
    table.add_column("variant")
    for column in (
        "tables/booking",
        "waste seat-h",
        "dead seat-h",
        "decisions with a tie %",
        "lookahead left label order %",
    ):
        table.add_column(column, justify="right")
    for s in summaries:
        table.add_row(
            s.variant,
            f"{s.tables_per_booking:.2f}",
            f"{s.waste_seat_hours:.1f}",
            f"{s.dead_seat_hours:.1f}",
            "-" if s.with_choice_pct is None else f"{s.with_choice_pct:.1f}",
            "-" if s.off_label_order_pct is None else f"{s.off_label_order_pct:.1f}",
        )
    return table


def _rejections_table(
    summaries: Sequence[Summary],
    title: str,
    breakdown: Callable[[Summary], dict[int, float]],
    heading: Callable[[int], str],
) -> Table:
    keys = sorted({key for s in summaries for key in breakdown(s)})
    table = Table(title=title)
    table.add_column("variant")
    for key in keys:
        table.add_column(heading(key), justify="right")
    table.add_column("total", justify="right")
    for s in summaries:
        covers = breakdown(s)
        cells = [f"{covers.get(key, 0.0):.1f}" for key in keys]
        table.add_row(s.variant, *cells, f"{sum(covers.values()):.1f}")
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.allocator_quality", description=__doc__)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--traces", type=int, default=None, help=f"default {DEFAULT_TRACES}")
    parser.add_argument("--demand", type=float, default=DEFAULT_DEMAND)
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help=f"HiGHS seconds per trace, default {DEFAULT_TIME_LIMIT:g}",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {QUICK_TRACES} traces, {QUICK_TIME_LIMIT:g} s per optimum",
    )
    parser.add_argument(
        "--repack",
        action="store_true",
        help="add the first-come-first-served-with-repacking variant (tens of s per trace)",
    )
    args = parser.parse_args(argv)
    traces = args.traces or (QUICK_TRACES if args.quick else DEFAULT_TRACES)
    time_limit = args.time_limit or (QUICK_TIME_LIMIT if args.quick else DEFAULT_TIME_LIMIT)

    began = time.perf_counter()
    rows, summaries, proven = run(args.seed, traces, args.demand, time_limit, repack=args.repack)
    elapsed = time.perf_counter() - began
    title = (
        f"White Horse, {traces} traces x{args.demand:g} demand, seed {args.seed}: "
        f"optimum proven on {proven}/{traces}"
    )
    console.print(_summary_table(summaries, title))
    console.print(_diagnostics_table(summaries))
    console.print(
        _rejections_table(
            summaries,
            "Covers turned away by party size (mean per trace)",
            lambda s: s.rejected_covers_by_party,
            str,
        )
    )
    console.print(
        _rejections_table(
            summaries,
            "Covers turned away by the hour asked for (mean per trace)",
            lambda s: s.rejected_covers_by_hour,
            lambda hour: f"{hour:02d}h",
        )
    )
    if proven < traces:
        console.print(
            f"[yellow]{traces - proven} optima not proven within {time_limit:g} s: "
            "their ratios are against HiGHS's bound (lower bounds on the true ratio)"
        )
    path = write_results(
        "allocator_quality",
        {
            "generated_at": datetime.now().isoformat(timespec="seconds"),
            "venue": "white-horse",
            "day": BENCH_DAY.isoformat(),
            "rule": asdict(Rule()),
            "seed": args.seed,
            "traces": traces,
            "demand": args.demand,
            "time_limit": time_limit,
            "repack": args.repack,
            "highs": highs_version(),
            "optima_proven": proven,
            "elapsed_seconds": elapsed,
            "summary": [asdict(s) for s in summaries],
            "per_trace": rows,
        },
    )
    console.print(f"wrote {path} in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
