"""Hypothesis properties: the position-tracking YAML reader and load(dump(x)) == x."""

from __future__ import annotations

import datetime as dt
import string

import yaml
from hypothesis import given
from hypothesis import strategies as st

from okc import config
from okc.config.source import iter_paths, read_source

keys = st.text(string.ascii_letters + "_-. абв0123456789", min_size=1, max_size=8)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["no", "yes", "on", "0505", "9:00", "1_000", "0x1F", "1.5e3", "~", "2024-01-01", "<<"])
)
documents = st.dictionaries(
    keys.filter(lambda key: key != "include"),  # the reader's own key
    st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=20,
    ),
    max_size=5,
)


@given(documents)
def test_reader_reads_what_pyyaml_writes(document: dict[str, object]) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    expected = yaml.safe_load(text) or {}
    source = read_source(text, "x.yaml", __import__("pathlib").Path("."))
    assert source.problems == []
    assert source.data == expected
    for path in iter_paths(source.data):
        if path:
            assert path in source.positions


logins = st.from_regex(r"\A[a-z][a-z0-9._-]{0,10}\Z")
names = st.from_regex(r"\A[A-Za-zА-Яа-я0-9][A-Za-zА-Яа-я0-9 ]{0,10}[A-Za-zА-Яа-я0-9]\Z")


@st.composite
def centers(draw: st.DrawFn) -> config.CenterConfig:
    user_logins = draw(st.lists(logins, unique=True, max_size=5))
    extensions = draw(st.lists(st.from_regex(r"\A[0-9]{2,6}\Z"), unique=True, min_size=len(user_logins)))
    users = [
        config.User(
            login=login,
            first_name=draw(st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=8)),
            extension=extension,
            roles=tuple(draw(st.sets(st.sampled_from(config.Role), min_size=1))),
            phone=draw(st.sampled_from(config.PhoneKind)),
            do_not_record=draw(st.booleans()),
        )
        for login, extension in zip(user_logins, extensions, strict=False)
    ]
    calendar_names = draw(st.lists(names, unique=True, min_size=1, max_size=3))
    calendars = [
        config.Calendar(
            name=name,
            weekdays=tuple(draw(st.sets(st.sampled_from(config.Weekday), min_size=1))),
            dates=tuple(draw(st.lists(st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)), max_size=2))),
            yearly=tuple(draw(st.lists(st.sampled_from(["01-01", "02-29", "12-31"]), max_size=2))),
        )
        for name in calendar_names
    ]
    times = st.times().map(lambda t: t.replace(second=0, microsecond=0))
    hours = []
    for index, calendar in enumerate(calendars):
        start, end = draw(times), draw(times)
        if start != end:
            hours.append(
                config.Hours(
                    name=f"h{index}",
                    periods=(
                        config.HoursPeriod(calendar=calendar.name, start=start, end=end, time_zone="UTC"),
                    ),
                )
            )
    groups = [config.Group(name="g", members=tuple(user_logins), supervisors=tuple(user_logins[:1]))]
    recording = config.Recording(
        percent=draw(st.integers(0, 100)),
        format=draw(st.sampled_from(config.RecordingFormat)),
        continue_on_transfer=draw(st.booleans()),
    )
    return config.CenterConfig(
        users=tuple(users),
        calendars=tuple(calendars),
        hours=tuple(hours),
        groups=tuple(groups),
        recording=recording,
    )


@given(centers())
def test_load_dump_load(center: config.CenterConfig) -> None:
    loaded = config.loads(config.dump(center), "okc.yaml")
    assert loaded == center
    assert config.loads(config.dump(loaded), "okc.yaml") == loaded
