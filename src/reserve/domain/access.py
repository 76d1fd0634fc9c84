"""Who may do what: the roles of API keys, and the principal a key stands for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    STAFF = "staff"  # one restaurant's
    ADMIN = "admin"  # every restaurant's, and the venues themselves


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request's key belongs to."""

    key_id: UUID
    role: Role
    restaurant_id: UUID | None

    def may_manage(self, restaurant_id: UUID) -> bool:
        return self.role is Role.ADMIN or self.restaurant_id == restaurant_id
