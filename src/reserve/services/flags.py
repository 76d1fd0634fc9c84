"""Feature flags of one venue: the defaults from the environment and the venue's overrides."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from psycopg.types.json import Jsonb

from reserve.config import FLAGS, FlagValue, flag, flag_defaults, parse_flag_value
from reserve.db.database import Connection
from reserve.db.venues import restaurant_id_for_slug
from reserve.domain.errors import NotFound


@dataclass(frozen=True, slots=True)
class FlagState:
    name: str
    env: str
    help: str
    default: FlagValue
    override: FlagValue
    overridden: bool

    @property
    def value(self) -> FlagValue:
        return self.override if self.overridden else self.default


def restaurant_id(conn: Connection, slug: str) -> UUID:
    found = restaurant_id_for_slug(conn, slug)
    if found is None:
        raise NotFound(f"no restaurant {slug!r}")
    return found


def load_overrides(conn: Connection, restaurant: UUID) -> dict[str, FlagValue]:
    """A venue's overrides, each checked again: a stored value no flag accepts is refused."""
    rows = conn.execute(
        "SELECT name, value FROM feature_flag_overrides WHERE restaurant_id = %s ORDER BY name",
        (restaurant,),
    ).fetchall()
    return {row["name"]: parse_flag_value(row["name"], row["value"]) for row in rows}


def flag_states(conn: Connection, restaurant: UUID | None) -> list[FlagState]:
    defaults = flag_defaults()
    overrides = {} if restaurant is None else load_overrides(conn, restaurant)
    return [
        FlagState(
            name=spec.name,
            env=spec.env,
            help=spec.help,
            default=defaults[spec.name],
            override=overrides.get(spec.name),
            overridden=spec.name in overrides,
        )
        for spec in FLAGS.values()
    ]


def set_override(conn: Connection, restaurant: UUID, name: str, raw: object) -> FlagValue:
    value = parse_flag_value(name, raw)
    conn.execute(
        """
        INSERT INTO feature_flag_overrides (restaurant_id, name, value) VALUES (%s, %s, %s)
        ON CONFLICT (restaurant_id, name) DO UPDATE SET value = excluded.value, updated_at = now()
        """,
        (restaurant, name, Jsonb(value)),
    )
    _touch(conn, restaurant)
    return value


def unset_override(conn: Connection, restaurant: UUID, name: str) -> bool:
    """Remove an override; whether there was one."""
    flag(name)  # refuses unknown names
    cursor = conn.execute(
        "DELETE FROM feature_flag_overrides WHERE restaurant_id = %s AND name = %s",
        (restaurant, name),
    )
    _touch(conn, restaurant)
    return cursor.rowcount > 0


def _touch(conn: Connection, restaurant: UUID) -> None:
    """Mark the venue changed, so every process rebuilds its state with the new flags."""
    conn.execute("UPDATE restaurants SET updated_at = now() WHERE id = %s", (restaurant,))
