"""Calendars and hours of operation, and whether a service is open at an instant (DST-correct).

A calendar groups days (weekly days, specific dates, yearly dates). Hours of operation open on a
calendar's days from a start to an end wall-clock time in an IANA time zone; an end at or before the start
runs past midnight into the next day. The reserved name "24/7" is always open.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Self

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict

from okc.config.base import Model, Name, TimeOfDay, TimeZoneName, Weekday
from okc.errors import OkcError

__all__ = [
    "ALWAYS",
    "ALWAYS_OPEN",
    "Calendar",
    "Hours",
    "HoursOfOperation",
    "HoursPeriod",
    "MonthDay",
    "ScheduleError",
]

ALWAYS = "24/7"
"""Hours that are always open; usable by name without defining them."""


class ScheduleError(OkcError):
    """A schedule was asked about a naive datetime (without a time zone)."""


MonthDay = Annotated[str, Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
"""A yearly date 'MM-DD' (02-29 matches only in leap years)."""


class Calendar(Model):
    """Days that share the same hours: weekly days, specific dates and dates every year."""

    name: Name
    weekdays: tuple[Weekday, ...] = ()
    dates: tuple[dt.date, ...] = ()
    yearly: tuple[MonthDay, ...] = ()

    @field_validator("yearly")
    @classmethod
    def _real_month_days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for text in value:
            month, day = (int(part) for part in text.split("-"))
            dt.date(2000, month, day)  # a leap year: 02-29 is real, 02-30 raises ValueError
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not (self.weekdays or self.dates or self.yearly):
            raise ValueError("a calendar needs weekdays, dates or yearly dates")
        return self

    def contains(self, day: dt.date) -> bool:
        """Whether day is one of the calendar's days."""
        if any(day.weekday() == weekday.index for weekday in self.weekdays):
            return True
        if day in self.dates:
            return True
        return f"{day.month:02d}-{day.day:02d}" in self.yearly


class HoursPeriod(Model):
    """Open on the calendar's days from start to end, wall-clock time in time_zone (None: the center's)."""

    calendar: Name
    start: TimeOfDay
    end: TimeOfDay
    time_zone: TimeZoneName | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError("start and end are the same time: the period would be empty")
        return self

    @property
    def overnight(self) -> bool:
        """Whether the period runs past midnight into the next day."""
        return self.end < self.start

    def is_open(self, instant: dt.datetime, calendar: Calendar, zone: zoneinfo.ZoneInfo) -> bool:
        """Whether instant (time-zone aware) falls in this period on one of calendar's days, in zone."""
        local = instant.astimezone(zone)
        clock = local.time().replace(tzinfo=None, fold=0)
        today = local.date()
        if not self.overnight:
            return calendar.contains(today) and self.start <= clock < self.end
        if calendar.contains(today) and clock >= self.start:
            return True
        return calendar.contains(today - dt.timedelta(days=1)) and clock < self.end


def _shorthand_schema(schema: JsonDict) -> None:
    """Publish the one-period shorthand (calendar/start/end/time_zone on the entry) in the JSON Schema."""
    properties = schema.get("properties")
    period = HoursPeriod.model_json_schema().get("properties")
    if isinstance(properties, dict) and isinstance(period, dict):
        properties.update(period)


class Hours(Model):
    """Named hours of operation: always open, or open in any of its periods."""

    model_config = ConfigDict(json_schema_extra=_shorthand_schema)

    name: Name
    always: bool = False
    periods: tuple[HoursPeriod, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _single_period_shorthand(cls, data: object) -> object:
        """Accept calendar/start/end/time_zone at the top level as the one period (the common case)."""
        if isinstance(data, dict) and any(key in data for key in ("calendar", "start", "end", "time_zone")):
            if "periods" in data:
                raise ValueError("give either periods or calendar/start/end, not both")
            rest = {k: v for k, v in data.items() if k not in ("calendar", "start", "end", "time_zone")}
            period = {k: data[k] for k in ("calendar", "start", "end", "time_zone") if k in data}
            return {**rest, "periods": [period]}
        return data

    @model_validator(mode="after")
    def _always_or_periods(self) -> Self:
        if self.always and self.periods:
            raise ValueError("hours that are always open have no periods")
        if not self.always and not self.periods:
            raise ValueError("hours need periods (calendar, start, end) or always: true")
        return self

    def bind(self, calendars: Mapping[str, Calendar], default_zone: str) -> HoursOfOperation:
        """These hours with their calendars looked up by name (the cross-checks ensure they exist)
        and each period's time zone resolved (default_zone, the center's, where a period names none)."""
        return HoursOfOperation(
            self.name,
            self.always,
            tuple(
                (p, calendars[p.calendar], zoneinfo.ZoneInfo(p.time_zone or default_zone))
                for p in self.periods
            ),
        )


@dataclass(frozen=True, slots=True)
class HoursOfOperation:
    """Hours of operation bound to their calendars, ready to answer is_open(instant)."""

    name: str
    always: bool
    periods: tuple[tuple[HoursPeriod, Calendar, zoneinfo.ZoneInfo], ...]

    def is_open(self, instant: dt.datetime) -> bool:
        """Whether open at instant, a time-zone aware datetime (wall-clock rules, so DST shifts apply)."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ScheduleError("is_open needs a time-zone aware datetime")
        if self.always:
            return True
        return any(period.is_open(instant, calendar, zone) for period, calendar, zone in self.periods)


ALWAYS_OPEN = HoursOfOperation(ALWAYS, True, ())
"""The built-in "24/7" hours."""
