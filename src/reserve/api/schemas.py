"""What the API sends and receives."""

from __future__ import annotations

from pydantic import BaseModel

from reserve.domain.venue import Venue


class ZoneOut(BaseModel):
    key: str
    name: str


class TableOut(BaseModel):
    label: str
    zone: str
    capacity: int
    min_party: int
    max_party: int


class ServicePeriodOut(BaseModel):
    service: str
    weekdays: list[int]
    start: str
    end: str


class RestaurantOut(BaseModel):
    slug: str
    name: str
    timezone: str
    slot_interval_minutes: int
    max_online_party_size: int
    booking_horizon_days: int
    zones: list[ZoneOut]
    tables: list[TableOut]
    service_periods: list[ServicePeriodOut]

    @classmethod
    def of(cls, venue: Venue) -> RestaurantOut:
        return cls(
            slug=venue.slug,
            name=venue.name,
            timezone=venue.timezone,
            slot_interval_minutes=venue.slot_interval_minutes,
            max_online_party_size=venue.max_online_party_size,
            booking_horizon_days=venue.booking_horizon_days,
            zones=[ZoneOut(key=zone.key, name=zone.name) for zone in venue.zones],
            tables=[
                TableOut(
                    label=table.label,
                    zone=table.zone,
                    capacity=table.capacity,
                    min_party=table.min_party,
                    max_party=table.max_party,
                )
                for table in venue.tables
                if table.active
            ],
            service_periods=[
                ServicePeriodOut(
                    service=period.service,
                    weekdays=list(period.weekdays),
                    start=f"{period.start:%H:%M}",
                    end="24:00" if period.end is None else f"{period.end:%H:%M}",
                )
                for period in venue.periods
            ],
        )


class Health(BaseModel):
    status: str
    schema_revision: str | None = None
