"""Building blocks shared by every configuration model: the frozen base class and the constrained types."""

from __future__ import annotations

import datetime as dt
import enum
import re
import zoneinfo
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

__all__ = [
    "Digits",
    "Extension",
    "LanguageCode",
    "Model",
    "MultilineText",
    "Name",
    "Percent",
    "PhoneNumber",
    "Port",
    "RelativePath",
    "Seconds",
    "SkillLevel",
    "SkillLevels",
    "Text",
    "TimeOfDay",
    "TimeZoneName",
    "Weekday",
    "empty_mapping",
    "freeze_mapping",
]

K = TypeVar("K")
V = TypeVar("V")


class Model(BaseModel):
    """Base of every configuration model: immutable, and unknown keys are an error (typos do not pass)."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


def freeze_mapping(mapping: Mapping[K, V]) -> Mapping[K, V]:
    """A read-only view of a copy of mapping, so a frozen model's mapping field cannot be changed."""
    return MappingProxyType(dict(mapping))


def empty_mapping() -> Mapping[str, V]:
    """A fresh empty read-only mapping (the default of optional mapping fields)."""
    return MappingProxyType({})


def _thaw(mapping: Mapping[str, object]) -> dict[str, object]:
    return dict(mapping)


def _no_number(kind: str) -> BeforeValidator:
    """Reject a YAML number where digits are meant as text (leading zeros would be lost)."""

    def check(value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"{kind} must be a quoted string of digits, e.g. '{value}'")
        return value

    return BeforeValidator(check)


def _check_time_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {name!r}") from None
    return name


_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


def _parse_time(value: object) -> object:
    """Times are written "HH:MM" (24:00 is allowed as the end of a day and kept as 23:59:59.999999)."""
    if isinstance(value, dt.time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError("a time of day must be a quoted 'HH:MM' string")
    if isinstance(value, str):
        text = value.strip()
        if text == "24:00":
            return dt.time.max
        match = _TIME.match(text)
        if match is None:
            raise ValueError(f"time of day {value!r} must be 'HH:MM' (00:00 to 24:00)")
        return dt.time(int(match.group(1)), int(match.group(2)))
    return value


def _serialize_time(value: dt.time) -> str:
    return "24:00" if value == dt.time.max else value.strftime("%H:%M")


_PLAIN = r"\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff"
"""Control characters and Unicode line separators: never part of a one-line text (YAML would fold them)."""


Name = Annotated[
    str, Field(min_length=1, max_length=100, pattern=f"^[^\\s{_PLAIN}]([^{_PLAIN}]*[^\\s{_PLAIN}])?$")
]
"""A name people give things (services, groups, messages): 1–100 characters, one line, no outer spaces."""

Text = Annotated[str, Field(max_length=500, pattern=f"^[^{_PLAIN}]*$")]
"""One line of free text (no control characters), at most 500 characters."""

MultilineText = Annotated[
    str, Field(max_length=10_000, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]*$")
]
"""Free text that may span lines (newlines and tabs allowed, other control characters not)."""

Digits = Annotated[str, _no_number("a number"), Field(pattern=r"^[0-9*#+]{1,32}$")]
"""Dialled digits (0–9, *, #, a leading +)."""

Extension = Annotated[str, _no_number("an extension"), Field(pattern=r"^[0-9]{2,8}$")]
"""An internal number: 2 to 8 digits."""

PhoneNumber = Annotated[str, _no_number("a phone number"), Field(pattern=r"^\+?[0-9]{2,20}$")]
"""An external number (E.164 with + or national digits)."""

Percent = Annotated[int, Field(ge=0, le=100)]
SkillLevel = Annotated[int, Field(ge=0, le=100)]
Seconds = Annotated[int, Field(ge=1, le=86_400)]
Port = Annotated[int, Field(ge=1, le=65_535)]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]
TimeZoneName = Annotated[str, AfterValidator(_check_time_zone)]
RelativePath = Annotated[str, Field(min_length=1, max_length=400, pattern=f"^[^{_PLAIN}]*$")]
"""A file path, relative to the directory of the main configuration file (or absolute)."""

TimeOfDay = Annotated[
    dt.time,
    BeforeValidator(_parse_time),
    PlainSerializer(_serialize_time, return_type=str, when_used="json"),
    Field(json_schema_extra={"type": "string", "pattern": r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$|^24:00$"}),
]
"""A wall-clock time written 'HH:MM'; '24:00' means the end of the day."""

SkillLevels = Annotated[
    Mapping[Name, SkillLevel],
    AfterValidator(freeze_mapping),
    PlainSerializer(_thaw, return_type=dict[str, int]),
]
"""Skill name → level 0–100."""


class Weekday(enum.Enum):
    """Days of the week as calendars and calling windows name them."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def index(self) -> int:
        """Monday = 0, as datetime.date.weekday() counts."""
        return list(Weekday).index(self)
