"""``reserve env check``: is this configuration usable, and is the database there and current?"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError

from reserve.config import Settings, environment_flag_problems, settings_problems
from reserve.db import health, migrations
from reserve.db.urls import database_url
from reserve.domain.errors import ConfigurationError, DatabaseUnavailable


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    line: str


def redact(url: str) -> str:
    """The URL without its password."""
    return re.sub(r"(://[^:/?#@]*):[^@/?#]*@", r"\1:***@", url)


def check_environment() -> list[Check]:
    """Every check, passed or failed, one line each; later checks run even if earlier fail."""
    checks: list[Check] = []
    try:
        settings: Settings | None = Settings()
    except ValidationError as error:
        checks.extend(Check(False, line) for line in settings_problems(error))
        settings = None
    if settings is not None:
        checks.append(Check(True, f"environment: {settings.env}"))
        secret = settings.secret_problems()
        checks.extend(Check(False, line) for line in secret)
        if not secret:
            checks.append(Check(True, "secret key: set"))
    flag_problems = environment_flag_problems()
    checks.extend(Check(False, line) for line in flag_problems)
    if not flag_problems:
        checks.append(Check(True, "flags: every value set in the environment is valid"))
    if settings is not None:
        checks.extend(_database_checks(settings))
    return checks


def _database_checks(settings: Settings) -> list[Check]:
    where = (
        redact(settings.database_url)
        if settings.database_url
        else f"embedded PostgreSQL in {settings.data_dir / 'postgres'}"
    )
    try:
        revision = health.probe_revision(database_url(settings))
    except (DatabaseUnavailable, ConfigurationError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return [Check(False, f"database unreachable ({where}): {reason}")]
    checks = [Check(True, f"database reachable ({where})")]
    head = migrations.head_revision()
    if revision == head:
        checks.append(Check(True, f"schema at the latest migration ({head})"))
    else:
        checks.append(
            Check(
                False,
                f"schema at revision {revision or 'none'}, the latest is {head}:"
                " run reserve db migrate",
            )
        )
    return checks
