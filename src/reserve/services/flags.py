"""Feature flags of one venue: the defaults from the environment and the venue's overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from reserve.config import FLAGS, FlagValue, flag, flag_defaults, parse_flag_value
from reserve.db import flags as store
from reserve.db.database import Connection, Transactions, scope_to_restaurant
from reserve.db.restaurants import restaurant_id_for_slug
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


def load_overrides(conn: Connection, restaurant_id: UUID) -> dict[str, FlagValue]:
    """A venue's overrides, each checked again: a stored value no flag accepts is refused."""
    stored = store.overrides(conn, restaurant_id)
    return {name: parse_flag_value(name, raw) for name, raw in stored.items()}


def states_of(conn: Connection, restaurant_id: UUID | None) -> list[FlagState]:
    """Every flag with its default and (for a venue) its override, in the caller's unit."""
    defaults = flag_defaults()
    overrides = {} if restaurant_id is None else load_overrides(conn, restaurant_id)
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


def change(
    conn: Connection, restaurant_id: UUID, changes: Mapping[str, object]
) -> dict[str, FlagValue]:
    """Set each named override to its value, or remove it where the value is None; an
    unknown name or a bad value refuses the whole change. The values as set, by name."""
    values: dict[str, FlagValue] = {}
    for name, raw in changes.items():
        if raw is None:
            flag(name)  # refuses unknown names
            store.delete_override(conn, restaurant_id, name)
            values[name] = None
        else:
            values[name] = parse_flag_value(name, raw)
            store.put_override(conn, restaurant_id, name, values[name])
    return values


# --- for operators (the command line): a venue named by its slug -----------------------------


def flag_states(database: Transactions, slug: str | None) -> list[FlagState]:
    """Every flag; with ``slug``, that venue's overrides too."""
    return database.run(lambda conn: states_of(conn, None if slug is None else _enter(conn, slug)))


def set_override(database: Transactions, slug: str, name: str, raw: object) -> FlagValue:
    return database.run(lambda conn: change(conn, _enter(conn, slug), {name: raw}))[name]


def unset_override(database: Transactions, slug: str, name: str) -> bool:
    """Remove an override; whether there was one."""
    flag(name)  # refuses unknown names
    return database.run(lambda conn: store.delete_override(conn, _enter(conn, slug), name))


def _enter(conn: Connection, slug: str) -> UUID:
    restaurant_id = restaurant_id_for_slug(conn, slug)
    if restaurant_id is None:
        raise NotFound(f"no restaurant {slug!r}")
    scope_to_restaurant(conn, restaurant_id)
    return restaurant_id
