"""Running the Alembic migrations in ``migrations/`` against a database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg import sql

from reserve.db.database import Connection, connect
from reserve.db.urls import APP_ROLE, sqlalchemy_url

_PACKAGE = Path(__file__).resolve().parent.parent


def migrations_dir() -> Path:
    """The migrations: shipped inside the package when installed, at the repository root in a
    checkout."""
    for candidate in (_PACKAGE / "migrations", _PACKAGE.parent.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the migrations directory is missing from this installation")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    # Alembic's config is an INI file underneath: a literal % must be doubled.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return config


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("postgresql://unused"))
    head = script.get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def set_app_password(url: str, password: str) -> None:
    """Give the application role the password its requests log in with."""
    with connect(url) as conn:
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(APP_ROLE), sql.Literal(password)
            )
        )


def reset(url: str) -> None:
    """Drop every table and row (the public schema), then migrate again from nothing."""
    with connect(url) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
        conn.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
    upgrade(url)


def current_revision(conn: Connection) -> str | None:
    """The revision a database is at, or None when it was never migrated."""
    row = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL AS migrated").fetchone()
    if row is None or not row["migrated"]:
        return None
    version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if version is None else str(version["version_num"])
