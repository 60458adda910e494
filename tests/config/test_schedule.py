"""Calendars and hours of operation: weekly, specific and yearly days; DST changes; overnight periods."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okc import config

UTC = dt.UTC
EVERY_DAY = config.Calendar(name="every day", weekdays=tuple(config.Weekday))


def hours(start: str, end: str, zone: str, calendar: config.Calendar = EVERY_DAY) -> config.HoursOfOperation:
    raw = config.Hours.model_validate(
        {"name": "h", "calendar": calendar.name, "start": start, "end": end, "time_zone": zone}
    )
    return raw.bind({calendar.name: calendar}, "Asia/Kamchatka")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def open_minutes(h: config.HoursOfOperation, day: str, zone: str) -> int:
    """How many minutes of the local calendar day the hours are open (23, 24 or 25 hours long)."""
    start = at(f"{day}T00:00:00") - dt.timedelta(hours=12)
    instants = (start + dt.timedelta(minutes=m) for m in range(48 * 60))
    local_day = dt.date.fromisoformat(day)
    return sum(h.is_open(i) for i in instants if i.astimezone(ZoneInfo(zone)).date() == local_day)


def test_moscow_spring_forward_2010() -> None:
    office = hours("09:00", "18:00", "Europe/Moscow")
    # 27 March 2010: UTC+3; 28 March from 02:00 local: UTC+4 (summer time, abolished in 2011).
    assert not office.is_open(at("2010-03-27T05:30"))  # 08:30 MSK
    assert office.is_open(at("2010-03-28T05:30"))  # 09:30 MSD: the same UTC time is now open
    assert office.is_open(at("2010-03-27T14:30"))  # 17:30 MSK
    assert not office.is_open(at("2010-03-28T14:30"))  # 18:30 MSD


def test_moscow_fall_back_2010_the_repeated_hour_is_open_twice() -> None:
    repeated = hours("02:00", "03:00", "Europe/Moscow")
    assert repeated.is_open(at("2010-10-30T22:30"))  # 02:30 MSD (UTC+4)
    assert repeated.is_open(at("2010-10-30T23:30"))  # 02:30 MSK again (UTC+3)
    assert not repeated.is_open(at("2010-10-30T21:30"))  # 01:30 MSD
    assert not repeated.is_open(at("2010-10-31T00:30"))  # 03:30 MSK


def test_moscow_offsets_2012_and_2015() -> None:
    office = hours("09:00", "18:00", "Europe/Moscow")
    assert office.is_open(at("2012-06-01T05:30"))  # UTC+4 all year 2011-2014: 09:30
    assert not office.is_open(at("2015-06-01T05:30"))  # UTC+3 since October 2014: 08:30


def test_berlin_gap_and_repeat_by_minutes() -> None:
    night = hours("02:00", "03:00", "Europe/Berlin")
    assert open_minutes(night, "2024-03-31", "Europe/Berlin") == 0  # 02:00-03:00 does not exist that night
    assert open_minutes(night, "2024-10-27", "Europe/Berlin") == 120  # 02:00-03:00 happens twice
    assert open_minutes(night, "2024-06-15", "Europe/Berlin") == 60


def test_berlin_office_follows_the_clock() -> None:
    office = hours("09:00", "17:00", "Europe/Berlin")
    assert not office.is_open(at("2024-03-29T07:30"))  # 08:30 CET (UTC+1)
    assert office.is_open(at("2024-03-29T08:00"))  # 09:00 CET
    assert not office.is_open(at("2024-04-01T06:30"))  # 08:30 CEST (UTC+2)
    assert office.is_open(at("2024-04-01T07:00"))  # 09:00 CEST
    assert not office.is_open(at("2024-04-01T15:00"))  # 17:00 CEST


def test_overnight_period_belongs_to_the_day_it_starts() -> None:
    weekend = config.Calendar(name="weekend", weekdays=(config.Weekday.SAT, config.Weekday.SUN))
    late = hours("22:00", "02:00", "UTC", weekend)
    assert late.is_open(at("2026-11-28T23:00"))  # Saturday 23:00
    assert late.is_open(at("2026-11-29T01:00"))  # Sunday 01:00: Saturday's night
    assert late.is_open(at("2026-11-30T01:59"))  # Monday 01:59: Sunday's night
    assert not late.is_open(at("2026-11-30T02:00"))
    assert not late.is_open(at("2026-11-28T01:00"))  # Saturday 01:00: Friday is not in the calendar


def test_end_of_day() -> None:
    evening = hours("18:00", "24:00", "UTC")
    assert evening.is_open(at("2026-01-01T23:59:59"))
    assert not evening.is_open(at("2026-01-02T00:00"))


def test_calendar_days() -> None:
    calendar = config.Calendar(name="c", dates=(dt.date(2026, 12, 31),), yearly=("01-07", "02-29"))
    assert calendar.contains(dt.date(2026, 12, 31))
    assert not calendar.contains(dt.date(2027, 12, 31))
    assert calendar.contains(dt.date(2031, 1, 7))
    assert calendar.contains(dt.date(2028, 2, 29))
    assert not calendar.contains(dt.date(2028, 2, 28))


def test_always_open_and_naive_instants() -> None:
    center = config.loads("hours: []\n", "okc.yaml", check_files=False)
    always = center.hours_of_operation(config.ALWAYS)
    assert always.is_open(at("2026-01-01T00:00"))
    with pytest.raises(config.ScheduleError):
        always.is_open(dt.datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(config.ScheduleError):
        hours("09:00", "18:00", "UTC").is_open(dt.datetime(2026, 1, 1, 10))  # noqa: DTZ001


@given(
    instant=st.datetimes(
        min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; timezones= adds UTC
        max_value=dt.datetime(2040, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    start=st.integers(0, 23 * 60 + 58),
    length=st.integers(1, 23 * 60),
)
def test_open_exactly_when_the_local_clock_is_inside(instant: dt.datetime, start: int, length: int) -> None:
    end = (start + length) % (24 * 60)
    if end == start:
        return
    text = f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"
    h = hours(*text, "Europe/Berlin")
    local = instant.astimezone(ZoneInfo("Europe/Berlin"))
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start < end else minute >= start or minute < end
    assert h.is_open(instant) == inside


def test_a_period_without_a_time_zone_uses_the_centers() -> None:
    text = (
        "general: {time_zone: Asia/Vladivostok}\n"
        "calendars: [{name: c, weekdays: [mon, tue, wed, thu, fri, sat, sun]}]\n"
        "hours: [{name: h, calendar: c, start: '09:00', end: '10:00'}]\n"
    )
    h = config.loads(text, "okc.yaml").hours_of_operation("h")
    assert h.is_open(at("2026-06-01T23:30"))  # 09:30 in Vladivostok (UTC+10)
    assert not h.is_open(at("2026-06-01T06:30"))  # 09:30 in Moscow
