"""What the host stand's notifications cost a booking: ``booking_http.py``'s two loads
(pgbench running the booking transaction, wrk booking over HTTP) with the floor's
notification triggers as shipped (``notify``) and disabled (``silent``), in turn.

The triggers are those whose function names the channel ``reserve_floor``: on bookings,
holds and allocations they say what changed, and the app notifies after the commit
(migration 0014); on blocks, waitlist entries, tables, zones and restaurants they notify
(0013). ``silent`` is the same database with ``ALTER TABLE ... DISABLE TRIGGER`` on each,
enabled again after. pgbench runs the booking transaction by itself, so its ``notify``
sends nothing (what its triggers say goes unheard); over HTTP the app sends it. The machine
is shared and noisy, so the variants alternate: each round measures every level of both
loads, the two variants of a level back to back on an emptied day book, and the variant
that goes first changes from round to round. Reported per variant: the median over the
rounds of the throughput, its range, the median p50 and p99, the CPU per booking, and what
the active backends were waiting for (``pg_stat_activity``, sampled every 0.1 s).
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from statistics import median, quantiles
from typing import Any

from rich.table import Table

from bench.booking_http import (
    Bench,
    Cpu,
    CpuMeter,
    _cpu,
    clear,
    http_level,
    pgbench_level,
    started,
)
from bench.common import console, machine, write_results
from reserve.db.database import connect

PGBENCH_LEVELS = (1, 8, 32, 64)
HTTP_LEVELS = (1, 16, 64)
VARIANTS = ("notify", "silent")
SAMPLE_SECONDS = 0.1
CPU_PARTS = ("server", "postgres", "load", "total")
CPU_HEADINGS = ("server", "PG", "load", "total")

TRIGGERS = """
SELECT t.tgrelid::regclass::text AS "table", t.tgname AS name
  FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
 WHERE NOT t.tgisinternal AND p.prosrc LIKE '%reserve_floor%'
 ORDER BY 1
"""
# What each working backend is doing: on the CPU (no wait event) or waiting, and for what.
WAITS = """
SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait, count(*) AS n
  FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid()
 GROUP BY 1
"""


@dataclass(frozen=True, slots=True)
class Run:
    load: str  # "pgbench" or "HTTP"
    clients: int
    variant: str
    round: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int  # HTTP: 5xx and socket errors; pgbench: clients stopped by an error
    cpu: Cpu | None
    samples: int  # of pg_stat_activity
    waits: dict[str, int]  # active backends counted over the samples, by what they waited for


class WaitSampler:
    """Counts, every ``SAMPLE_SECONDS`` on a connection of its own, what the active client
    backends are waiting for."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.counts: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        with connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(SAMPLE_SECONDS):
                self.samples += 1
                for row in conn.execute(WAITS).fetchall():
                    self.counts[row["wait"]] += row["n"]


def notify_triggers(url: str) -> list[tuple[str, str]]:
    with connect(url, autocommit=True) as conn:
        return [(row["table"], row["name"]) for row in conn.execute(TRIGGERS).fetchall()]


def set_triggers(url: str, triggers: Sequence[tuple[str, str]], enabled: bool) -> None:
    action = "ENABLE" if enabled else "DISABLE"
    with connect(url, autocommit=True) as conn:
        for table, name in triggers:
            conn.execute(f'ALTER TABLE {table} {action} TRIGGER "{name}"')


def measure(
    bench: Bench, meter: CpuMeter | None, load: str, clients: int, seconds: float
) -> tuple[float, float, float, int, Cpu | None, int, dict[str, int]]:
    """(per second, p50 ms, p99 ms, errors, CPU per booking, samples, waits) of one load's
    level."""
    clear(bench.url)
    before = meter.read() if meter else None
    with WaitSampler(bench.url) as sampler:
        if load == "HTTP":
            http = http_level(bench, clients, seconds)
            done = http["requests"]
            errors = http["socket_errors"] + sum(
                n for status, n in http["statuses"].items() if status >= 500
            )
            figures = (done / http["seconds"], http["p50_ms"], http["p99_ms"])
        else:
            tps, latencies, errors = pgbench_level(bench, clients, seconds, aborts=True)
            done = len(latencies)
            cuts = quantiles(sorted(latencies), n=100)
            figures = (tps, cuts[49], cuts[98])
    cpu = _cpu(meter, before, done)
    return (*figures, errors, cpu, sampler.samples, dict(sampler.counts))


def levels_in_turn(
    rounds: int, loads: Mapping[str, Sequence[int]]
) -> Iterator[tuple[int, str, int, str]]:
    """(round, load, clients, variant), both variants of a level back to back, the first of
    them changing from round to round."""
    for number in range(1, rounds + 1):
        order = VARIANTS if number % 2 else VARIANTS[::-1]
        for load, levels in loads.items():
            for clients in levels:
                for variant in order:
                    yield number, load, clients, variant


def summary(runs: Sequence[Run]) -> list[dict[str, Any]]:
    """Per load and level, each variant's medians over the rounds, and silent / notify."""
    rows = []
    for load, clients in dict.fromkeys((run.load, run.clients) for run in runs):
        row: dict[str, Any] = {"load": load, "clients": clients}
        for variant in VARIANTS:
            mine = [r for r in runs if (r.load, r.clients, r.variant) == (load, clients, variant)]
            waits: Counter[str] = Counter()
            for r in mine:
                waits.update(r.waits)
            cpus = [r.cpu for r in mine if r.cpu is not None]
            row[variant] = {
                "per_second": median(r.per_second for r in mine),
                "lowest": min(r.per_second for r in mine),
                "highest": max(r.per_second for r in mine),
                "p50_ms": median(r.p50_ms for r in mine),
                "p99_ms": median(r.p99_ms for r in mine),
                "errors": sum(r.errors for r in mine),
                "cpu_ms": {
                    part: median(getattr(c, part) for c in cpus)
                    for part in ("server_ms", "postgres_ms", "load_ms", "total_ms")
                }
                if cpus
                else None,
                "busy_backends": sum(waits.values()) / max(1, sum(r.samples for r in mine)),
                "waits": dict(waits.most_common()),
            }
        row["ratio"] = row["silent"]["per_second"] / row["notify"]["per_second"]
        rows.append(row)
    return rows


def report(rows: Sequence[dict[str, Any]], rounds: int, seconds: float) -> Table:
    table = Table(title=f"Bookings/s with the notifications and without, {rounds} x {seconds:g} s")
    for column in (
        "load",
        "clients",
        "notify /s",
        "range",
        "silent /s",
        "range",
        "silent/notify",
        "p50 ms n / s",
        "p99 ms n / s",
        "errors n / s",
    ):
        table.add_column(column, justify="right")
    for row in rows:
        a, b = row["notify"], row["silent"]
        table.add_row(
            row["load"],
            str(row["clients"]),
            f"{a['per_second']:.0f}",
            f"{a['lowest']:.0f}-{a['highest']:.0f}",
            f"{b['per_second']:.0f}",
            f"{b['lowest']:.0f}-{b['highest']:.0f}",
            f"{row['ratio']:.2f}",
            f"{a['p50_ms']:.1f} / {b['p50_ms']:.1f}",
            f"{a['p99_ms']:.1f} / {b['p99_ms']:.1f}",
            f"{a['errors']} / {b['errors']}",
        )
    return table


def cpu_report(rows: Sequence[dict[str, Any]]) -> Table | None:
    """Median CPU ms per booking, by process (the server's listeners hear pgbench's too)."""
    if any(row[variant]["cpu_ms"] is None for row in rows for variant in VARIANTS):
        return None
    table = Table(title="CPU per booking, ms (median), notify (n) and silent (s)")
    headings = (f"{v[0]}: {h}" for v in VARIANTS for h in CPU_HEADINGS)
    for column in ("load", "clients", *headings):
        table.add_column(column, justify="right")
    for row in rows:
        cells = [row[v]["cpu_ms"][f"{p}_ms"] for v in VARIANTS for p in CPU_PARTS]
        table.add_row(row["load"], str(row["clients"]), *(f"{ms:.2f}" for ms in cells))
    return table


def waits_report(rows: Sequence[dict[str, Any]]) -> Table:
    """The active backends' three commonest states, as shares of the samples."""
    table = Table(title="Active backends (mean, notify / silent), and what they were doing")
    for column in ("load", "clients", "active", "notify", "silent"):
        table.add_column(column, justify="right" if column in ("clients", "active") else "left")
    for row in rows:
        shares = []
        for variant in VARIANTS:
            waits: dict[str, int] = row[variant]["waits"]
            total = sum(waits.values()) or 1
            shares.append(
                ", ".join(f"{wait} {100 * n / total:.0f}%" for wait, n in list(waits.items())[:3])
            )
        busy = " / ".join(f"{row[v]['busy_backends']:.1f}" for v in VARIANTS)
        table.add_row(row["load"], str(row["clients"]), busy, *shares)
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor_notify", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="per level and variant")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--pgbench", default=",".join(map(str, PGBENCH_LEVELS)))
    parser.add_argument("--http", default=",".join(map(str, HTTP_LEVELS)))
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--history-days", type=int, default=365)
    args = parser.parse_args(argv)
    loads = {
        load: [int(part) for part in levels.split(",") if part]
        for load, levels in (("pgbench", args.pgbench), ("HTTP", args.http))
    }
    began = time.perf_counter()
    clients = max(level for levels in loads.values() for level in levels)
    runs: list[Run] = []
    with started(args.workers, args.history_days, clients) as (bench, meter, history):
        triggers = notify_triggers(bench.url)
        console.print(f"{len(triggers)} notification triggers: {', '.join(t for t, _ in triggers)}")
        with connect(bench.url, autocommit=True) as conn:
            settings = {
                name: conn.execute(f"SHOW {name}").fetchone()[name]
                for name in ("server_version", "fsync", "synchronous_commit")
            }
        try:
            for number, load, level, variant in levels_in_turn(args.rounds, loads):
                set_triggers(bench.url, triggers, enabled=variant == "notify")
                figures = measure(bench, meter, load, level, args.seconds)
                runs.append(Run(load, level, variant, number, *figures))
                console.print(f"round {number}, {load} {level}, {variant}: {figures[0]:.0f}/s")
        finally:
            set_triggers(bench.url, triggers, enabled=True)
    rows = summary(runs)
    console.print(report(rows, args.rounds, args.seconds))
    cpu = cpu_report(rows)
    if cpu is not None:
        console.print(cpu)
    console.print(waits_report(rows))
    path = write_results(
        "floor_notify",
        {
            "seconds": args.seconds,
            "rounds": args.rounds,
            "workers": args.workers,
            "history_days": args.history_days,
            "history_bookings": history,
            "settings": settings,
            "triggers": [f"{table}.{name}" for table, name in triggers],
            "summary": rows,
            "runs": [asdict(run) for run in runs],
            **machine(began),
        },
    )
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
