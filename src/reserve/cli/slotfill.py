"""``reserve slot-fill``: the load tool (DESIGN section 8).

It books over HTTP like any client, with a staff key, and reads the integrity report from
the database (``RESERVE_DATABASE_URL``, or the embedded server) after each level.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import psycopg
import typer

from reserve.cli.context import console, errors, load_settings, operator_database
from reserve.config import Settings
from reserve.domain.errors import ConfigurationError, NotFound, ReserveError
from reserve.loadtest.client import ApiError
from reserve.loadtest.engine import Integrity, IntegrityCheck, Options, Result
from reserve.loadtest.engine import slot_fill as run_slot_fill
from reserve.loadtest.log import LOG_NAME, LogError
from reserve.loadtest.plan import Window, parse_clock, parse_levels
from reserve.loadtest.report import LiveProgress, print_summary
from reserve.services.integrity import check_integrity
from reserve.services.venues import find_venue

T = TypeVar("T")
INTERRUPTED = 130


# Long only for its parameters, one per flag; the work is in the helpers below.
def slot_fill(
    restaurant: Annotated[str, typer.Option(help="The venue to fill (its slug).")],
    api_key: Annotated[
        str,
        typer.Option(
            envvar="RESERVE_API_KEY",
            help="A staff key of the venue (or an admin key); staff requests are not rate-limited.",
            show_default=False,
        ),
    ],
    date: Annotated[
        str | None,
        typer.Option(
            help="The service date, YYYY-MM-DD. Default: the next day after today on which "
            "the venue has a service period (a resumed run keeps its own).",
            show_default=False,
        ),
    ] = None,
    start: Annotated[str, typer.Option(help="The first slot, HH:MM.")] = "12:00",
    end: Annotated[str, typer.Option(help="The window's end, HH:MM (not itself a slot).")] = (
        "15:00"
    ),
    interval: Annotated[int, typer.Option(help="Minutes between slots.", min=1, max=24 * 60)] = 15,
    stress_max: Annotated[
        int, typer.Option(help="Booking requests per slot.", min=1, max=10_000)
    ] = 10,
    min_party_size: Annotated[
        int, typer.Option(help="Smallest party (sizes are uniform in the range).", min=1, max=1000)
    ] = 1,
    max_party_size: Annotated[int, typer.Option(help="Largest party.", min=1, max=1000)] = 12,
    concurrency: Annotated[
        str,
        typer.Option(
            help="Requests in flight; a list such as 1,8,64 runs each level in turn, each on "
            "a freshly cleared day, and compares them."
        ),
    ] = "1",
    base_url: Annotated[str, typer.Option(help="Where reserve serve listens.")] = (
        "http://127.0.0.1:8000"
    ),
    log_dir: Annotated[
        Path,
        typer.Option(
            help="Where slot-fill.jsonl and slot-fill-metrics.json go (a new run replaces "
            "them; --resume adds to the log)."
        ),
    ] = Path("slot-fill-logs"),
    seed: Annotated[
        int | None,
        typer.Option(help="Seed of the party sizes (default: random, recorded).", min=0),
    ] = None,
    two_phase: Annotated[
        bool, typer.Option("--two-phase", help="Hold the tables first, then book the hold.")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the run logged in --log-dir after its last completed slot.",
        ),
    ] = False,
    poll_timeout: Annotated[
        float,
        typer.Option(
            help="Seconds to poll a pending (202) booking for its confirmation.", min=0, max=3600
        ),
    ] = 60.0,
) -> None:
    """Fill a window of slots with booking requests over HTTP and report what happened.

    Every level starts by cancelling every pending or confirmed booking of --date through
    the staff API: point it at a venue and date that hold no real guests. Each request is
    one line of slot-fill.jsonl; slot-fill-metrics.json has the totals, latency, seat waste
    and its anomalies, a per-slot table, the wait for the day's lock (from the server's
    /metrics), the comparison of levels and what it concludes, and the integrity report.
    Exit 1 on any request that ended in error or any integrity violation; 130 when
    interrupted.
    """
    options = Options(
        restaurant=restaurant,
        day=None if date is None else _parsed(_date, date, "--date"),
        window=_window(start, end, interval),
        stress_max=stress_max,
        min_party=min_party_size,
        max_party=_party_range(min_party_size, max_party_size),
        levels=_parsed(parse_levels, concurrency, "--concurrency"),
        base_url=_base_url(base_url),
        api_key=api_key,
        log_dir=log_dir,
        seed=seed,
        two_phase=two_phase,
        resume=resume,
        poll_timeout=poll_timeout,
    )
    _report(options, _run(options))


def _run(options: Options) -> Result:
    """Every level of the run, with live progress; what stops it ends the command."""
    try:
        check = integrity_check(load_settings(), options.restaurant)
        with LiveProgress(errors) as progress:
            return run_slot_fill(options, check, progress)
    except (ApiError, LogError, ReserveError) as error:
        _fail(str(error))
    except psycopg.Error as error:
        _fail(f"database: {_first_line(error)}")
    except KeyboardInterrupt:
        errors.print(
            f"interrupted: {options.log_dir / LOG_NAME} holds every request that finished; "
            "run again with --resume to continue after the last completed slot",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(INTERRUPTED) from None


def integrity_check(settings: Settings, restaurant: str) -> IntegrityCheck:
    """The integrity report of ``restaurant`` from the database, as a check the engine runs.
    The database must know the venue now, so that a run does not end unable to check itself
    (it is the server's database: the same RESERVE_DATABASE_URL, or the same data dir)."""
    try:
        find_venue(operator_database(settings), restaurant)
    except NotFound:
        where = "RESERVE_DATABASE_URL" if settings.database_url else f"in {settings.data_dir}"
        raise ConfigurationError(
            f"no restaurant {restaurant!r} in the database the integrity report is read from "
            f"({where}); slot-fill needs the server's database"
        ) from None

    def check() -> Integrity:
        try:
            report = check_integrity(
                operator_database(settings),
                restaurant,
                hold_grace=dt.timedelta(seconds=settings.prune_seconds),  # as ``reserve integrity``
            )
        except (ReserveError, psycopg.Error) as error:  # and those run leaves untranslated
            return Integrity(None, None, _first_line(error))
        return Integrity(report.violations, report.to_json())

    return check


def _report(options: Options, result: Result) -> None:
    window = options.window
    title = (
        f"slot-fill {options.restaurant} {result.day} {window.start:%H:%M}-{window.end:%H:%M} "
        f"every {window.interval} min, {options.stress_max} a slot, parties "
        f"{options.min_party}-{options.max_party}, seed {result.seed}"
        + (", two-phase" if options.two_phase else "")
    )
    print_summary(console, title, result)
    requests = sum(level.metrics.requests for level in result.levels)
    console.print(f"log      {result.log_path} ({requests} requests)", highlight=False)
    console.print(f"metrics  {result.metrics_path}", highlight=False)
    problems = []
    if result.errors:
        problems.append(f"{result.errors} requests ended in error (see the log)")
    for level in result.levels:
        report = level.integrity
        if report is not None and report.error is not None:
            problems.append(f"the integrity report could not be taken: {report.error}")
        elif report is not None and report.violations:
            problems.append(
                f"{report.violations} integrity violations after concurrency "
                f"{level.metrics.concurrency}"
            )
    if problems:
        _fail("; ".join(problems))


def _window(start: str, end: str, interval: int) -> Window:
    first = _parsed(parse_clock, start, "--start")
    last = _parsed(parse_clock, end, "--end")
    if first >= last:
        raise typer.BadParameter(
            f"the window must start before it ends ({start} to {end})",
            param_hint="'--start' / '--end'",
        )
    return Window(first, last, interval)


def _party_range(smallest: int, largest: int) -> int:
    if smallest > largest:
        raise typer.BadParameter(
            f"the smallest party ({smallest}) is larger than the largest ({largest})",
            param_hint="'--min-party-size' / '--max-party-size'",
        )
    return largest


def _base_url(url: str) -> str:
    if not url.startswith(("http://", "https://")) or len(url.split("://", 1)[1]) == 0:
        raise typer.BadParameter(
            f"{url!r} is not an http:// or https:// URL", param_hint="'--base-url'"
        )
    return url.rstrip("/")


def _date(text: str) -> dt.date:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"{text!r} is not a date as YYYY-MM-DD")


def _parsed(parse: Callable[[str], T], value: str, flag: str) -> T:
    try:
        return parse(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=f"'{flag}'") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _fail(message: str) -> NoReturn:
    errors.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)
