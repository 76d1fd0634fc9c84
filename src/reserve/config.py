"""Settings, read once from the environment, and the registry of feature flags.

Settings (all prefixed ``RESERVE_``):

    RESERVE_DATABASE_URL      PostgreSQL to use; unset starts the embedded server
    RESERVE_ENV               development | test | production
    RESERVE_DATA_DIR          where the embedded server keeps its data (default ./.reserve)
    RESERVE_SECRET_KEY        pepper for hashing API keys and manage tokens
    RESERVE_PUBLIC_RATE_LIMIT public requests a minute per client address (staff keys: none)
    RESERVE_PENDING_RETRY_SECONDS  how often the background allocator retries pending bookings
    RESERVE_PRUNE_SECONDS     how often the server prunes old confirmation results and expired holds
                              (and how long integrity lets an expired hold wait for it)
    RESERVE_DEMAND_RETENTION_DAYS  how many days demand records are kept (default 400: a year
                              of the same weekday, for the learned outlook)
    RESERVE_INTEGRITY_SECONDS how often the server runs the integrity report (one worker at a
                              time) and exports its violations as metrics
    RESERVE_LOG_FORMAT        auto | json | text: one JSON object a line, or text for people
                              (auto: text on a terminal, JSON otherwise)
    RESERVE_APP_PASSWORD      the password requests log in with as reserve_app (none: the server
                              trusts the connection, as the embedded one does on its socket)
    RESERVE_STATEMENT_TIMEOUT_MS  the longest a request's statement may run
    RESERVE_IDLE_IN_TRANSACTION_TIMEOUT_MS  the longest a request's transaction may sit idle
    RESERVE_REQUEST_DEADLINE_MS  the longest a request's transaction may wait on the database
                              once it has a connection, before it answers 503 (default: the
                              statement timeout and a second)

Flags are the switches of DESIGN section 10. Their defaults come from the environment
under the names the previous system used; per-venue overrides live in
``feature_flag_overrides``. Unknown names and malformed values are refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from reserve.domain.allocator import Admission, Policy
from reserve.domain.errors import ConfigurationError, InvalidFlag
from reserve.domain.floor import AdjacencyMode, Rule

PLACEHOLDER_SECRET = "change-me"
DEMAND_RETENTION_DAYS = 400


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RESERVE_", extra="ignore", frozen=True)

    database_url: str | None = None
    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path(".reserve")
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    public_rate_limit: int = Field(default=120, ge=1)
    pending_retry_seconds: float = Field(default=30.0, gt=0)
    prune_seconds: float = Field(default=60.0, gt=0)
    demand_retention_days: int = Field(default=DEMAND_RETENTION_DAYS, ge=1, le=36_500)
    integrity_seconds: float = Field(default=300.0, gt=0)
    log_format: Literal["auto", "json", "text"] = "auto"
    app_password: SecretStr | None = None
    statement_timeout_ms: int = Field(default=5_000, ge=100, le=600_000)
    idle_in_transaction_timeout_ms: int = Field(default=10_000, ge=100, le=600_000)
    request_deadline_ms: int | None = Field(default=None, ge=100, le=600_000)

    @property
    def uses_embedded_server(self) -> bool:
        return self.database_url is None

    def secret_problems(self) -> list[str]:
        """What is wrong with the secret for this environment (nothing outside production)."""
        secret = self.secret_key.get_secret_value()
        if self.env is not Environment.PRODUCTION:
            return []
        if secret == PLACEHOLDER_SECRET:
            return ["RESERVE_SECRET_KEY is the placeholder; set a real secret in production"]
        if len(secret) < 32:
            return ["RESERVE_SECRET_KEY must be at least 32 characters in production"]
        return []


def settings_problems(error: ValidationError) -> list[str]:
    """One line for each setting that failed validation, named as its environment variable."""
    lines = []
    for problem in error.errors():
        field = "_".join(str(part) for part in problem["loc"]).upper()
        lines.append(f"RESERVE_{field}: {problem['msg']}")
    return lines


def load_settings() -> Settings:
    """The settings from the environment, refused (naming each problem) when they are invalid,
    when a flag's environment variable holds a value the flag does not take, or when
    production runs with a placeholder secret."""
    try:
        settings = Settings()
    except ValidationError as error:
        raise ConfigurationError("; ".join(settings_problems(error))) from None
    problems = environment_flag_problems() + settings.secret_problems()
    if problems:
        raise ConfigurationError("; ".join(problems))
    return settings


# --- flags -----------------------------------------------------------------------------


FlagValue = str | int | bool | None

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ValueError("expected true or false")


def _int_between(low: int, high: int) -> Callable[[object], int]:
    def parse(raw: object) -> int:
        if isinstance(raw, bool):
            raise ValueError(f"expected a whole number from {low} to {high}")
        if isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
            raw = int(raw)
        if not isinstance(raw, int) or not low <= raw <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return raw

    return parse


def _optional(parse: Callable[[object], int]) -> Callable[[object], int | None]:
    def parse_optional(raw: object) -> int | None:
        if raw is None or (isinstance(raw, str) and raw.strip().lower() in {"", "none"}):
            return None
        return parse(raw)

    return parse_optional


def _admission(raw: object) -> str:
    kinds = [kind.value for kind in Admission]
    if isinstance(raw, str) and raw.strip().lower() in kinds:
        return raw.strip().lower()
    raise ValueError("expected one of " + ", ".join(kinds))


def _adjacency_mode(raw: object) -> str:
    modes = [mode.value for mode in AdjacencyMode]
    if isinstance(raw, str) and raw.strip().lower() in modes:
        return raw.strip().lower()
    raise ValueError("expected one of " + ", ".join(modes))


@dataclass(frozen=True, slots=True)
class Flag:
    name: str
    env: str
    default: FlagValue
    parse: Callable[[object], FlagValue]
    help: str


FLAGS: dict[str, Flag] = {
    flag.name: flag
    for flag in (
        Flag(
            "allocator.adjacency_mode",
            "FEATURE_ALLOCATOR_ADJACENCY_MODE",
            AdjacencyMode.CONNECTED.value,
            _adjacency_mode,
            "shape a combination of tables must have: connected, pairwise or neighbors",
        ),
        Flag(
            "allocator.max_tables",
            "FEATURE_ALLOCATOR_K_MAX",
            3,
            _int_between(1, 5),
            "most tables one party may be seated at",
        ),
        Flag(
            "allocator.require_adjacency",
            "FEATURE_ALLOCATOR_REQUIRE_ADJACENCY",
            True,
            _bool,
            "combined tables must be adjacent",
        ),
        Flag(
            "allocator.adjacency_min_party_size",
            "FEATURE_ALLOCATOR_ADJACENCY_MIN_PARTY_SIZE",
            None,
            _optional(_int_between(1, 1000)),
            "require adjacency only from this party size up (none: always)",
        ),
        Flag(
            "allocator.lookahead",
            "FEATURE_SELECTOR_LOOKAHEAD",
            True,
            _bool,
            "keep tables that later bookings and expected demand need",
        ),
        Flag(
            "allocator.selector_timeout_ms",
            "FEATURE_INLINE_AUTO_ASSIGN_TIMEOUT_MS",
            200,
            _int_between(1, 60_000),
            "time the table search may take, in milliseconds",
        ),
        Flag(
            "allocator.fail_hard",
            "FEATURE_ALLOCATOR_SERVICE_FAIL_HARD",
            False,
            _bool,
            "a search that times out is an error instead of using the best plan so far",
        ),
        Flag(
            "allocator.admission",
            "FEATURE_ALLOCATOR_ADMISSION",
            Admission.LIMITS.value,
            _admission,
            "turn parties away to seat expected demand: none, protection or limits",
        ),
        Flag(
            "allocator.pooling",
            "FEATURE_ALLOCATOR_POOLING",
            True,
            _bool,
            "move unseated bookings to other tables when that lets a new party in",
        ),
        Flag(
            "allocator.pooling_freeze_minutes",
            "FEATURE_ALLOCATOR_POOLING_FREEZE_MINUTES",
            60,
            _int_between(0, 1440),
            "a booking starting within this many minutes keeps its tables",
        ),
        Flag(
            "debug.capacity_profiling",
            "DEBUG_CAPACITY_PROFILING",
            False,
            _bool,
            "report the time spent in each stage of allocation",
        ),
    )
}


def flag(name: str) -> Flag:
    try:
        return FLAGS[name]
    except KeyError:
        known = ", ".join(FLAGS)
        raise InvalidFlag(f"unknown flag {name!r}; known flags: {known}", fields=(name,)) from None


def parse_flag_value(name: str, raw: object) -> FlagValue:
    """The value ``raw`` (text from a command line or environment, or JSON) for flag ``name``."""
    spec = flag(name)
    try:
        return spec.parse(raw)
    except ValueError as error:
        raise InvalidFlag(f"flag {name}: {raw!r} is not valid ({error})", fields=(name,)) from None


def _read_environment(environ: Mapping[str, str]) -> tuple[dict[str, FlagValue], list[str]]:
    values: dict[str, FlagValue] = {}
    problems: list[str] = []
    for spec in FLAGS.values():
        raw = environ.get(spec.env)
        if raw is None:
            values[spec.name] = spec.default
            continue
        try:
            values[spec.name] = spec.parse(raw)
        except ValueError as error:
            problems.append(f"{spec.env}={raw!r} is not valid for {spec.name} ({error})")
    return values, problems


def flag_defaults(environ: Mapping[str, str] | None = None) -> dict[str, FlagValue]:
    """Every flag's default: its environment variable when set, else the built-in default."""
    values, problems = _read_environment(os.environ if environ is None else environ)
    if problems:
        raise InvalidFlag("; ".join(problems))
    return values


def environment_flag_problems(environ: Mapping[str, str] | None = None) -> list[str]:
    """One line for each flag environment variable whose value is malformed."""
    return _read_environment(os.environ if environ is None else environ)[1]


def effective_flags(
    overrides: Mapping[str, object], environ: Mapping[str, str] | None = None
) -> dict[str, FlagValue]:
    """Defaults with a venue's overrides applied; an override naming no flag is refused."""
    values = flag_defaults(environ)
    for name, raw in overrides.items():
        values[name] = parse_flag_value(name, raw)
    return values


def allocation_policy(values: Mapping[str, FlagValue]) -> Policy:
    """The allocator's policy from a venue's effective flag values."""
    min_party = values["allocator.adjacency_min_party_size"]
    return Policy(
        rule=Rule(
            adjacency_mode=AdjacencyMode(str(values["allocator.adjacency_mode"])),
            max_tables=int(str(values["allocator.max_tables"])),
            require_adjacency=bool(values["allocator.require_adjacency"]),
            adjacency_min_party_size=None if min_party is None else int(str(min_party)),
        ),
        lookahead=bool(values["allocator.lookahead"]),
        selector_timeout_ms=int(str(values["allocator.selector_timeout_ms"])),
        fail_hard=bool(values["allocator.fail_hard"]),
        capacity_profiling=bool(values["debug.capacity_profiling"]),
        admission=Admission(str(values["allocator.admission"])),
        pooling=bool(values["allocator.pooling"]),
        pooling_freeze_minutes=int(str(values["allocator.pooling_freeze_minutes"])),
    )
